"""Load the current generation of the index (`qa.build` writes it) for
searching: the records, the retrievers over its sparse and dense parts, and
the means to prepare a question's query.

Every file is checked against the generation's manifest (`qa.manifest`)
before it is opened. Vectors are 8-bit codes, memory-mapped
(`embeddings.store`); so are the sparse indexes (`qa.sparse`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from embeddings.base import Embedder
from embeddings.store import VectorIndex, VectorMatrix
from qa.article_names import ArticleNames, name_words
from qa.errors import IndexDamagedError
from qa.generations import current_generation as current_generation  # api.app imports it from here
from qa.generations import generation_folder
from qa.gloss import glossed
from qa.manifest import check_built_with, read_manifest, verify_files
from qa.passage_store import PassageStore
from qa.records import ArticleInfo
from qa.retrieval import (
    HYBRID_WEIGHTS,
    NAMED_ARTICLE_ROWS,
    ArticlePrior,
    ArticleTopics,
    BM25Retriever,
    DenseRetriever,
    Hit,
    HybridRetriever,
    PhraseRetriever,
    Query,
    asks_for_code,
    scored_whole,
)
from qa.scope import Scope, ScopeTable
from qa.sparse import SparseIndex
from qa.terms import phrase_terms, query_terms
from qa.text import comparable, mostly_cjk, normalize
from qa.tokenize import Tokenizer
from qa.turn_ranking import TurnTable


@dataclass
class Index:
    """A loaded index: records, retrievers, and the means to prepare a query."""

    folder: Path  # the generation
    manifest: dict
    articles: dict[str, ArticleInfo]
    passages: PassageStore
    embedder: Embedder
    tokenizer: Tokenizer
    bm25: BM25Retriever
    phrases: PhraseRetriever
    dense: DenseRetriever
    hybrid: HybridRetriever
    sentence_where: np.ndarray  # [passage row, sentence number] of each embedded sentence
    sentence_start: np.ndarray  # embedded sentences of passage `row`: start[row]:start[row + 1]
    scopes: ScopeTable  # each article's rows and each row's speaker, for a question's scope

    @property
    def generation(self) -> str:
        return self.folder.name

    @property
    def size(self) -> int:
        return self.passages.size

    @property
    def corpus_is_cjk(self) -> bool:
        """Most passages hold CJK characters."""
        return bool(self.manifest.get("corpus_is_cjk", True))

    def sentence_numbers(self, row: int) -> np.ndarray:
        """Which sentences of passage `row` have a vector, in the order of
        `DenseRetriever.sentence_cosines`."""
        return self.sentence_where[self.sentence_start[row] : self.sentence_start[row + 1], 1]

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder, tokenizer: Tokenizer,
             settings_record: dict | None = None) -> Index:
        """The current generation of the index in `index_dir`. Every file is
        checked against the manifest first; any damage is an IndexDamagedError
        that names the file."""
        folder = generation_folder(index_dir)
        try:
            manifest = read_manifest(folder / "manifest.json")
        except (OSError, ValueError) as exc:
            raise IndexDamagedError(folder, f"manifest.json cannot be read ({exc})") from exc
        check_built_with(manifest, folder, embedder.model_id, embedder.dim, settings_record)
        verify_files(folder, manifest)
        try:
            return cls._open(folder, manifest, embedder, tokenizer)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # a build that went wrong
            raise IndexDamagedError(folder, f"it cannot be opened ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def _open(cls, folder: Path, manifest: dict, embedder: Embedder, tokenizer: Tokenizer) -> Index:
        articles = [ArticleInfo(**{**a, "tags": tuple(a["tags"]), "questions": tuple(a["questions"])})
                    for a in json.loads((folder / "articles.json").read_text("utf-8"))]
        passages = PassageStore(folder)
        # Rows of an article are consecutive, and articles.json lists them in row order.
        starts = np.append(np.unique(np.load(folder / "passages.article_starts.npy")), passages.size)
        topics = ArticleTopics(starts[:-1], [comparable(a.title) for a in articles])
        words = SparseIndex.load(folder / "bm25")
        bm25 = BM25Retriever(words, topics)
        phrase_index = SparseIndex.load(folder / "phrases")
        phrases = PhraseRetriever(phrase_index)
        start = np.load(folder / "sentences.start.npy")
        dense = DenseRetriever(VectorMatrix.open(folder / "passages.i8", embedder.dim),
                               VectorIndex.load(folder / "passages.faiss"),
                               VectorMatrix.open(folder / "sentences.i8", embedder.dim), start)
        parts = {"bm25": bm25, "phrases": phrases, "dense": dense}
        turns = TurnTable(np.load(folder / "turns.asking.npy"), np.load(folder / "turns.answered_by.npy"))
        hybrid = HybridRetriever([(parts[name], w) for name, w in HYBRID_WEIGHTS.items()], turns,
                                 code_only=np.load(folder / "passages.code.npy"),
                                 articles=ArticlePrior(words, starts[:-1], _names(articles), phrase_index))
        scopes = ScopeTable(articles, starts, json.loads((folder / "speakers.json").read_text("utf-8")),
                            np.load(folder / "passages.speakers.npy"))
        return cls(folder, manifest, {a.id: a for a in articles}, passages, embedder, tokenizer,
                   bm25, phrases, dense, hybrid, np.load(folder / "sentences.where.npy"), start, scopes)

    # --- what the answer's stages ask of an index (they use these, not its parts) ---
    def search(self, query: Query, k: int, exhaustive: bool = False, scope: Scope | None = None) -> list[Hit]:
        """The hybrid's best `k` passages of those `scope` allows (`qa.scope`)."""
        within = self.scopes.rows(scope) if scope else None
        return self.hybrid.search(query, k, exhaustive=exhaustive, within=within)

    def statistics_rows(self, scope: Scope | None) -> np.ndarray | None:
        """The rows over which a question in `scope` weighs its words: the
        scope's, where it is scored whole (`qa.retrieval.scored_whole`);
        None for every passage."""
        return scored_whole(self.scopes.rows(scope)) if scope else None

    def document_frequencies(self, terms: list[str],
                             within: tuple[int, int] | np.ndarray | None = None) -> list[int]:
        """How many passages hold each BM25 term (of rows [start, end), or of
        the sorted rows, `within`)."""
        return self.bm25.document_frequencies(terms, within)

    def article_rows(self, row: int) -> tuple[int, int]:
        """The rows [start, end) of the article that holds passage `row`."""
        articles = self.hybrid.articles
        return (0, self.size) if articles is None else articles.bounds(row)

    def answering_row(self, row: int) -> int | None:
        """The row of the passage that answers passage `row` (an interviewer's
        question or a set-up, `qa.turn_ranking`), if any."""
        turns = self.hybrid.turns
        answer = -1 if turns is None else int(turns.answered_by[row])
        return None if answer < 0 else answer

    def passage_cosines(self, query: Query, rows: np.ndarray) -> np.ndarray:
        return self.dense.passage_cosines(query, rows)

    def sentence_cosines(self, query: Query, rows: np.ndarray) -> list[np.ndarray]:
        """For each of `rows`, the cosines of its sentences that have a vector (`sentence_numbers`)."""
        return self.dense.sentence_cosines(query, rows)

    def best_sentence_cosines(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """Each passage's best cosine: its own or its best sentence's."""
        return self.dense.best_sentences(query, rows)

    @property
    def answer_cosines(self) -> tuple[float, float] | None:
        """The embedder's scale of cosines as evidence of an answer."""
        return self.embedder.answer_cosines

    @property
    def cross_lingual_cosines(self) -> tuple[float, float] | None:
        return self.embedder.cross_lingual_cosines

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(normalize(text))

    def query_vector(self, query: Query, within: np.ndarray | None = None) -> np.ndarray:
        """The vector of a prepared question: an English one over Chinese
        articles followed by its Chinese gloss (`qa.gloss`). With `within`
        (a scope's rows, `statistics_rows`), its words are rendered as over
        those passages alone: asked of the interview, as over the interview."""
        if not (query.cross_lingual and self.corpus_is_cjk):
            return self.embed_query(query.text)
        return self.embed_query(glossed(query.text, partial(self._frequencies, query, within)))

    def _frequencies(self, query: Query, within: np.ndarray | None,
                     words: Sequence[str]) -> list[tuple[int, int]]:
        """How many passages hold each of `words`: of the articles `query`
        points to and of the whole index, or, with `within`, of those rows (twice)."""
        words = list(words)
        if within is not None:
            held = self.document_frequencies(words, within)
            return list(zip(held, held, strict=True))
        articles = self.hybrid.articles
        leading = np.sort(articles.leading_rows(query)) if articles is not None else np.zeros(0, np.int64)
        near = self.document_frequencies(words, leading) if len(leading) else [0] * len(words)
        return list(zip(near, self.document_frequencies(words), strict=True))

    def named_article(self, text: str) -> str | None:
        """The id of the article a question's words name above all others
        (`ArticlePrior.named`), if it has NAMED_ARTICLE_ROWS passages or more."""
        articles = self.hybrid.articles
        found = None if articles is None else articles.named(self.query(text, embed=False))
        if found is None:
            return None
        start, end = articles.rows_of(found)
        return self.scopes.articles[found].id if end - start >= NAMED_ARTICLE_ROWS else None

    def query(self, text: str, embed: bool = True) -> Query:
        """Terms and (unless `embed` is false) the vector of a question."""
        query = Query(text, query_terms(self.tokenizer, text),
                      phrases=list(dict.fromkeys(phrase_terms(text))),
                      cross_lingual=mostly_cjk(text) != self.corpus_is_cjk,
                      wants_code=asks_for_code(text))
        if embed:
            query.vector = self.query_vector(query)
        return query


def _names(articles: list[ArticleInfo]) -> ArticleNames:
    """The articles' English names, in row order (`qa.article_names`)."""
    return ArticleNames.of(name_words(a.id, a.original_url) for a in articles)
