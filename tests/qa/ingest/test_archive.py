"""The real archive (../shared/bench/lctt-2019, 891 articles of the seed's
publisher, as published): every article is read, chunked and searched for
turns without an exception, its metadata is read, and no passage is made of
its credit blocks or header lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from qa.errors import ArticleError
from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_documents, corpus_files, learn_boilerplate
from qa.text import comparable

ARCHIVE = Path(__file__).resolve().parents[3].parent / "shared" / "bench" / "lctt-2019"
BENCH_DATA = Path(__file__).resolve().parents[3] / "bench" / "data"
pytestmark = [pytest.mark.archive,
              pytest.mark.skipif(not ARCHIVE.is_dir(), reason=f"the archive is not at {ARCHIVE}")]
CREDIT_OR_HEADER = re.compile(r"^(?:via:|作者[:：]|译者[:：]|校对[:：]|选题[:：]|本文由|\[#\])", re.MULTILINE)


@pytest.fixture(scope="module")
def documents() -> tuple[list, list[ArticleError]]:
    files = corpus_files(ARCHIVE)
    errors: list[ArticleError] = []
    boilerplate = learn_boilerplate(files, "https://linux.cn")
    return list(corpus_documents(ARCHIVE, "https://linux.cn", ChunkSettings(), errors, boilerplate)), errors


def test_every_article_is_read_but_the_one_that_repeats_another(documents) -> None:
    read, errors = documents
    assert len(read) == 890
    first = ARCHIVE / "201909" / "20190901 Best Linux Distributions For Everyone in 2019.md"
    assert [(e.path.parent.name, e.reason.split(",")[0]) for e in errors] == [
        ("201910", f"has the same text as {first}")]


def test_titles_and_urls_come_from_the_articles_not_their_file_names(documents) -> None:
    read, _ = documents
    articles = [article for article, _ in read]
    assert sum(a.title != Path(a.path).stem for a in articles) >= 0.99 * len(articles)
    assert sum(bool(a.original_url) for a in articles) >= 0.99 * len(articles)
    heads = {a.id: Path(a.path).read_text(encoding="utf-8")[:1000] for a in articles}
    with_url_line = [a for a in articles if re.search(r"\[#\]: url: .*linux\.cn/article-", heads[a.id])]
    assert len(with_url_line) > 750
    linux_cn = [a for a in with_url_line if a.url.startswith("https://linux.cn/article-")]
    assert len(linux_cn) >= 0.95 * len(with_url_line)


def test_no_passage_is_made_of_credit_or_header_lines(documents) -> None:
    read, _ = documents
    found = [r.id for _, records in read for r in records if CREDIT_OR_HEADER.search(r.text)]
    assert found == []


@pytest.mark.parametrize("name", ["lctt-2019-questions.yaml", "lctt-2019-english.yaml"])
def test_every_gold_phrase_of_the_archive_sets_is_in_a_passage_of_its_article(documents, name: str) -> None:
    # A phrase the reader or chunker breaks (ruby, links, a split paragraph)
    # could never be found: the set would measure the reader, not the answer.
    read, _ = documents
    texts = {Path(a.path).relative_to(ARCHIVE).as_posix(): [comparable(r.text) for r in records]
             for a, records in read}
    questions = yaml.safe_load((BENCH_DATA / name).read_text(encoding="utf-8"))
    lost = [(q["question"], phrase) for q in questions for phrase in q["expect"]
            if not any(comparable(phrase) in text for text in texts[q["article"]])]
    assert lost == []
