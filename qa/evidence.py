"""Evidence inside passages: which words of a question a text contains, and
which sentence of a passage answers best."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from qa.index import Index
from qa.retrieval import Query, minmax
from qa.text import normalize


class TermWeights:
    """Inverse document frequency of a question's words over the passages.

    A word no passage contains weighs most: a question about 员工 (staff) is
    not answered by an article that never says 员工, however well its other
    words match.
    """

    def __init__(self, index: Index):
        self._texts = [normalize(p.text).lower() for p in index.passages]
        self._tokenizer = index.tokenizer
        self.idf = lru_cache(maxsize=65536)(self._idf)

    def _idf(self, word: str) -> float:
        df = sum(word in text for text in self._texts)
        return math.log(1 + len(self._texts) / (df + 0.5))

    def words(self, question: str) -> list[str]:
        return list(dict.fromkeys(self._tokenizer.content_tokens(question)))

    def coverage(self, words: list[str], text: str) -> float:
        """IDF-weighted share of `words` that occur in `text` (0 to 1)."""
        if not words:
            return 0.0
        text = normalize(text).lower()
        total = sum(self.idf(w) for w in words)
        return sum(self.idf(w) for w in words if w in text) / total


def sentence_scores(index: Index, weights: TermWeights, query: Query, words: list[str],
                    row: int) -> np.ndarray:
    """How well each sentence of passage `row` answers: half its cosine to the
    question (normalised within the passage), half the question words it holds."""
    passage = index.passages[row]
    dense_all = index.dense.sentence_scores(query)
    cosines = np.array([
        dense_all[index.sentence_ids[(row, k)]] if (row, k) in index.sentence_ids else -1.0
        for k in range(len(passage.sentences))
    ], dtype=np.float32)
    cosines[cosines < 0] = cosines.max(initial=0) if len(passage.sentences) == 1 else 0
    lexical = np.array([weights.coverage(words, passage.text[s:e]) for s, e in passage.sentences])
    return 0.5 * minmax(cosines) + 0.5 * lexical


def highlight(scores: np.ndarray, spans: tuple[tuple[int, int], ...],
              share: float = 0.9) -> list[tuple[int, int]]:
    """Spans of the best sentence and of any other within `share` of it."""
    if not len(scores):
        return []
    best = float(scores.max())
    return [spans[k] for k in range(len(spans)) if scores[k] >= best * share and scores[k] > 0] or [
        spans[int(scores.argmax())]
    ]
