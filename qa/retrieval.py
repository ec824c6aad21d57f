"""Retrievers: BM25 over jieba words and character n-grams, BM25 over
phrases (n-grams that run across word boundaries), dense over e5 vectors, and
the hybrid of the three. One interface, one result type.

Every retriever scores all passages (`scores`), which at the size of an
article site costs well under a millisecond and lets the hybrid fuse whole
score vectors instead of truncated lists (reciprocal-rank fusion of truncated
lists landed between its parts; score fusion lands above both).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import bm25s
import numpy as np

from embeddings.store import VectorIndex
from qa.text import CJK_CHAR, CJK_RANGE, normalize
from qa.tokenize import Tokenizer


@dataclass
class Query:
    """A question prepared once for all retrievers."""

    text: str
    terms: list[str]  # BM25 terms: words, CJK bigrams and characters
    vector: np.ndarray | None = None
    phrases: list[str] = field(default_factory=list)  # see `phrase_terms`
    # In another language than the articles (an English question over Chinese
    # articles): words cannot match, only the dense part can.
    cross_lingual: bool = False
    # Cosines to every passage and sentence, computed once per question.
    passage_scores: np.ndarray | None = field(default=None, repr=False)
    sentence_scores: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Hit:
    row: int  # the passage's position in the index
    score: float


class Retriever(Protocol):
    def scores(self, query: Query) -> np.ndarray:
        """A score for every passage, higher is better."""
        ...

    def search(self, query: Query, k: int) -> list[Hit]: ...


def lexical_terms(tokenizer: Tokenizer, text: str) -> list[str]:
    """Content words (jieba, domain dictionary, no stop words), plus the CJK
    bigrams and characters inside them.

    Words match exact terms; bigrams survive jieba cutting a name differently
    in question and passage; characters catch one-character words. Building
    the n-grams inside content words keeps question words such as 什么 from
    matching the one passage that happens to contain them.
    """
    words = tokenizer.content_tokens(text)
    grams: list[str] = []
    for word in words:
        chars = [c for c in CJK_CHAR.findall(word) if c not in tokenizer.stop_chars]
        if len(chars) > 1:
            grams += chars + [a + b for a, b in itertools.pairwise(chars)]
    return words + grams


def query_terms(tokenizer: Tokenizer, text: str) -> list[str]:
    """A question's distinct lexical terms: a word the question repeats, or
    that jieba's search mode emits again inside a longer word, counts once."""
    return list(dict.fromkeys(lexical_terms(tokenizer, text)))


