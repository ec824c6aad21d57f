"""The demo page at / that embeds the chat widget, and GET /api/examples.

The page is a template (api/static/index.html): it shows the `<script>` tag
with the address it was served from, and the `example_questions` setting as
buttons that ask them; without any, generic wording about the articles."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.schemas import ExamplesOut

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["articles"])

NO_EXAMPLES = "<p>就文章里写到的人、事、时间和数字提问，例如“谁……？”“什么时候……？”“为什么……？”</p>"
GENERIC_QUESTION = "文章里讲了什么？"


@cache
def _template() -> str:
    return files("api").joinpath("static/index.html").read_text(encoding="utf-8")


@router.get("/")
async def demo_page(request: Request) -> HTMLResponse:
    base = str(request.base_url).rstrip("/")  # the scheme, host and port this request came to
    return HTMLResponse(render_demo(base, request.app.state.settings.example_questions))


def render_demo(base_url: str, questions: list[str]) -> str:
    buttons = "".join(f'<li><button type="button" data-question="{html.escape(q)}">{html.escape(q)}</button>'
                      "</li>" for q in questions)
    examples = (f'<p>可以试试这些问题（点击即问）：</p><ul class="examples">{buttons}</ul>' if questions
                else NO_EXAMPLES)
    ask = json.dumps(questions[0] if questions else GENERIC_QUESTION, ensure_ascii=False)
    return (_template()
            .replace("{{widget_tag}}", html.escape(f'<script src="{base_url}/static/widget.js"></script>',
                                                   quote=False))
            .replace("{{examples}}", examples)
            .replace("{{ask_example}}", html.escape(f"window.InterviewQA.ask({ask});", quote=False)))


@api_router.get("/examples")
def example_questions(request: Request) -> ExamplesOut:
    """Questions to suggest about these articles (the `example_questions`
    setting; empty when none is set). The chat widget's greeting uses the first."""
    return ExamplesOut(questions=request.app.state.settings.example_questions)
