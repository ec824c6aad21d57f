"""What editors review: the questions not answered and those voted 👎,
grouped by similar wording; their marks; and the marked questions written
back as a `qa eval` question file.

Two questions are in one group when the character bigrams of their
comparable forms (NFKC, lower case, no white space or punctuation) have a
Jaccard similarity of at least SIMILAR (0.6): "ACP 2.0 是什么？" and
"acp2.0是什么" are one question; "ACP 2.0 是什么？" and "ACP 2.0 多少钱？" are not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qa.errors import PassageNotFoundError, QAError
from qa.questionlog import Entry, Mark, QuestionLog, Verdict
from qa.service import QAService
from qa.settings import MAX_TOP_K
from qa.text import comparable

SIMILAR = 0.6


class MarkError(QAError):
    """A mark that cannot be stored (a passage verdict without a passage)."""


def question_key(question: str) -> str:
    """The form marks are stored under: comparable, letters and digits only."""
    return "".join(ch for ch in comparable(question) if ch.isalnum())


def bigrams(question: str) -> frozenset[str]:
    key = question_key(question)
    return frozenset(key[i:i + 2] for i in range(len(key) - 1)) or frozenset({key})


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass
class Group:
    """Questions of one wording (near enough): `question` is the newest one asked."""

    question: str
    key: str
    count: int = 0
    unanswered: int = 0
    down_votes: int = 0
    wordings: list[str] = field(default_factory=list)
    passage_ids: tuple[str, ...] = ()
    last_asked: float = 0.0
    mark: Mark | None = None
    _bigrams: frozenset[str] = frozenset()

    def add(self, entry: Entry) -> None:
        self.count += 1
        self.unanswered += not entry.answerable
        self.down_votes += entry.vote == "down"
        if entry.question not in self.wordings:
            self.wordings.append(entry.question)


def group_misses(entries: Iterable[Entry], marks: Iterable[Mark] = ()) -> list[Group]:
    """`entries` (newest first) in groups of similar wording, most asked first;
    each group carries the mark of any of its wordings."""
    groups: list[Group] = []
    for entry in entries:
        grams = bigrams(entry.question)
        group = next((g for g in groups if similarity(g._bigrams, grams) >= SIMILAR), None)
        if group is None:
            group = Group(entry.question, question_key(entry.question), passage_ids=entry.passage_ids,
                          last_asked=entry.asked_at, _bigrams=grams)
            groups.append(group)
        group.add(entry)
    by_key = {mark.question_key: mark for mark in marks}
    for group in groups:
        group.mark = next((by_key[k] for k in map(question_key, group.wordings) if k in by_key), None)
    return sorted(groups, key=lambda g: (-g.count, -g.last_asked))


def make_mark(service: QAService, question: str, verdict: Verdict, passage_id: str | None = None) -> Mark:
    """The mark of `question`; for "the answer is in passage X", with the
    phrase `qa eval` will look for in the passages it gets."""
    if verdict != "passage":
        return Mark(question_key(question), question, verdict)
    if not passage_id:
        raise MarkError("the verdict `passage` needs the id of the passage that answers the question "
                        "(`passage_id`, e.g. 'article-id#p3')")
    return Mark(question_key(question), question, verdict, passage_id,
                expect_phrase(service, question, passage_id))


def expect_phrase(service: QAService, question: str, passage_id: str) -> str:
    """The passage's answering sentence for this question (what the service
    highlights when it gets that passage), or the passage's whole text when
    the service does not get it at all: either way a text the passage holds."""
    record, _ = service.passage(passage_id)  # PassageNotFoundError for an unknown id
    answer = service.ask(question, top_k=MAX_TOP_K)
    got = next((p for p in answer.passages if p.id == passage_id), None)
    if got is not None and got.highlights:
        start, end = got.highlights[0]
        return got.text[start:end].strip()
    return record.text


def eval_items(marks: Iterable[Mark]) -> list[dict]:
    """Marked questions as `qa eval` items; ignored ones are left out."""
    items = []
    for mark in marks:
        if mark.verdict == "passage" and mark.expect:
            items.append({"question": mark.question, "expect": [mark.expect]})
        elif mark.verdict == "unanswerable":
            items.append({"question": mark.question, "expect": []})
    return items


def export(log: QuestionLog, path: Path) -> int:
    """Write the marked questions to `path` in the `qa eval` format; how many."""
    items = eval_items(log.marks())
    header = "# Questions readers asked, marked by editors (`qa log export`). Run: qa eval FILE\n"
    text = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=100) if items else "[]\n"
    path.write_text(header + text, encoding="utf-8")
    return len(items)


def resolve_passages(service: QAService, passage_ids: Iterable[str]) -> list[dict]:
    """The passages a group got, with their text and article, for the editors'
    page; one the index no longer has (it was rebuilt since) says so."""
    out = []
    for passage_id in passage_ids:
        try:
            record, citation = service.passage(passage_id)
        except PassageNotFoundError:
            out.append({"id": passage_id, "text": None, "title": None, "url": None})
            continue
        out.append({"id": passage_id, "text": record.text, "title": citation.title,
                    "url": citation.article_url or citation.url})
    return out
