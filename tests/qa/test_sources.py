"""Answer.sources: the passages worth citing, the one relative cut shared by
the widget, `qa ask` and Slack."""

from __future__ import annotations

from qa.answer import SOURCE_CUT, Answer, AnswerText, Citation, RankedPassage


def _answer(scores: list[float], answering: int | None = 1) -> Answer:
    citation = Citation(article_id="a", title="t", author=None, date=None, url=None, article_url=None,
                        section=None, paragraph=1)
    passages = [RankedPassage(rank=n, id=f"a#p{n}", text="x", score=score, highlights=[], citation=citation)
                for n, score in enumerate(scores, start=1)]
    return Answer(question="q", answerable=answering is not None, passages=passages, timings_ms={},
                  answer=AnswerText(text="x", passage=answering) if answering else None)


def test_passages_far_below_the_best_are_not_sources() -> None:
    best = 0.9
    answer = _answer([best, best * SOURCE_CUT, best * SOURCE_CUT - 0.001, 0.3])
    assert answer.sources == [1, 2]


def test_the_answering_passage_is_a_source_whatever_its_score() -> None:
    assert _answer([1.0, 0.5, 0.4], answering=3).sources == [1, 3]


def test_no_answer_has_no_sources() -> None:
    assert _answer([1.0, 0.95], answering=None).sources == []


def test_sources_are_in_the_json_and_passages_keep_every_passage() -> None:
    dumped = _answer([1.0, 0.5]).model_dump()
    assert dumped["sources"] == [1]
    assert [p["rank"] for p in dumped["passages"]] == [1, 2]  # what `qa eval` counts hit@k over
