""""陈恺是谁？": who one of the people the articles quote is.

An article introduces a person it quotes where it first names him
("……的陈恺——灵雀云的 CTO"), and a question that names nobody and nothing
but him asks for that introduction. Retrieval cannot tell: every passage
of his interview names him, and those that rank first for his name alone
are those that repeat it ("陈恺给我的感觉如同多年的老友……"). An English
question names him in pinyin ("Who is Chen Kai?").
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.crosslingual import dictionary
from qa.records import PassageRecord
from qa.retrieval import Hit
from qa.text import comparable


def quoted_person(kind: str, topic: Sequence[str], records: Sequence[PassageRecord]) -> str | None:
    """The name of the speaker of one of `records` that a person question
    ("陈恺是谁？") consists of, its `topic` words all inside that name; None
    for any other question ("灵雀云的 CTO 是谁？" names a role, not a person)."""
    if kind != "person" or not topic:
        return None
    speakers = dict.fromkeys(r.speaker for r in records if r.speaker)
    return next((name for name in speakers if _names(topic, comparable(name))), None)


def _names(words: Sequence[str], name: str) -> bool:
    """Whether `words` are all inside `name`, or spell it in pinyin ("Who is Chen Kai?")."""
    if all(w in name for w in words):
        return True
    spelled = "".join(words)
    return spelled.isascii() and spelled.isalpha() and dictionary().spells(spelled, name)


def introduction_first(hits: list[Hit], records: Sequence[PassageRecord], name: str) -> list[Hit]:
    """`hits` with the earliest passage that names `name`, in the article of
    the best-ranked passage he speaks, moved first with the best score, as an
    answer that outranks its question takes the question's (`qa.turns`);
    `records` holds each hit's passage."""
    article = next(r.article_id for r in records if r.speaker == name)
    plain = comparable(name)
    naming = [k for k, r in enumerate(records) if r.article_id == article and plain in comparable(r.text)]
    if not naming:
        return hits
    first = min(naming, key=lambda k: records[k].paragraph)
    return [Hit(hits[first].row, hits[0].score), *hits[:first], *hits[first + 1:]]
