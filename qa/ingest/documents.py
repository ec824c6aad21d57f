"""The corpus folder as documents: each readable article with its passages
and their interview turns, one article at a time.

No article stops the others: a failure in reading, chunking or finding an
article's turns, expected or not, skips that article with an error that
names the file and the stage, and the rest is indexed. The same text
saved twice is indexed once; two different files with one name get ids
that tell them apart.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from qa.errors import ArticleError
from qa.ingest.articles import ARTICLE_SUFFIXES, Article, NoTextError, read_article
from qa.ingest.boilerplate import Boilerplate
from qa.ingest.chunker import ChunkSettings, Passage, chunk_article
from qa.ingest.turns import PassageTurn, detect_turns
from qa.records import ArticleInfo, PassageRecord
from qa.text import sentence_spans

Document = tuple[ArticleInfo, list[PassageRecord]]
T = TypeVar("T")


def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.rglob("*") if p.suffix in ARTICLE_SUFFIXES and p.is_file())


def learn_boilerplate(paths: Iterable[Path], site_url: str) -> Boilerplate:
    """The lines that recur across the articles of `paths` (`qa.ingest.boilerplate`).
    A file that cannot be read is left out here and reported when it is indexed."""
    return Boilerplate.learn(body for path in paths if (body := _body(path, site_url)) is not None)


def _body(path: Path, site_url: str) -> str | None:
    try:
        return read_article(path, site_url).body
    except Exception:  # reported by corpus_documents, with its stage
        return None


def corpus_documents(corpus_dir: Path, site_url: str, chunking: ChunkSettings, errors: list[ArticleError],
                     boilerplate: Boilerplate | None = None) -> Iterator[Document]:
    """Each readable article of the folder with its passages, one at a time.
    An article that cannot be read, holds no text passage, repeats an earlier
    file or fails in any stage goes to `errors`."""
    first_of_text: dict[str, Path] = {}
    ids: set[str] = set()
    for path in corpus_files(corpus_dir):
        try:
            article = _stage("reading", path, read_article, path, site_url)
            _check_not_repeated(article, first_of_text)
            article = _unique_id(article, ids)
            records = passage_records(article, chunking, boilerplate)
        except ArticleError as exc:
            errors.append(exc)
            continue
        ids.add(article.id)
        yield article_info(article), records


def article_info(article: Article) -> ArticleInfo:
    """What the index keeps of an article."""
    return ArticleInfo(article.id, article.title, article.author, article.date, article.url,
                       article.tags, str(article.path), article.original_url, article.translator,
                       article.proofreader)


def passage_records(article: Article, chunking: ChunkSettings,
                    boilerplate: Boilerplate | None = None) -> list[PassageRecord]:
    """The article's passages, each with its interview turn (qa.ingest.turns)."""
    chunks = _stage("chunking", article.path, chunk_article, article, chunking, boilerplate)
    if not chunks:
        raise NoTextError(article.path, "has no paragraph of text, only headings, images, rules or "
                                        "markup: add the article's paragraphs, or remove the file")
    turns = _stage("finding speakers and turns", article.path, _turns, article, chunks)
    return [
        PassageRecord(p.id, p.article_id, p.text, p.section, p.paragraph, p.span,
                      tuple(sentence_spans(p.text)), tuple(p.links), turn.speaker, turn.role,
                      None if turn.answered_by is None else chunks[turn.answered_by].id, code=p.code)
        for p, turn in zip(chunks, turns, strict=True)
    ]


def _turns(article: Article, chunks: list[Passage]) -> list[PassageTurn]:
    return detect_turns([p.text for p in chunks], [p.section for p in chunks], article.author,
                        article.title, [article.source[slice(*p.span)] for p in chunks])


def _stage(stage: str, path: Path, call: Callable[..., T], *args: object) -> T:
    """`call(*args)`; any failure but an ArticleError becomes one that names the stage."""
    try:
        return call(*args)
    except ArticleError:
        raise
    except Exception as exc:  # one article must not stop the build
        raise ArticleError(path, f"{stage} failed ({type(exc).__name__}: {exc}); the other articles "
                                 f"are indexed. Please report it with this file") from exc


def _check_not_repeated(article: Article, first_of_text: dict[str, Path]) -> None:
    digest = hashlib.sha256(article.source.encode()).hexdigest()
    first = first_of_text.setdefault(digest, article.path)
    if first != article.path:
        raise ArticleError(article.path, f"has the same text as {first}, which is indexed: "
                                         f"remove one of them")


def _unique_id(article: Article, ids: set[str]) -> Article:
    """The article, its id told apart from an earlier one's (same file name,
    another folder) by its folder's name."""
    if article.id not in ids:
        return article
    return dataclasses.replace(article, id=f"{article.id} ({article.path.parent.name})")
