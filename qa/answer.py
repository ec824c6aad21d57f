"""The answer to a question as the service returns it: the types only. The
sentence is chosen in `qa.extract`, answerability is judged in `qa.evidence`,
and `qa.service` puts them together."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field


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


# A passage scoring under this share of the best one's score is not shown as a
# source of an answer (widget, `qa ask`, Slack): on the seed's example questions
# the best passages score 0.9-1.0, the next relevant ones 0.84-0.90, the
# unrelated ones 0.3-0.6. `passages` keeps them all (`qa eval` counts hit@k there).
SOURCE_CUT = 0.8


class Answer(BaseModel):
    question: str
    answerable: bool
    answer: AnswerText | None
    passages: list[RankedPassage]
    timings_ms: dict[str, float]
    from_elsewhere: bool = Field(False, description="the article asked about first (`article`) does not "
                                                    "answer; the answer comes from other articles")

    @computed_field(description=f"`rank`s of the passages to show as the answer's sources: the "
                    f"answering passage and every passage scoring at least {SOURCE_CUT} × the best "
                    f"score; empty when there is no answer")
    @property
    def sources(self) -> list[int]:
        if not self.answerable or self.answer is None or not self.passages:
            return []
        floor = SOURCE_CUT * max(p.score for p in self.passages)
        return [p.rank for p in self.passages if p.score >= floor or p.rank == self.answer.passage]


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
