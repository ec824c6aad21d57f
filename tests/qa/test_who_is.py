"""qa.who_is: "陈恺是谁？" is answered by the passage that introduces him.

Through the service with the real model: test_quality."""

from __future__ import annotations

from qa.records import PassageRecord
from qa.retrieval import Hit
from qa.who_is import introduction_first, quoted_person


def _record(paragraph: int, text: str, speaker: str | None = None, article: str = "a") -> PassageRecord:
    return PassageRecord(id=f"{article}#p{paragraph}", article_id=article, text=text, section=None,
                         paragraph=paragraph, span=(0, len(text)), sentences=((0, len(text)),),
                         speaker=speaker)


RECORDS = [
    _record(29, "陈恺给我的感觉如同多年的老友。"),
    _record(3, "陈恺说，“我们很早就押注了 Kubernetes。”", speaker="陈恺"),
    _record(1, "我见到了陈恺——灵雀云的 CTO。"),
    _record(0, "陈恺在另一篇文章里也谈到了开源。", article="b"),  # earlier, but another article
    _record(2, "滥觞始于云计算。"),  # earlier, but does not name him
]
HITS = [Hit(row=row, score=1.0 - row / 10) for row in range(len(RECORDS))]


def test_a_question_naming_only_a_quoted_person_asks_who_he_is() -> None:
    assert quoted_person("person", ["陈恺"], RECORDS) == "陈恺"


def test_other_questions_ask_something_else() -> None:
    assert quoted_person("person", ["灵雀云", "cto"], RECORDS) is None  # a role: the answer is a name
    assert quoted_person("place", ["陈恺"], RECORDS) is None  # where he is, not who
    assert quoted_person("person", ["左玥"], RECORDS) is None  # nobody quotes 左玥 here
    assert quoted_person("person", [], RECORDS) is None


def test_the_passage_that_introduces_him_comes_first() -> None:
    reordered = introduction_first(HITS, RECORDS, "陈恺")
    assert [h.row for h in reordered] == [2, 0, 1, 3, 4]
    scores = [h.score for h in HITS]
    assert [h.score for h in reordered] == [scores[0], scores[0], scores[1], scores[3], scores[4]]


def test_nothing_moves_when_no_passage_of_his_article_names_him() -> None:
    records = [_record(5, "我们很早就押注了 Kubernetes。", speaker="陈恺"), _record(1, "滥觞始于云计算。")]
    assert introduction_first(HITS[:2], records, "陈恺") == HITS[:2]


def test_an_english_question_names_him_in_pinyin() -> None:
    assert quoted_person("person", ["chen", "kai"], RECORDS) == "陈恺"
    assert quoted_person("person", ["chen", "hao"], RECORDS) is None
