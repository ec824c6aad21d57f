"""POST /api/answers/{answer_id}/vote: a reader's 👍 or 👎 on an answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import QuestionLogDep
from api.errors import documented
from api.schemas import Voted, VoteRequest

router = APIRouter(prefix="/api", tags=["questions"])

AnswerId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="`answer_id` from /api/ask")]


@router.post("/answers/{answer_id}/vote", responses=documented(404, 422, 429))
def vote(answer_id: AnswerId, body: VoteRequest, question_log: QuestionLogDep) -> Voted:
    """Store the reader's vote on an answer: one per answer, a new vote replaces
    the old one. At most 5 votes per answer a minute (429 beyond)."""
    question_log.vote(answer_id, body.vote)
    return Voted(answer_id=answer_id, vote=body.vote)
