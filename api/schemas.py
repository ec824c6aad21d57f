"""Request and response bodies of the JSON API that `qa.answer` does not
already define (its `Answer` is the /api/ask response as it stands)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qa.answer import Answer, Citation, Turn
from qa.records import ArticleInfo, PassageRecord
from qa.scope import Scope
from qa.settings import MAX_TOP_K, default

MAX_HISTORY_TURNS = 50


_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
MAX_SCOPE_ITEMS = 100


class ScopeIn(BaseModel):
    """Which passages may answer; every condition given must hold."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"articles": ["alauda-chenkai-interview"]}, {"date_from": "2019-11", "tags": ["kubernetes"]},
        {"speaker": "陈恺"}]})

    articles: list[str] = Field(default_factory=list, max_length=MAX_SCOPE_ITEMS,
                                description="article ids (GET /api/articles)")
    date_from: str | None = Field(None, pattern=_DATE, description="articles dated on or after: "
                                  "YYYY-MM-DD, YYYY-MM or YYYY")
    date_to: str | None = Field(None, pattern=_DATE, description="articles dated on or before")
    tags: list[str] = Field(default_factory=list, max_length=MAX_SCOPE_ITEMS,
                            description="articles with any of these tags")
    speaker: str | None = Field(None, min_length=1, max_length=100,
                                description="passages in which this person speaks (interviews)")

    def to_scope(self) -> Scope:
        return Scope(tuple(self.articles), self.date_from, self.date_to, tuple(self.tags), self.speaker)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "它包含哪些子产品？", "top_k": 5,
         "history": [{"role": "user", "content": "ACP 2.0 是什么？"}]},
    ]})

    question: str = Field(description=f"1 to {default('max_question_chars')} characters after trimming "
                                      "(the limit is the `max_question_chars` setting)")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K,
                              description=f"passages to return, 1 to {MAX_TOP_K}; default "
                                          f"{default('top_k')} (the `top_k` setting)")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description="earlier turns of the conversation, oldest first, so "
                                            "that a follow-up such as “它包含哪些子产品？” is understood")
    scope: ScopeIn | None = Field(None, description="answer only from these passages (default: all)")
    article: str | None = Field(None, min_length=1, max_length=300,
                                description="an article id to answer from first; the rest of the scope "
                                            "answers only when it does not (then `from_elsewhere` is true)")
    client: Literal["api", "widget"] = Field("api", description="who asks, for the question log: "
                                             "the chat widget says `widget`")
    conversation_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                                        description="the same id on every turn of a conversation "
                                                    "(chosen by the client), for the question log")


class AskResponse(Answer):
    answer_id: str | None = Field(description="this answer's id in the question log, for a vote "
                                              "(POST /api/answers/{answer_id}/vote); null when "
                                              "the log is off")


class VoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"vote": "down"}]})

    vote: Literal["up", "down"] = Field(description="👍 `up` or 👎 `down`; a second vote replaces the first")


class Voted(BaseModel):
    answer_id: str
    vote: Literal["up", "down"]


class MarkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "ACP 2.0 是什么？", "verdict": "passage", "passage_id": "article-id#p3"}]})

    question: str = Field(min_length=1, max_length=default("max_question_chars"))
    verdict: Literal["passage", "unanswerable", "ignore"] = Field(
        description="`passage`: the answer is in `passage_id`; `unanswerable`: the articles do not "
                    "answer it; `ignore`: leave it out of the test questions")
    passage_id: str | None = Field(None, min_length=1, max_length=300)


class ExamplesOut(BaseModel):
    questions: list[str] = Field(description="example questions about the indexed articles, maybe none")


class ArticleOut(BaseModel):
    id: str
    title: str
    author: str | None
    date: str | None
    url: str | None
    tags: list[str]

    @classmethod
    def of(cls, article: ArticleInfo) -> ArticleOut:
        return cls(id=article.id, title=article.title, author=article.author, date=article.date,
                   url=article.url, tags=list(article.tags))


class PassageOut(BaseModel):
    id: str
    article_id: str
    text: str
    section: str | None
    paragraph: int
    citation: Citation

    @classmethod
    def of(cls, record: PassageRecord, citation: Citation) -> PassageOut:
        return cls(id=record.id, article_id=record.article_id, text=record.text,
                   section=record.section, paragraph=record.paragraph, citation=citation)


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class SlackStatus(BaseModel):
    connected: bool = Field(description="the bot's token was accepted by Slack's Web API")
    reason: str | None = Field(None, description="why the bot is not connected, and what it does about it")


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    articles: int = Field(description="articles in the loaded index")
    generation: str = Field(description="the index generation being served (a new `qa index` makes "
                                        "a new one, loaded without a restart)")
    built: str | None = Field(description="when that generation was built (UTC)")
    reload_problem: str | None = Field(None, description="why a newer generation on disk is not "
                                                         "served, if one failed to load")
    slack: SlackStatus | None = Field(None, description="the Slack bot, when it is configured; "
                                                        "readiness does not depend on it")
