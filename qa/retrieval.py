"""Retrievers: BM25 over jieba words and character n-grams, BM25 over
phrases (n-grams that run across word boundaries), dense over e5 vectors, and
the hybrid of the three. One interface, one result type.

Candidates first, then fusion: each part names its own best passages
(`candidates`), and the hybrid scores the union of those lists, a few hundred
rows at most, with every part (`score_rows`), so that a question's cost does
not grow with the corpus beyond the posting lists of its terms and the
approximate nearest-neighbour search. `HybridRetriever.search(..., exhaustive=True)`
scores every passage instead: the reference the candidate path is measured
against (`qa eval --exhaustive`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Protocol

import numpy as np

from embeddings.store import VectorIndex, VectorMatrix
from qa.article_names import ArticleNames
from qa.crosslingual import article_words, unrendered_words
from qa.sparse import Match, SparseIndex, idf, members
from qa.terms import phrase_terms, quoted_spans
from qa.text import normalize
from qa.turn_ranking import TurnTable, answers_first, with_answers

# Rows each part names for fusion. DRCD dev recall@1 / answer@1 at 4a2e0a9: 0.9625 / 0.8729
# at 30, 0.9620 / 0.8723 at 50; scoring every passage 0.9611 / 0.8715.
CANDIDATES = 30
# A scope (`qa.scope`) of this many rows or fewer is scored whole (one
# article, a month of an archive), its words weighed as an index of its
# passages alone would weigh them (`scored_whole`); a larger one takes its
# share of SCOPE_POOL times the candidates, weighed as in the whole index.
SCOPE_SCORED_WHOLE = 5_000
SCOPE_POOL = 10


def scored_whole(within: np.ndarray | None) -> np.ndarray | None:
    """`within` (a scope's sorted rows) where it is scored whole, else None:
    the passages whose statistics (idf, the articles the prior compares)
    weigh a scoped question's words. Asked within one article, a question
    then ranks its passages as over that article alone: beside an archive
    the article's own names (灵雀云, 陈恺) are rare and would outweigh what
    the question asks about them."""
    return within if within is not None and len(within) <= SCOPE_SCORED_WHOLE else None


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
    # It asks for a command or code (`asks_for_code`): passages of code alone may answer it.
    wants_code: bool = False
    # Work done once per question and part (a BM25 part's score vector).
    memo: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Hit:
    row: int  # the passage's position in the index
    score: float


class Retriever(Protocol):
    reads_words: bool  # sees the question's words, not its meaning

    def candidates(self, query: Query, k: int, within: np.ndarray | None = None) -> np.ndarray:
        """Rows of its `k` best passages (fewer when fewer match), best first;
        with `within` (sorted rows), its best of those, as over them alone."""
        ...

    def score_rows(self, query: Query, rows: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        """Its score of each of `rows`, higher is better; with `within` (sorted
        rows that hold `rows`), as over those passages alone."""
        ...

    def search(self, query: Query, k: int) -> list[Hit]: ...


_ASKS_FOR_CODE = re.compile(
    r"命令|指令|代码|脚本|语法|参数|选项|(?:怎么|怎样|如何)(?:运行|执行|安装|配置|设置|使用|用|写|查看|列出)"
    r"|\b(?:command|commands|code|script|syntax|flag|option)\b|\bhow (?:do|can|would|should) (?:i|you|we)\b"
    r"|\bhow to\b", re.IGNORECASE)


def asks_for_code(question: str) -> bool:
    """Whether a question asks for a command or code ("用什么命令查看端口？",
    "How do I list open ports?"): only then may a passage of code alone, or a
    line of code, answer it. Code is context for every other question."""
    return bool(_ASKS_FOR_CODE.search(normalize(question)))


def top_hits(scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[Hit]:
    """The `k` best of `scores`, best first; `rows[i]` names the row of
    `scores[i]` (default: `i`). Ties keep the order of `scores`."""
    order = top_positions(scores, k)
    named = order if rows is None else rows[order]
    return [Hit(int(r), float(scores[i])) for r, i in zip(named, order, strict=True)]


def top_positions(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part], kind="stable")]


def best_of(rows: np.ndarray, scores: np.ndarray, k: int, positive: bool = False) -> np.ndarray:
    """The `k` of `rows` with the best `scores` (only those above zero, if
    `positive`), best first."""
    if positive:
        rows, scores = rows[scores > 0], scores[scores > 0]
    return rows[top_positions(scores, k)]


def articles_of(starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The article of each of `rows`, given each article's first row (`starts`, in row order)."""
    return np.searchsorted(starts, rows, side="right") - 1


@dataclass(frozen=True)
class ArticleTopics:
    """Each article's title (comparable form) and its first row: which words
    of a question name the topic of a passage's article.

    A passage inherits its article's topic: the words of the title ("灵雀云",
    "陈恺" in "专访灵雀云陈恺") say which article answers, not which of its
    paragraphs does. Beside an archive those words are rare, so BM25 weighs
    them most, and inside the interview they would pick the paragraphs that
    repeat the company's name; with the seed alone they were in every
    paragraph and weighed nothing.
    """

    starts: np.ndarray  # first row of each article, in row order
    titles: Sequence[str]

    def inherited(self, index: SparseIndex, terms: Sequence[str], rows: np.ndarray,
                  scores: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        """`scores` of `rows` with each article's title terms credited to all of
        its rows alike: as much as its best-scoring row among `rows` earns
        (weighed over `within` alone, when given: `SparseIndex.score_rows`)."""
        articles = articles_of(self.starts, rows)
        scores = scores.copy()
        for article in np.unique(articles):
            title_terms = [t for t in terms if t in self.titles[article]]
            if title_terms:
                here = articles == article
                part = index.score_rows(title_terms, rows[here], within)
                scores[here] += part.max() - part
        return scores


# The article prior (`ArticlePrior`), chosen on the own question files and
# the archive's (`make eval-archive`, seed beside lctt-2019): the share of the
# fused score it adds at most, how many of the best articles give all their
# passages as candidates (and how many passages of each), the share of
# articles past which a word names no article, and the posting-list entries
# read for it.
ARTICLE_WEIGHT = 0.3
ARTICLES_SEARCHED = 3
ARTICLE_ROWS = 400
ARTICLE_WORD_SHARE = 0.2
ARTICLE_POSTINGS = 100_000
# How far ahead of the next the article a question's words point to must be
# to be asked first (`ArticlePrior.named`): chosen on the own question files
# and the archive's, beside the archive (1.15 / 1.3 / 2 / 3 tried; see
# docs/quality.md), and checked on CMRC 2018 trial and DRCD dev.
NAMED_ARTICLE_LEAD = 1.3
# A question is asked of the article it names only when that article has
# this many passages or more: a few passages make no index of their own (their
# idf and min-max spans are noise), and the whole index's ranking already
# sees all of them. Over DRCD dev (2.6 passages an article) the named path
# lost 17 hits and gained 7 at any size; the interview has 31 passages.
NAMED_ARTICLE_ROWS = 20


@dataclass(frozen=True)
class ArticlePrior:
    """How strongly a question's words point to each article as a whole.

    In an archive the passage that answers "陈恺之前在哪里工作？" need not name
    陈恺: the article does, paragraph after paragraph, and a single paragraph
    of another article that holds "之前" and "工作" should not outrank it. An
    article scores as BM25 over articles: each word of the question, weighed
    by how few articles hold it, counts by how many of the article's passages
    hold it (saturating: n / (n + 1)). A word held by more than
    ARTICLE_WORD_SHARE of the articles names none. A cross-lingual question
    counts its names as written (translations keep "Altair 8800", "FreeDOS")
    and the Chinese renderings of its other words. Within a scope (`within`),
    only the scope's articles count, as in an index of them alone: with one
    article, no word names fewer than all of them, and the prior is nothing.
    """

    index: SparseIndex
    starts: np.ndarray  # first row of each article, in row order
    names: ArticleNames | None = None  # their English names, for English questions
    phrases: SparseIndex | None = None  # the phrase index, for what a question quotes

    def of_rows(self, rows: np.ndarray) -> np.ndarray:
        """The article of each of `rows`."""
        return articles_of(self.starts, rows)

    def rows_of(self, article: int) -> tuple[int, int]:
        """The rows [start, end) of `article`."""
        end = int(self.starts[article + 1]) if article + 1 < len(self.starts) else self.index.size
        return int(self.starts[article]), end

    def bounds(self, row: int) -> tuple[int, int]:
        """The rows [start, end) of the article that holds `row`."""
        return self.rows_of(int(self.of_rows(np.array([row]))[0]))

    def scores(self, query: Query) -> np.ndarray:
        """Each article's score for `query` (memoised on the query)."""
        key = ("articles", id(self))
        if key not in query.memo:
            query.memo[key] = self._scores(query)
        return query.memo[key]

    def _scores(self, query: Query, within: np.ndarray | None = None) -> np.ndarray:
        if query.cross_lingual:
            return self._cross_lingual_scores(query, within)
        scores = np.zeros(len(self.starts), dtype=np.float32)
        for term_scores in self._term_scores(query.terms, within):
            scores += term_scores
        return scores + self._quoted_scores(query.text, within)

    def _quoted_scores(self, question: str, within: np.ndarray | None = None) -> np.ndarray:
        """What the question quotes ("什么是“后 Kubernetes”？"), each span as
        one word: an article scores as its best phrase term of the span
        (`qa.terms.phrase_terms`). Its words apart (后, kubernetes) are
        everywhere; together they are the interview's coinage. DRCD dev
        recall@1 0.9677 -> 0.9682 (317 of its questions quote), CMRC 2018
        trial unchanged."""
        scores = np.zeros(len(self.starts), dtype=np.float32)
        if self.phrases is None:
            return scores
        for span in quoted_spans(question):
            each_term = self._term_scores(list(dict.fromkeys(phrase_terms(span))), within, self.phrases)
            scores += reduce(np.maximum, each_term, np.zeros_like(scores))
        return scores

    def _cross_lingual_scores(self, query: Query, within: np.ndarray | None = None) -> np.ndarray:
        """An English question over Chinese articles, word by word: a name as
        the passages hold it, any other word by its best-scoring Chinese
        rendering, weighed less the more renderings it has
        (`qa.crosslingual.article_words`); either, or a word neither finds,
        by the articles' English names (`qa.article_names`), whichever
        scores an article more."""
        names, renderings = article_words(query.text)
        by_name = self._name_scores(unrendered_words(query.text, names), within)
        nothing = np.zeros(len(self.starts), dtype=np.float32)
        scores = nothing.copy()
        for name in names:
            found = by_name.pop(name, nothing)
            scores += np.maximum(found, next(self._term_scores([name], within), nothing))
        for word, chinese in renderings.items():
            best = nothing
            for term_scores in self._term_scores(sorted(chinese), within):
                best = np.maximum(best, term_scores)
            scores += np.maximum(best / math.log(2 + len(chinese)), by_name.pop(word, nothing))
        return scores + sum(by_name.values(), nothing)

    def _name_scores(self, words: list[str], within: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each of `words` (an English question's, `unrendered_words`) that
        articles' names hold (`qa.article_names`), with its score of every
        article: as a word one passage of the article holds. A word more than
        ARTICLE_WORD_SHARE of the articles' names hold is left out."""
        if self.names is None:
            return {}
        scope = None if within is None else np.unique(self.of_rows(within))
        count = len(self.starts) if scope is None else len(scope)
        found = {}
        for word, articles in self.names.held(words).items():
            articles = articles if scope is None else articles[members(articles, scope)]
            if 0 < len(articles) <= ARTICLE_WORD_SHARE * count:
                found[word] = np.zeros(len(self.starts), dtype=np.float32)
                found[word][articles] = idf(len(articles), count) / 2
        return found

    def _term_scores(self, terms: Sequence[str], within: np.ndarray | None = None,
                     index: SparseIndex | None = None) -> Iterator[np.ndarray]:
        """Each term's score of every article, the rarest first (in `index`,
        the words' by default), until ARTICLE_POSTINGS posting entries are
        read; a term more than ARTICLE_WORD_SHARE of the articles (of those
        holding rows `within`) hold scores nothing."""
        count, read = len(self.starts), 0
        if within is not None:
            count = len(np.unique(self.of_rows(within)))
        for rows in (index or self.index).posting_rows(terms):
            read += len(rows)
            if read > ARTICLE_POSTINGS:
                return
            rows = rows if within is None else rows[members(rows, within)]
            held = np.bincount(self.of_rows(rows), minlength=len(self.starts))
            df = int(np.count_nonzero(held))
            if df <= ARTICLE_WORD_SHARE * count:
                yield (idf(df, count) * (held / (held + 1.0))).astype(np.float32)

    def named(self, query: Query) -> int | None:
        """The article the question's words name, when they point to one far
        more than to any other (NAMED_ARTICLE_LEAD times the next best)."""
        scores = self.scores(query)
        if len(scores) < 2:
            return None
        second, first = np.partition(scores, len(scores) - 2)[-2:]
        if first <= 0 or first < NAMED_ARTICLE_LEAD * second:
            return None
        return int(np.argmax(scores))

    def leading_rows(self, query: Query, within: np.ndarray | None = None) -> np.ndarray:
        """The passages of the ARTICLES_SEARCHED best articles (the first
        ARTICLE_ROWS of each), so that their answer can be scored although no
        part named it; with `within`, of the articles there, as over them alone."""
        scores = self.scores(query) if within is None else self._scores(query, within)
        best = [a for a in top_positions(scores, ARTICLES_SEARCHED).tolist() if scores[a] > 0]
        spans = [self.rows_of(article) for article in best]
        rows = [np.arange(start, min(end, start + ARTICLE_ROWS)) for start, end in spans]
        rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        return rows if within is None else rows[members(rows, within)]

    def weights(self, query: Query, rows: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        """The prior of each of `rows`, 0 to 1: its article's score over the
        best's (among the articles of `within`, when given)."""
        scores = self.scores(query) if within is None else self._scores(query, within)
        scores = scores[self.of_rows(rows)]
        high = float(scores.max()) if len(scores) else 0.0
        return scores / high if high > 0 else np.zeros(len(rows), dtype=np.float32)


class BM25Retriever:
    """BM25 over the question's lexical terms (`SparseIndex`); with
    `topics`, a passage inherits its article's title words (`ArticleTopics`)."""

    reads_words = True

    def __init__(self, index: SparseIndex, topics: ArticleTopics | None = None):
        self._index = index
        self._topics = topics
        self.size = index.size

    def _terms(self, query: Query) -> list[str]:
        return query.terms

    def scores(self, query: Query) -> np.ndarray:
        """The score of every passage, every term counted (full scoring, for
        `search` and the exhaustive reference)."""
        key = ("scores", id(self))
        if key not in query.memo:
            query.memo[key] = self._index.scores(self._terms(query))
        return query.memo[key]

    def _match(self, query: Query) -> Match:
        """The question's terms against the index, computed once per question:
        its rare terms over every passage, its common ones only where asked."""
        key = ("match", id(self))
        if key not in query.memo:
            query.memo[key] = self._index.match(self._terms(query))
        return query.memo[key]

    def candidates(self, query: Query, k: int, within: np.ndarray | None = None) -> np.ndarray:
        # A passage without one of the question's rarer terms is no candidate
        # (in a scope, where every term is read, without one of its terms).
        if within is None:
            return self._match(query).best(k)
        scores = self._index.score_rows(self._terms(query), within, within)
        return best_of(within, scores, k, positive=True)

    def score_rows(self, query: Query, rows: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if within is None:
            scores = self._match(query).score_rows(rows)
        else:
            scores = self._index.score_rows(self._terms(query), rows, within)
        if self._topics is None or not len(rows):
            return scores
        return self._topics.inherited(self._index, self._terms(query), rows, scores, within)

    def search(self, query: Query, k: int) -> list[Hit]:
        return top_hits(self.scores(query), k)

    def document_frequencies(self, terms: list[str],
                             within: tuple[int, int] | np.ndarray | None = None) -> list[int]:
        return self._index.document_frequencies(terms, within)


class PhraseRetriever(BM25Retriever):
    """BM25 over `phrase_terms`: rewards passages that hold the question's
    words in the question's order."""

    def _terms(self, query: Query) -> list[str]:
        return query.phrases

    def candidates(self, query: Query, k: int, within: np.ndarray | None = None) -> np.ndarray:
        # None of its own: it reorders the others' candidates. A passage that
        # holds the question's words in their order holds its words, which
        # the words part finds; naming candidates from phrases cost a
        # millisecond a question at 100,000 passages, all posting lists summed.
        return np.zeros(0, dtype=np.int64)

    def score_rows(self, query: Query, rows: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        return self._index.score_rows(self._terms(query), np.asarray(rows, dtype=np.int64), within)


class DenseRetriever:
    """Cosine similarity of the question to each passage, mixed with the
    similarity of its best sentence: a paragraph that answers in one sentence
    among unrelated ones otherwise scores too low.

    Candidates come from the passage vectors' FAISS index (float16); scores
    are exact, from the 8-bit vectors of the passages and of their sentences
    (`VectorMatrix`).
    """

    reads_words = False

    def __init__(self, passages: VectorMatrix, index: VectorIndex, sentences: VectorMatrix,
                 sentence_start: np.ndarray, sentence_weight: float = 0.5):
        self._passages = passages
        self._index = index
        self._sentences = sentences
        # Sentence vectors of passage `row` are rows sentence_start[row]:sentence_start[row + 1].
        self._start = sentence_start
        self._sentence_weight = sentence_weight
        self.size = passages.size

    @property
    def passage_vectors(self) -> VectorMatrix:
        return self._passages

    @property
    def sentence_vectors(self) -> VectorMatrix:
        return self._sentences

    def candidates(self, query: Query, k: int, within: np.ndarray | None = None) -> np.ndarray:
        if within is None:
            return self._index.search(_vector(query), k).rows
        return best_of(within, self.score_rows(query, within), k)

    def passage_cosines(self, query: Query, rows: np.ndarray) -> np.ndarray:
        cosines = self._cosines(query, rows)
        return cosines.passage[cosines.at(rows)]

    def best_sentences(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """Each passage's best cosine: its own or its best sentence's."""
        cosines = self._cosines(query, rows)
        return cosines.best[cosines.at(rows)]

    def sentence_cosines(self, query: Query, rows: np.ndarray) -> list[np.ndarray]:
        """For each of `rows`, the cosines of its embedded sentences (see
        `Index.sentence_numbers`)."""
        cosines = self._cosines(query, rows)
        first = cosines.first.tolist()
        return [cosines.sentences[first[at] : first[at + 1]] for at in cosines.at(rows).tolist()]

    def score_rows(self, query: Query, rows: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        # Cosines need no statistics of the corpus: `within` changes nothing.
        passage = self.passage_cosines(query, rows)
        if not self._sentence_weight:
            return passage
        w = self._sentence_weight
        return (1 - w) * passage + w * self.best_sentences(query, rows)

    def _cosines(self, query: Query, rows: np.ndarray) -> _Cosines:
        """The question's cosines to `rows` and to their sentences, computed
        once a question: fusion scores the candidates, and answerability and
        answer extraction read the best of them again."""
        key = ("cosines", id(self))
        known: _Cosines | None = query.memo.get(key)
        rows = np.asarray(rows, dtype=np.int64)
        if known is None or not known.holds(rows):
            wanted = rows if known is None else np.concatenate([known.rows, rows])
            known = query.memo[key] = self._computed(_vector(query), np.unique(wanted))
        return known

    def _computed(self, vector: np.ndarray, rows: np.ndarray) -> _Cosines:
        starts, counts = self._start[rows], self._start[rows + 1] - self._start[rows]
        first = np.concatenate([[0], np.cumsum(counts)])
        numbers = np.repeat(starts - first[:-1], counts) + np.arange(first[-1])
        sentences = self._sentences.cosines(vector, numbers)
        passage = self._passages.cosines(vector, rows)
        best = passage.copy()
        some = counts > 0
        if some.any():
            best[some] = np.maximum(best[some], np.maximum.reduceat(sentences, first[:-1][some]))
        return _Cosines(rows, passage, best, sentences, first)

    def search(self, query: Query, k: int) -> list[Hit]:
        rows = self.candidates(query, max(k, CANDIDATES))
        return top_hits(self.score_rows(query, rows), k, rows)


@dataclass(frozen=True)
class _Cosines:
    """A question's cosines to some passages (`rows`, sorted) and to their sentences."""

    rows: np.ndarray
    passage: np.ndarray
    best: np.ndarray  # the passage's own or its best sentence's, whichever is higher
    sentences: np.ndarray  # those of rows[i] are sentences[first[i] : first[i + 1]]
    first: np.ndarray

    def at(self, rows: np.ndarray) -> np.ndarray:
        """Where each of `rows` (all held) stands in `rows`."""
        return np.searchsorted(self.rows, rows)

    def holds(self, rows: np.ndarray) -> bool:
        at = np.minimum(self.at(rows), len(self.rows) - 1)
        return bool(len(self.rows)) and bool((self.rows[at] == rows).all())


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


# The hybrid's weights, by part, chosen on CMRC 2018 trial and DRCD dev
# (thousands of questions) and checked on corpus/questions.yaml; see the
# README's table. The index (`qa.index`) gives each part its weight.
HYBRID_WEIGHTS = {"bm25": 0.425, "phrases": 0.15, "dense": 0.425}


class HybridRetriever:
    """Weighted sum of the min-max normalised scores of its parts over the
    union of their candidates, with interview turns applied when given
    (`qa.turn_ranking.answers_first`: an answer ranks above the question that asks
    it). A cross-lingual query leaves out the parts that read words: a stray
    Latin name they match ("Kubernetes" in an English question) would be
    stretched by min-max into noise. With `articles` (`ArticlePrior`), the
    passages of the articles the question's words point to are candidates
    too, and each passage gains up to ARTICLE_WEIGHT by its article's score."""

    def __init__(self, parts: Sequence[tuple[Retriever, float]], turns: TurnTable | None = None,
                 candidates: int = CANDIDATES, code_only: np.ndarray | None = None,
                 articles: ArticlePrior | None = None):
        self.parts = list(parts)
        self.turns = turns
        self.candidates = candidates
        self.code_only = code_only  # per row: the passage is code alone, no prose
        self.articles = articles

    def _active(self, query: Query) -> list[tuple[Retriever, float]]:
        return [(part, weight) for part, weight in self.parts
                if not (query.cross_lingual and part.reads_words)] or self.parts

    def rows(self, query: Query, exhaustive: bool = False, within: np.ndarray | None = None) -> np.ndarray:
        """The rows to score: every candidate of every part and the passages
        that answer them (or every passage), sorted. `within` (sorted) limits
        them to a scope: in a small one (`scored_whole`) each part names its
        best of the scope's passages, every one of them scored, as it would
        over an index of them alone; a large one gives its part of a wider
        pool of candidates."""
        if exhaustive:
            return self._answerable(query, np.arange(self.parts[0][0].size) if within is None else within)
        local = scored_whole(within)
        wanted = self.candidates if within is None or local is not None else self.candidates * SCOPE_POOL
        found = [part.candidates(query, wanted, local) for part, _ in self._active(query)]
        if self.articles is not None and (within is None or local is not None):
            found.append(self.articles.leading_rows(query, local))
        rows = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        rows = rows if self.turns is None else with_answers(rows, self.turns)
        return self._answerable(query, rows if within is None else np.intersect1d(rows, within))

    def _answerable(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """`rows` without passages of code alone, unless the question asks for
        code (or nothing else is left)."""
        if self.code_only is None or query.wants_code:
            return rows
        prose = rows[~self.code_only[rows]]
        return prose if len(prose) else rows

    def search(self, query: Query, k: int, exhaustive: bool = False,
               within: np.ndarray | None = None) -> list[Hit]:
        rows = self.rows(query, exhaustive, within)
        local = scored_whole(within)
        parts = self._active(query)
        fused = sum(weight * minmax(part.score_rows(query, rows, local)) for part, weight in parts)
        fused = np.asarray(fused, dtype=np.float32) / sum(w for _, w in parts)
        if self.articles is not None:
            fused = fused + ARTICLE_WEIGHT * self.articles.weights(query, rows, local)
        if self.turns is not None:
            fused = answers_first(rows, fused, self.turns)
        return top_hits(fused, k, rows)
