"""The corpus folder as documents: each readable article with its passages
and their interview turns, one article at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from qa.errors import ArticleError
from qa.ingest.articles import ARTICLE_SUFFIXES, Article, NoTextError, read_article
from qa.ingest.chunker import ChunkSettings, chunk_article
from qa.ingest.turns import detect_turns
from qa.records import ArticleInfo, PassageRecord
from qa.text import sentence_spans

Document = tuple[ArticleInfo, list[PassageRecord]]


def passage_records(article: Article, chunking: ChunkSettings) -> list[PassageRecord]:
    """The article's passages, each with its interview turn (qa.ingest.turns)."""
    chunks = chunk_article(article, chunking)
    turns = detect_turns([p.text for p in chunks], [p.section for p in chunks], article.author,
                         article.title, [article.source[slice(*p.span)] for p in chunks])
    return [
        PassageRecord(p.id, p.article_id, p.text, p.section, p.paragraph, p.span,
                      tuple(sentence_spans(p.text)), tuple(p.links), turn.speaker, turn.role,
                      None if turn.answered_by is None else chunks[turn.answered_by].id)
        for p, turn in zip(chunks, turns, strict=True)
    ]


def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.rglob("*") if p.suffix in ARTICLE_SUFFIXES and p.is_file())


def corpus_documents(corpus_dir: Path, site_url: str, chunking: ChunkSettings,
                     errors: list[ArticleError]) -> Iterator[Document]:
    """Each readable article of the folder with its passages, one at a time.
    An article that cannot be read, or holds no text passage, goes to `errors`."""
    for path in corpus_files(corpus_dir):
        try:
            article = read_article(path, site_url)
        except ArticleError as exc:
            errors.append(exc)
            continue
        records = passage_records(article, chunking)
        if not records:
            errors.append(NoTextError(path, "has no paragraph of text, only headings, images, rules or "
                                            "markup: add the article's paragraphs, or remove the file"))
            continue
        yield ArticleInfo.of(article), records
