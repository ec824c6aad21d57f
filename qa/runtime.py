"""Wiring: settings → embedder, tokenizer, index. The one place that knows
which concrete classes the settings select."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from embeddings.base import Embedder
from embeddings.cache import EmbeddingCache
from qa.chunker import ChunkSettings
from qa.corpus import NoTextError, NothingToIndexError
from qa.errors import ArticleError
from qa.index import BuildReport, Index, Progress, collect_passages, write_index
from qa.lock import index_lock, remove_stale_staging
from qa.records import ArticleInfo, PassageRecord
from qa.settings import Settings
from qa.tokenize import Tokenizer


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "sentence-transformers":
        from embeddings.sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(
            settings.model, settings.query_prompt, settings.document_prompt
        )
    from embeddings.e5 import E5Embedder

    return E5Embedder(threads=settings.embed_threads)


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
    }


@dataclass
class IndexReport(BuildReport):
    from_cache: int = 0  # distinct texts whose vectors came from the cache
    removed_staging: list[Path] = field(default_factory=list)  # left by a killed `qa index`


def build_index(
    settings: Settings, embedder: Embedder | None = None, progress: Progress | None = None
) -> IndexReport:
    """Index the corpus into `settings.index_dir`, one writer at a time
    (IndexLockedError while another holds it). Articles without a passage
    are left out and reported with the unreadable ones."""
    with index_lock(settings.index_dir):
        removed = remove_stale_staging(settings.index_dir)
        articles, passages, errors = collect_passages(
            settings.corpus_dir, settings.site_url, chunk_settings(settings)
        )
        articles, without_text = _split_by_passages(articles, passages)
        errors = sorted(errors + without_text, key=lambda e: str(e.path))
        if not passages:
            raise NothingToIndexError(settings.corpus_dir, errors)
        cache = _CountingCache(Path(settings.cache_dir) / "embeddings.sqlite")
        try:
            report = write_index(settings.index_dir, articles, passages, embedder or make_embedder(settings),
                                 make_tokenizer(settings), cache, settings_record(settings), progress)
        finally:
            cache.close()
    values = {f.name: getattr(report, f.name) for f in fields(report)}
    return IndexReport(**{**values, "errors": errors}, from_cache=cache.hits, removed_staging=removed)


def _split_by_passages(
    articles: list[ArticleInfo], passages: list[PassageRecord]
) -> tuple[list[ArticleInfo], list[ArticleError]]:
    """The articles that have a passage, and an error for each of the others
    (only headings, images, rules or markup: the chunker left nothing)."""
    with_text = {p.article_id for p in passages}
    errors: list[ArticleError] = [
        NoTextError(Path(a.path), "has no paragraph of text, only headings, images, rules or markup: "
                                  "add the article's paragraphs, or remove the file")
        for a in articles if a.id not in with_text
    ]
    return [a for a in articles if a.id in with_text], errors


class _CountingCache(EmbeddingCache):
    """The embedding cache, counting the texts it had, for an honest report."""

    hits = 0

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = super().get(keys)
        self.hits += len(found)
        return found


def open_index(settings: Settings, embedder: Embedder | None = None) -> Index:
    return Index.load(settings.index_dir, embedder or make_embedder(settings),
                      make_tokenizer(settings), settings_record(settings))


def open_service(settings: Settings, embedder: Embedder | None = None):
    """The answer service over the index on disk, configured by `settings`."""
    from qa.service import QAService

    return QAService(open_index(settings, embedder), max_question_chars=settings.max_question_chars,
                     default_top_k=settings.top_k, answer_threshold=settings.answer_threshold)