# A phrase unit: one CJK character, or a Latin word or number ("acp", "2.0",
# "kube-ovn"). White space separates units; anything else (punctuation) ends
# a run of them.
_UNIT = re.compile(rf"[{CJK_RANGE}]|[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_RUN_BREAK = re.compile(rf"[^{CJK_RANGE}a-z0-9.\-\s]+")


def phrase_terms(text: str) -> list[str]:
    """Every two and three consecutive units of the text, across word
    boundaries and stop words ("后kubernetes", "的技术", "技术选").

    Word terms only say that a passage holds the question's words; these
    say that it holds them next to each other, in the question's order. They
    need no tokenizer, so a word jieba cuts differently still matches.
    """
    terms = []
    for run in _RUN_BREAK.split(normalize(text).lower()):
        units = _UNIT.findall(run)
        for n in (2, 3):
            terms += ["".join(units[i : i + n]) for i in range(len(units) - n + 1)]
    return terms


def top_hits(scores: np.ndarray, k: int) -> list[Hit]:
    k = min(k, len(scores))
    if k <= 0:
        return []
    rows = np.argpartition(-scores, k - 1)[:k]
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    return [Hit(int(r), float(scores[r])) for r in rows]


_NO_TERM = "\x00"


class BM25Retriever:
    reads_words = True  # sees the question's words, not its meaning

    def __init__(self, bm25: bm25s.BM25, size: int):
        self._bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, passage_terms: list[list[str]]) -> BM25Retriever:
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        # bm25s cannot index a corpus without a single term (passages of
        # code such as "ls" have no phrase); a term no query holds stands in.
        bm25.index([terms or [_NO_TERM] for terms in passage_terms], show_progress=False)
        return cls(bm25, len(passage_terms))

    def save(self, folder: str) -> None:
        self._bm25.save(folder, show_progress=False)

    @classmethod
    def load(cls, folder: str, size: int) -> BM25Retriever:
        return cls(bm25s.BM25.load(folder, show_progress=False), size)

    def _terms(self, query: Query) -> list[str]:
        return query.terms

    def scores(self, query: Query) -> np.ndarray:
        known = [t for t in self._terms(query) if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def search(self, query: Query, k: int) -> list[Hit]:
        return top_hits(self.scores(query), k)


class PhraseRetriever(BM25Retriever):
    """BM25 over `phrase_terms`: rewards passages that hold the question's
    words in the question's order."""

    def _terms(self, query: Query) -> list[str]:
        return query.phrases


class DenseRetriever:
    """Cosine similarity of the question to each passage (FAISS), mixed with
    the similarity of its best sentence: a paragraph that answers in one
    sentence among unrelated ones otherwise scores too low.

    FAISS returns the best `candidates` passages and sentences; the others
    get the lowest score seen, which keeps fusion exact for the leaders and
    the cost bounded on large corpora.
    """

    def __init__(
        self,
        passages: VectorIndex,
        sentences: VectorIndex,
        sentence_rows: np.ndarray,
        sentence_weight: float = 0.5,
        candidates: int = 20000,
    ):
        self._passages = passages
        self._sentences = sentences
        self._sentence_rows = sentence_rows  # passage row of each sentence
        self._sentence_weight = sentence_weight
        self._candidates = candidates

    def _all_scores(self, index: VectorIndex, vector: np.ndarray) -> np.ndarray:
        hits = index.search(vector, self._candidates)
        floor = hits[-1].score if hits else 0.0
        scores = np.full(index.size, floor, dtype=np.float32)
        scores[[h.row for h in hits]] = [h.score for h in hits]
        return scores

    def sentence_scores(self, query: Query) -> np.ndarray:
        """Cosine of the question to every indexed sentence (cached on the query)."""
        if query.sentence_scores is None:
            query.sentence_scores = self._all_scores(self._sentences, _vector(query))
        return query.sentence_scores

    def passage_scores(self, query: Query) -> np.ndarray:
        """Cosine of the question to every passage (cached on the query)."""
        if query.passage_scores is None:
            query.passage_scores = self._all_scores(self._passages, _vector(query))
        return query.passage_scores

    def scores(self, query: Query) -> np.ndarray:
        passage = self.passage_scores(query)
        if not self._sentences.size or not self._sentence_weight:
            return passage
        best = passage.copy()  # a passage without sentences is its own best sentence
        np.maximum.at(best, self._sentence_rows, self.sentence_scores(query))
        w = self._sentence_weight
        return (1 - w) * passage + w * best

    def search(self, query: Query, k: int) -> list[Hit]:
        return top_hits(self.scores(query), k)


def _vector(query: Query) -> np.ndarray:
    if query.vector is None:
        raise ValueError("dense search needs the query's vector: embed it first")
    return query.vector


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scores rescaled to [0, 1] (all zeros when they are all equal)."""
    if not len(scores):
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-9:
        return np.zeros_like(scores)
    return (scores - low) / (high - low)


class HybridRetriever:
    """Weighted sum of min-max normalised scores of its parts, times a prior
    per passage (1 when none is given). A cross-lingual query leaves out the
    parts that read words: a stray Latin name they match ("Kubernetes" in an
    English question) would be stretched by min-max into noise."""

    def __init__(self, parts: Sequence[tuple[Retriever, float]], prior: np.ndarray | None = None):
        self.parts = list(parts)
        self.prior = prior

    def scores(self, query: Query) -> np.ndarray:
        parts = [(part, weight) for part, weight in self.parts
                 if not (query.cross_lingual and getattr(part, "reads_words", False))] or self.parts
        fused = sum(weight * minmax(part.scores(query)) for part, weight in parts) / sum(w for _, w in parts)
        return fused if self.prior is None else fused * self.prior

    def search(self, query: Query, k: int) -> list[Hit]:
        return top_hits(self.scores(query), k)
