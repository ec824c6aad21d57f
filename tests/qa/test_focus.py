"""qa.focus: among the best passages, the one that says the question's words in one sentence first."""

from __future__ import annotations

import pytest

from qa.evidence import TermWeights
from qa.focus import FOCUS_ROWS, FOCUS_WEIGHT, focused_first
from qa.retrieval import Hit
from qa.service import QAService


def test_a_passage_whose_one_sentence_holds_the_words_moves_up() -> None:
    hits = [Hit(0, 1.0), Hit(1, 0.95), Hit(2, 0.9)]
    shares = {0: 0.2, 1: 1.0, 2: 0.0}
    focused = focused_first(hits, shares.__getitem__)
    assert [h.row for h in focused] == [1, 0, 2]
    assert focused[0].score == pytest.approx(0.95 + FOCUS_WEIGHT)


def test_a_lead_larger_than_the_weight_is_kept() -> None:
    hits = [Hit(0, 1.0), Hit(1, 1.0 - FOCUS_WEIGHT - 0.01)]
    assert [h.row for h in focused_first(hits, {0: 0.0, 1: 1.0}.__getitem__)] == [0, 1]


def test_only_the_best_rows_are_rescored() -> None:
    hits = [Hit(row, 1.0 - row / 100) for row in range(FOCUS_ROWS + 3)]
    focused = focused_first(hits, lambda row: 1.0 if row == FOCUS_ROWS else 0.0)
    assert focused[FOCUS_ROWS:] == hits[FOCUS_ROWS:]  # past the best, as they were


def test_the_best_sentence_of_a_passage_is_its_coverage(fixture_service: QAService) -> None:
    weights = TermWeights(fixture_service.index)
    index = fixture_service.index
    row = next(r for r in range(index.size) if "龙井" in "".join(weights.sentences(r)))
    # 员工 is in no passage: the best sentence holds 龙井's share of the two weights
    share = weights.idf("龙井") / (weights.idf("龙井") + weights.idf("员工"))
    assert weights.best_sentence_coverage(["龙井", "员工"], row) == pytest.approx(share)
    assert weights.best_sentence_coverage(["员工"], row) == 0.0


def test_a_question_or_set_up_gains_no_more_than_its_answer() -> None:
    # row 0 asks (its best sentence is the question itself), row 1 answers it
    hits = [Hit(1, 1.0), Hit(0, 0.999), Hit(2, 0.5)]
    focused = focused_first(hits, {0: 1.0, 1: 0.4, 2: 0.0}.__getitem__, {0: 1}.get)
    assert [h.row for h in focused] == [1, 0, 2]
    assert focused[1].score == pytest.approx(0.999 + FOCUS_WEIGHT * 0.4)
