"""POST /api/ask: the one service call, over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import QuestionLogDep, ServiceDep
from api.errors import documented
from api.logs import note
from api.schemas import AskRequest, AskResponse
from qa.questionlog import Entry
from qa.service import EVERYWHERE

router = APIRouter(prefix="/api", tags=["questions"])


@router.post("/ask", responses=documented(413, 422, 503))
def ask(body: AskRequest, service: ServiceDep, question_log: QuestionLogDep,
        request: Request) -> AskResponse:
    """Answer a question with the passages that answer it, best first, each with
    the answering sentence highlighted and a citation. `answerable` is false
    when the articles do not answer it; the nearest passages still come back.
    `scope` limits the passages that may answer; `article` asks one article
    first. `answer_id` names the answer for a 👍/👎 vote."""
    # A plain `def`: embedding and search are CPU work, run in the thread pool.
    scope = body.scope.to_scope() if body.scope else EVERYWHERE
    answer = service.ask(body.question, top_k=body.top_k, history=body.history, scope=scope,
                         article=body.article)
    answer_id = question_log.record(Entry.of(answer, body.client, body.conversation_id))
    note(request.scope, cache_hit="cache" in answer.timings_ms, question=body.question)
    return AskResponse(**dict(answer), answer_id=answer_id)
