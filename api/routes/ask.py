"""POST /api/ask: the one service call, over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import ServiceDep
from api.errors import documented
from api.logs import note
from api.schemas import AskRequest
from qa.answer import Answer

router = APIRouter(prefix="/api", tags=["questions"])


@router.post("/ask", responses=documented(413, 422, 503))
def ask(body: AskRequest, service: ServiceDep, request: Request) -> Answer:
    """Answer a question with the passages that answer it, best first, each with
    the answering sentence highlighted and a citation. `answerable` is false
    when the articles do not answer it; the nearest passages still come back."""
    # A plain `def`: embedding and search are CPU work, run in the thread pool.
    answer = service.ask(body.question, top_k=body.top_k, history=body.history)
    note(request.scope, cache_hit="cache" in answer.timings_ms, question=body.question)
    return answer
