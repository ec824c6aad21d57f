"""/editors: the editors' page, and the two calls it makes (behind the
`editors_token`, sent as `Authorization: Bearer <token>`): the questions to
review, grouped, and an editor's mark on one of them."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from api.deps import QuestionLogDep, ServiceDep
from api.errors import documented
from api.schemas import MarkRequest
from qa import review

router = APIRouter(tags=["editors"])

OFF = ("the editors' page is off: set the editors_token setting (QA_EDITORS_TOKEN=<a long random "
       "string>, or `editors_token:` in qa.yaml) and restart `qa serve`")
OFF_PAGE = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Editors: off</title>"
            "<h1>The editors' page is off</h1><p>Turn it on: set the <code>editors_token</code> setting "
            "(<code>QA_EDITORS_TOKEN=&lt;a long random string&gt;</code>, or <code>editors_token:</code> in "
            "<code>qa.yaml</code>) and restart <code>qa serve</code>. The README's “What readers ask” "
            "says more.</p></html>")


async def require_editor(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    token = request.app.state.settings.editors_token
    if token is None or not token.get_secret_value():
        raise HTTPException(403, OFF)
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                              token.get_secret_value().encode()):
        raise HTTPException(401, "send the editors' token (the editors_token setting) as "
                                 "`Authorization: Bearer <token>`", headers={"WWW-Authenticate": "Bearer"})


Editor = Depends(require_editor)


class MarkOut(BaseModel):
    verdict: str
    passage_id: str | None
    expect: str | None


class PassageBrief(BaseModel):
    id: str
    text: str | None
    title: str | None
    url: str | None


class GroupOut(BaseModel):
    question: str
    count: int
    unanswered: int
    down_votes: int
    wordings: list[str]
    last_asked: str
    passages: list[PassageBrief]
    mark: MarkOut | None


class Review(BaseModel):
    groups: list[GroupOut]
    similarity: float


@router.get("/editors", include_in_schema=False)
async def editors_page(request: Request) -> HTMLResponse:
    token = request.app.state.settings.editors_token
    if token is None or not token.get_secret_value():
        return HTMLResponse(OFF_PAGE, status_code=403)
    return HTMLResponse(files("api").joinpath("static/editors.html").read_text(encoding="utf-8"))


@router.get("/editors/api/questions", dependencies=[Editor], responses=documented(401, 403))
def questions(service: ServiceDep, question_log: QuestionLogDep) -> Review:
    """Questions not answered or voted 👎, grouped by similar wording, most asked first."""
    groups = review.group_misses(question_log.misses(), question_log.marks())
    return Review(similarity=review.SIMILAR, groups=[GroupOut(
        question=g.question, count=g.count, unanswered=g.unanswered, down_votes=g.down_votes,
        wordings=g.wordings, last_asked=_iso(g.last_asked),
        passages=[PassageBrief(**p) for p in review.resolve_passages(service, g.passage_ids)],
        mark=MarkOut(verdict=g.mark.verdict, passage_id=g.mark.passage_id, expect=g.mark.expect)
        if g.mark else None) for g in groups])


@router.post("/editors/api/marks", dependencies=[Editor], responses=documented(401, 403, 404, 409, 422))
def mark(body: MarkRequest, service: ServiceDep, question_log: QuestionLogDep) -> MarkOut:
    """Mark a question: its answer is in a passage, it is not answerable, or ignore it."""
    stored = review.make_mark(service, body.question, body.verdict, body.passage_id)
    question_log.mark(stored)
    return MarkOut(verdict=stored.verdict, passage_id=stored.passage_id, expect=stored.expect)


def _iso(unix_time: float) -> str:
    return datetime.fromtimestamp(unix_time, UTC).isoformat(timespec="seconds")
