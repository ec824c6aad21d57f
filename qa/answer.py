"""The answer to a question as the service returns it: the types only. The
sentence is chosen in `qa.extract`, answerability is judged in `qa.evidence`,
and `qa.service` puts them together."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Citation(BaseModel):
    article_id: str
    title: str
    author: str | None
    date: str | None
    url: str | None = Field(description="the source page; it may end with a text fragment "
                                        "(`#:~:text=…`) that scrolls to the answering sentence")
    article_url: str | None = Field(description="the source page, without a fragment")
    section: str | None
    paragraph: int
    speaker: str | None = Field(None, description="who speaks in the passage, where known (interviews)")


class RankedPassage(BaseModel):
    rank: int
    id: str
    text: str
    score: float
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets into `text` of the answering sentence(s)"
    )
    citation: Citation
    speaker: str | None = Field(None, description="who speaks in the passage, where known (interviews)")


class AnswerText(BaseModel):
    text: str
    passage: int = Field(description="`rank` of the passage the text comes from")


class Answer(BaseModel):
    question: str
    answerable: bool
    answer: AnswerText | None
    passages: list[RankedPassage]
    timings_ms: dict[str, float]


MAX_TURN_CHARS = 4000


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


def said_by(speaker: str | None, text: str) -> str:
    """The label put before `text` to say who speaks ("陈恺："), or nothing
    when the speaker is unknown or the text already opens with the name
    ("陈恺说，“……”" needs no "陈恺：" before it)."""
    if not speaker or text.lstrip("“”\"「『（( ").startswith(speaker):
        return ""
    return f"{speaker}："
