"""Interview turns at question time: an answer ranks above the question
that asks it (`answers_first`), over the turns `qa.ingest.turns` found when
the index was built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.records import ASKS

# Measured on corpus/questions*.yaml (README, "Retrieval quality"): an asking
# passage's fused score is scaled by this, and its answer takes that score
# when it has less, the question right below.
ASKING_PRIOR = 0.8
# A set-up (narration before an answer) keeps its score and gives it to its
# answer only when the answer scores at least this share of it: a set-up
# states facts, and an answer that scores far lower does not answer the
# user's question, the set-up does ("编排领域是怎样的竞争局面？").
SET_UP_REACH = 0.8


@dataclass(frozen=True)
class TurnTable:
    """Per passage row of an index: whether it asks, and the row that answers
    it (-1 for none)."""

    asking: np.ndarray
    answered_by: np.ndarray

    @classmethod
    def of(cls, roles: Sequence[str], answered_by: Sequence[int | None]) -> TurnTable:
        return cls(np.array([role == ASKS for role in roles], dtype=bool),
                   np.array([-1 if row is None else row for row in answered_by], dtype=np.int64))


def with_answers(rows: np.ndarray, turns: TurnTable) -> np.ndarray:
    """`rows` (sorted, distinct) and the rows that answer any of them."""
    answers = turns.answered_by[rows]
    return np.union1d(rows, answers[answers >= 0])


def answers_first(rows: np.ndarray, scores: np.ndarray, turns: TurnTable) -> np.ndarray:
    """Fused scores of `rows` (sorted, holding the answer of each asking row:
    `with_answers`) with interview turns applied: an asking passage echoes a
    question's words without answering it, so its score is scaled by
    `ASKING_PRIOR`; where it still outscores its answer, the answer takes its
    score and the question follows just below. A set-up does the same for an
    answer that reaches `SET_UP_REACH` of its score."""
    scores = np.where(turns.asking[rows], scores * ASKING_PRIOR, scores).astype(scores.dtype, copy=False)
    answered_by = turns.answered_by[rows]
    askers = np.flatnonzero(answered_by >= 0)
    answers = np.searchsorted(rows, answered_by[askers])  # positions in `rows`
    reach = np.where(turns.asking[rows][askers], 0.0, SET_UP_REACH)
    lift = (scores[answers] < scores[askers]) & (scores[answers] >= reach * scores[askers])
    askers, answers = askers[lift], answers[lift]
    np.maximum.at(scores, answers, scores[askers])
    scores[askers] = np.minimum(scores[askers], np.nextafter(scores[answers], -np.inf))
    return scores
