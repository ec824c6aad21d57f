"""Articles: Markdown files with YAML front matter, validated with pydantic."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qa.errors import ArticleError, CorpusEmptyError
from qa.ingest.headers import path_date, person, read_credits, read_headers, read_title, web_url

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
ARTICLE_SUFFIXES = (".md", ".markdown")
# Text, even with a stray control character, a BOM or zero-width spaces, has
# next to none; a binary or corrupted file saved as .md is mostly made of them.
MAX_NON_TEXT_SHARE = 0.5
# Control characters other than line ends and tabs, surrogates, private-use and
# unassigned code points. Format characters (Cf: BOM, zero-width joiners) are text.
_NON_TEXT_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})


class NoTextError(ArticleError):
    """An article that reads fine but holds no text to index: empty, front
    matter only, only images, rules or markup, or mostly control characters."""


class NothingToIndexError(CorpusEmptyError):
    """No article of the corpus folder has a passage; `skipped` says why of each."""

    def __init__(self, corpus_dir: Path, skipped: list[ArticleError]):
        self.skipped = skipped
        if not corpus_dir.is_dir():
            super().__init__(f"the corpus folder {corpus_dir} does not exist: create it and put "
                             f"Markdown articles in it, or set QA_CORPUS_DIR to the folder that holds them")
            return
        what = f" ({len(skipped)} file(s) skipped)" if skipped else ""
        super().__init__(f"no readable article in {corpus_dir}{what}: add Markdown files (.md) with "
                         f"YAML front matter and paragraphs of text")


class FrontMatter(BaseModel):
    """The fields we use; other fields (counts, pictures, …) are allowed and ignored."""

    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    author: str | None = None
    date: dt.date | None = None
    permalink: str | None = None
    url: str | None = Field(default=None, description="full source URL; wins over permalink")
    tags: list[str] = []
    summary: str | None = None
    questions: list[str] = Field(default=[], description="questions this article answers, for the demo")

    @field_validator("date", mode="before")
    @classmethod
    def _date_prefix(cls, value: object) -> object:
        # The seed writes '2019-11-11 22:20:00'; a citation needs the day only.
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str) and len(value) > 10 and value[10] in " T":
            return value[:10]
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_list(cls, value: object) -> object:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class Article:
    id: str
    path: Path
    source: str  # the whole file, as read
    body_start: int  # offset of the body (after front matter) in `source`
    title: str
    author: str | None
    date: str | None
    url: str | None  # the published page, what a citation links to
    tags: tuple[str, ...]
    original_url: str | None = None  # for a translation, the original article
    translator: str | None = None
    proofreader: str | None = None
    questions: tuple[str, ...] = ()  # front matter's: questions it answers, offered as examples

    @property
    def body(self) -> str:
        return self.source[self.body_start :]


def article_id(path: Path) -> str:
    return path.stem


def parse_article(path: Path, source: str, site_url: str) -> Article:
    match = _FRONT_MATTER.match(source)
    meta: dict = {}
    body_start = 0
    if match:
        body_start = match.end()
        try:
            meta = yaml.safe_load(match.group(1) or "") or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark else None  # +1 for 1-based, +1 for the '---'
            raise ArticleError(path, f"front matter is not valid YAML ({_yaml_problem(exc)})",
                               line) from exc
        if not isinstance(meta, dict):
            raise ArticleError(path, "front matter must be a YAML mapping (key: value lines)", 2)
    try:
        front = FrontMatter.model_validate(meta)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ArticleError(path, f"front matter has invalid fields: {problems}") from exc
    return _with_archive_metadata(path, source, body_start, front, site_url)


def _with_archive_metadata(path: Path, source: str, body_start: int, front: FrontMatter,
                           site_url: str) -> Article:
    """The article, its metadata taken from the front matter first, then from
    the archive's header lines, first-level title and credit block
    (`qa.ingest.headers`), then from its path. The header lines and the
    title are not body text."""
    body = source[body_start:]
    header, text_start = read_headers(body)
    heading, text_start = read_title(body, text_start)
    credits = read_credits(body)
    original = web_url(header.get("via")) or web_url(credits.get("via"))
    author = header.get("author") or credits.get("author")
    return Article(
        id=article_id(path),
        path=path,
        source=source,
        body_start=body_start + text_start,
        title=front.title or heading or header.get("subject") or path.stem,
        author=front.author or (person(author) if author else None),
        date=front.date.isoformat() if front.date else _date(header.get("date")) or path_date(path),
        url=front.url or (urljoin(site_url, front.permalink) if front.permalink else None)
        or web_url(header.get("url")) or original,
        tags=tuple(front.tags),
        original_url=original,
        translator=header.get("translator") or credits.get("translator"),
        proofreader=header.get("proofreader") or credits.get("proofreader"),
        questions=tuple(front.questions),
    )


def _date(value: str | None) -> str | None:
    """`YYYY-MM-DD` at the start of a header's date, or None."""
    match = re.match(r"\d{4}-\d{2}-\d{2}", value or "")
    return match.group(0) if match else None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's reason on one line, without its quoted snippet and caret."""
    problem = getattr(exc, "problem", None)
    if not problem:
        return " ".join(str(exc).split())
    context = getattr(exc, "context", None)
    mark = getattr(exc, "problem_mark", None)
    column = f" at column {mark.column + 1}" if mark else ""
    return f"{context}: {problem}{column}" if context else f"{problem}{column}"


def check_text(article: Article) -> None:
    """Refuse an article whose body has nothing to read, or is not text."""
    body = article.body
    if not body.strip():
        what = "has front matter and nothing after it" if article.body_start else "is empty"
        raise NoTextError(article.path, f"{what}: write the article's paragraphs in it, or remove the file")
    # Spaces and line ends do not count; control characters that Python calls
    # space (\x1c-\x1f) do.
    chars = [ch for ch in body if ch not in "\n\r\t " and (not ch.isspace() or _is_non_text(ch))]
    non_text = sum(map(_is_non_text, chars))
    if chars and non_text / len(chars) > MAX_NON_TEXT_SHARE:
        raise NoTextError(
            article.path, f"is not text: {non_text} of its {len(chars)} characters are control or other "
                  f"non-printable characters; save the article as UTF-8 Markdown"
        )


def _is_non_text(ch: str) -> bool:
    return unicodedata.category(ch) in _NON_TEXT_CATEGORIES or ch == "\ufffd"


def read_article(path: Path, site_url: str) -> Article:
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            path, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise ArticleError(path, f"cannot be read ({exc.strerror})") from exc
    article = parse_article(path, source.replace("\r\n", "\n"), site_url)
    check_text(article)
    return article
