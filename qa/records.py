"""What an index stores about articles and passages, and how it (de)serialises."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qa.text import comparable_sentences

# What a passage does in an interview (`qa.ingest.turns`).
ASKS, SETS_UP, ANSWERS, NARRATES = "asks", "sets_up", "answers", "narrates"


@dataclass(frozen=True)
class ArticleInfo:
    id: str
    title: str
    author: str | None
    date: str | None
    url: str | None
    tags: tuple[str, ...] = ()
    path: str = ""
    original_url: str | None = None  # for a translation, the original article
    translator: str | None = None
    proofreader: str | None = None


@dataclass(frozen=True)
class PassageRecord:
    id: str
    article_id: str
    text: str
    section: str | None
    paragraph: int
    span: tuple[int, int]
    sentences: tuple[tuple[int, int], ...]  # [start, end) of each sentence in `text`
    links: tuple[str, ...] = field(default=())
    # Interview turns (qa.ingest.turns): whose words the passage gives, whether it
    # asks, sets up, answers or narrates, and the id of the passage that
    # answers it (for asks and sets_up).
    speaker: str | None = None
    role: str = NARRATES
    answered_by: str | None = None
    # Which of `sentences` are lines of code (code is context, not an answer).
    code: tuple[int, ...] = ()
    # Each sentence in comparable form (qa.text.comparable), what the
    # question's words are looked for in: computed once, when the index is
    # built, not for each question (an index written without it computes it
    # when a record is read).
    plain: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.plain is None:
            object.__setattr__(self, "plain", comparable_sentences(self.text, self.sentences))

    @property
    def is_code(self) -> bool:
        """The passage is code alone, no prose: context, not an answer (`qa.retrieval.asks_for_code`)."""
        return bool(self.code) and len(self.code) == len(self.sentences)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> PassageRecord:
        return cls(
            **{**data,
               "span": tuple(data["span"]),
               "sentences": tuple(tuple(s) for s in data["sentences"]),
               "links": tuple(data.get("links", ())),
               "code": tuple(data.get("code", ())),
               "plain": None if data.get("plain") is None else tuple(data["plain"])}
        )
