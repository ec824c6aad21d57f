"""The demo page at / that embeds the chat widget."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/")
async def demo_page() -> HTMLResponse:
    return HTMLResponse(files("api").joinpath("static/index.html").read_text(encoding="utf-8"))
