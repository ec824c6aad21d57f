"""qa.ingest.documents: no article stops the build, a repeated file is indexed
once, and a repeated name gets an id of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import ArticleError
from qa.ingest import documents
from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_documents

SITE = "https://linux.cn"


def _read(folder: Path) -> tuple[list[str], list[ArticleError]]:
    errors: list[ArticleError] = []
    ids = [article.id for article, _ in corpus_documents(folder, SITE, ChunkSettings(), errors)]
    return ids, errors


def test_a_failure_in_one_articles_turns_skips_it_naming_the_file_and_stage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        text = f"# {name}\n\n第一段话，内容足够长，独立成段。\n"
        (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
    real = documents.detect_turns

    def fails_on_b(texts, sections, author, title, markdown):
        if title == "b":
            raise ValueError("a bug in turn detection")
        return real(texts, sections, author, title, markdown)

    monkeypatch.setattr(documents, "detect_turns", fails_on_b)
    ids, errors = _read(tmp_path)
    assert ids == ["a", "c"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'b.md'}: finding speakers and turns failed (ValueError: a bug in turn detection); "
        f"the other articles are indexed. Please report it with this file"]


def test_a_podcast_of_named_speakers_where_nobody_asks_is_read(tmp_path: Path) -> None:
    # The IndexError of "Command Line Heroes - OS Wars (2)": two named speakers, no turn ending with "?".
    lines = [f"**Saron Yitbarek:** 第{i}段，我们继续讲操作系统的历史。\n\n"
             f"**Tristram Oaten:** 我那时十六岁。\n\n" for i in range(3)]
    (tmp_path / "podcast.md").write_text("# 代码英雄：操作系统战争\n\n" + "".join(lines), encoding="utf-8")
    [(_, records)] = list(corpus_documents(tmp_path, SITE, ChunkSettings(), []))
    assert {r.speaker for r in records} == {"Saron Yitbarek", "Tristram Oaten"}


def test_the_same_text_twice_is_indexed_once_and_a_repeated_name_gets_its_folder(tmp_path: Path) -> None:
    same, other = "同一篇文章的正文，内容足够长。", "另一篇同名文章，内容并不相同。"
    for folder, text in (("201909", same), ("201910", same), ("201911", other)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "20190901 Best.md").write_text(text + "\n", encoding="utf-8")
    ids, errors = _read(tmp_path)
    assert ids == ["20190901 Best", "20190901 Best (201911)"]
    assert [e.path.parent.name for e in errors] == ["201910"]
    assert "has the same text as" in errors[0].reason
