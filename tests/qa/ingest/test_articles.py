"""qa.ingest.articles: Markdown articles with YAML front matter, read as
the index reads them (`qa.ingest.documents.corpus_documents`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import ArticleError, CorpusEmptyError
from qa.ingest.articles import NoTextError, NothingToIndexError, parse_article, read_article
from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_documents
from qa.records import ArticleInfo
from qa.settings import Settings

SITE = "https://linux.cn"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_corpus(folder: Path, site_url: str) -> tuple[list[ArticleInfo], list[ArticleError]]:
    """Every article of the folder as the index reads it, and the errors of those it skips."""
    errors: list[ArticleError] = []
    articles = [article for article, _ in corpus_documents(folder, site_url, ChunkSettings(), errors)]
    return articles, errors


def _only_error(folder: Path) -> ArticleError:
    articles, errors = load_corpus(folder, SITE)
    assert articles == []
    assert len(errors) == 1
    return errors[0]


def test_broken_front_matter_is_reported_by_name_and_line_and_others_load(fixture_settings: Settings) -> None:
    articles, errors = load_corpus(fixture_settings.corpus_dir, fixture_settings.site_url)
    assert [a.id for a in articles] == ["cloud-native", "tea"]
    assert len(errors) == 1
    error = errors[0]
    assert error.path == fixture_settings.corpus_dir / "broken.md"
    assert error.line == 3  # where YAML noticed the unclosed `[` of line 2
    assert error.reason.startswith("front matter is not valid YAML")
    assert str(error) == (
        f"{fixture_settings.corpus_dir / 'broken.md'}:3: front matter is not valid YAML (while parsing a "
        f"flow sequence: expected ',' or ']', but got ':' at column 7)"
    )


def test_fixture_article_fields(fixture_settings: Settings) -> None:
    articles, _ = load_corpus(fixture_settings.corpus_dir, fixture_settings.site_url)
    cloud, tea = articles
    assert (cloud.title, cloud.author, cloud.date) == ("云原生入门", "小李", "2021-03-04")
    assert cloud.tags == ("云原生", "Kubernetes")
    assert (tea.title, tea.author, tea.date, tea.tags) == ("茶馆访谈", "老张", "2020-05-06", ())


@pytest.mark.parametrize(
    ("date_line", "date"),
    [
        ("date: '2019-11-11 22:20:00'", "2019-11-11"),  # the seed's quoted form
        ("date: 2019-11-11 22:20:00", "2019-11-11"),  # YAML reads this as a datetime
        ("date: 2019-11-11T22:20:00", "2019-11-11"),
        ("date: 2019-11-11", "2019-11-11"),
        ("date: '2019-11-11'", "2019-11-11"),
    ],
)
def test_date_keeps_the_day_only(date_line: str, date: str) -> None:
    article = parse_article(Path("a.md"), f"---\n{date_line}\n---\n正文。\n", SITE)
    assert article.date == date


def test_relative_permalink_is_joined_to_site_url() -> None:
    article = parse_article(Path("a.md"), "---\npermalink: /article-11563-1.html\n---\n", SITE)
    assert article.url == "https://linux.cn/article-11563-1.html"


def test_url_wins_over_permalink() -> None:
    source = "---\npermalink: /article-1.html\nurl: https://example.org/tea\n---\n"
    assert parse_article(Path("a.md"), source, SITE).url == "https://example.org/tea"


def test_fixture_tea_url_is_used_as_is(fixture_settings: Settings) -> None:
    articles, _ = load_corpus(fixture_settings.corpus_dir, fixture_settings.site_url)
    assert {a.id: a.url for a in articles} == {
        "cloud-native": "https://linux.cn/article-1-1.html",
        "tea": "https://example.org/tea",
    }


def test_missing_optional_fields_are_fine() -> None:
    article = parse_article(Path("notes.md"), "只有正文，没有前言。\n", SITE)
    assert (article.id, article.title, article.author, article.date, article.url, article.tags) == (
        "notes",
        "notes",
        None,
        None,
        None,
        (),
    )
    assert article.body_start == 0
    assert article.body == "只有正文，没有前言。\n"


def test_body_starts_after_front_matter() -> None:
    source = "---\ntitle: 标题\nextra: {a: 1}\n---\n正文第一行。\n"
    article = parse_article(Path("a.md"), source, SITE)
    assert article.title == "标题"
    assert article.body == "正文第一行。\n"
    assert article.source == source


def test_single_tag_string_becomes_a_list() -> None:
    article = parse_article(Path("a.md"), "---\ntags: 灵雀云\n---\n", SITE)
    assert article.tags == ("灵雀云",)


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "gbk.md").write_bytes("---\ntitle: 中文\n---\n正文".encode("gbk"))
    error = _only_error(tmp_path)
    assert error.path == tmp_path / "gbk.md"
    assert error.reason.startswith("not UTF-8 text")
    assert "save it as UTF-8" in error.reason


def test_front_matter_list_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "list.md", "---\n- a\n- b\n---\n正文\n")
    error = _only_error(tmp_path)
    assert error.path == tmp_path / "list.md"
    assert error.line == 2
    assert error.reason == "front matter must be a YAML mapping (key: value lines)"


def test_invalid_field_is_reported_with_its_name(tmp_path: Path) -> None:
    _write(tmp_path, "bad.md", "---\ntitle: ok\ndate: someday\n---\n正文\n")
    error = _only_error(tmp_path)
    assert error.reason.startswith("front matter has invalid fields: date:")


def test_errors_do_not_stop_the_other_articles(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", "---\ntitle: A\n---\n正文。\n")
    _write(tmp_path, "b.md", "---\ntitle: [B\n---\n正文。\n")
    _write(tmp_path, "c.markdown", "---\ntitle: C\n---\n正文。\n")
    _write(tmp_path, "notes.txt", "not an article")
    articles, errors = load_corpus(tmp_path, SITE)
    assert [a.id for a in articles] == ["a", "c"]
    assert [e.path.name for e in errors] == ["b.md"]


def test_articles_in_subfolders_are_found(tmp_path: Path) -> None:
    (tmp_path / "2019").mkdir()
    _write(tmp_path / "2019", "deep.md", "---\ntitle: 深处\n---\n正文。\n")
    articles, errors = load_corpus(tmp_path, SITE)
    assert [a.title for a in articles] == ["深处"]
    assert errors == []


def test_windows_line_endings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    path.write_bytes("---\r\ntitle: 换行\r\ndate: 2020-01-02\r\n---\r\n正文。\r\n".encode())
    article = read_article(path, SITE)
    assert (article.title, article.date, article.body) == ("换行", "2020-01-02", "正文。\n")


def test_article_error_message_names_path_and_line() -> None:
    error = ArticleError(Path("corpus/x.md"), "front matter is broken", 4)
    assert str(error) == "corpus/x.md:4: front matter is broken"
    assert str(ArticleError(Path("corpus/x.md"), "cannot be read")) == "corpus/x.md: cannot be read"


# --- files with nothing to index -------------------------------------------------------------


def test_empty_file_is_skipped_as_empty(tmp_path: Path) -> None:
    _write(tmp_path, "empty.md", "")
    _write(tmp_path, "blank.md", "  \n\n\t\n")
    articles, errors = load_corpus(tmp_path, SITE)
    assert articles == []
    assert [(e.path.name, type(e)) for e in errors] == [("blank.md", NoTextError), ("empty.md", NoTextError)]
    assert str(errors[1]) == (
        f"{tmp_path / 'empty.md'}: is empty: write the article's paragraphs in it, or remove the file"
    )


def test_front_matter_without_text_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path, "meta.md", "---\ntitle: 只有前言\nauthor: 老王\n---\n\n")
    error = _only_error(tmp_path)
    assert isinstance(error, NoTextError)
    assert error.reason == (
        "has front matter and nothing after it: write the article's paragraphs in it, or remove the file"
    )


def test_file_of_control_characters_is_skipped_with_their_count(tmp_path: Path) -> None:
    garbage = "".join(chr(c) for c in (*range(1, 9), *range(14, 32), *range(127, 160))) * 20
    _write(tmp_path, "binary.md", "\n".join(garbage[i : i + 60] for i in range(0, len(garbage), 60)))
    error = _only_error(tmp_path)
    assert isinstance(error, NoTextError)
    assert error.reason == (
        f"is not text: {len(garbage)} of its {len(garbage)} characters are control or other non-printable "
        f"characters; save the article as UTF-8 Markdown"
    )


def test_mostly_control_characters_with_some_letters_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path, "mixed.md", "\n\n".join("\x01\x02\x03ab\x04\x05\x06" for _ in range(10)))
    assert _only_error(tmp_path).reason.startswith("is not text: 60 of its 80 characters")


def test_text_with_a_bom_zero_width_spaces_and_a_stray_control_character_is_kept(tmp_path: Path) -> None:
    _write(tmp_path, "ok.md", "\ufeff灵雀云\u200b的产品\u200d分三层。\x07\n\n表格\x0c之后的段落。\n")
    articles, errors = load_corpus(tmp_path, SITE)
    assert ([a.id for a in articles], errors) == (["ok"], [])


def test_nothing_to_index_names_the_folder_and_the_skipped_count(tmp_path: Path) -> None:
    _write(tmp_path, "empty.md", "")
    _, errors = load_corpus(tmp_path, SITE)
    error = NothingToIndexError(tmp_path, errors)
    assert isinstance(error, CorpusEmptyError)
    assert error.skipped == errors
    assert str(error) == (
        f"no readable article in {tmp_path} (1 file(s) skipped): add Markdown files (.md) with YAML "
        f"front matter and paragraphs of text"
    )


def test_nothing_to_index_in_a_missing_folder_says_to_create_it(tmp_path: Path) -> None:
    assert str(NothingToIndexError(tmp_path / "nowhere", [])) == (
        f"the corpus folder {tmp_path / 'nowhere'} does not exist: create it and put Markdown articles "
        f"in it, or set QA_CORPUS_DIR to the folder that holds them"
    )
