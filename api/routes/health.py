"""Liveness and readiness, for people and for orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import ServiceDep
from api.errors import documented
from api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Health:
    """The process is up (200 even while the index loads)."""
    return Health(status="ok")


@router.get("/readyz", responses=documented(503), response_model_exclude_none=True)
async def readyz(service: ServiceDep, request: Request) -> Readiness:
    """200 once the index is loaded and the model warmed up; 503 before, or when
    it failed to load, with the reason and its fix. With the Slack bot on, says
    whether it is connected to Slack (and if not, why), without being less ready."""
    index, state = service.index, request.app.state
    return Readiness(status="ready", articles=len(service.articles()), generation=index.generation,
                     built=index.manifest.get("created"), reload_problem=state.loader.reload_problem,
                     slack=getattr(state, "slack_status", None))
