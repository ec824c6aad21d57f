"""qa.gloss: an English question followed by one Chinese word for each of its words."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np

from qa.gloss import gloss, glossed
from qa.runtime import build_index, open_index
from qa.scope import Scope
from qa.service import QAService
from tests.conftest import HashingEmbedder, _settings


def held(near: dict[str, int], everywhere: dict[str, int] | None = None):
    """A `Frequencies` over made-up counts: passages of the leading articles, then of the whole index."""
    everywhere = everywhere if everywhere is not None else near

    def frequencies(words: Sequence[str]) -> list[tuple[int, int]]:
        return [(near.get(w, 0), everywhere.get(w, 0)) for w in words]

    return frequencies


def test_each_word_takes_the_rendering_the_leading_articles_hold_most() -> None:
    # "company": 公司 in the interview, though code-heavy articles hold 行号 (line number) more often.
    words = gloss("Who founded the company?", held({"公司": 5, "行号": 1}, {"公司": 40, "行号": 300}))
    assert "公司" in words and "行号" not in words


def test_the_whole_index_decides_where_the_leading_articles_hold_none() -> None:
    words = gloss("Who founded the company?", held({}, {"公司": 40, "行号": 300}))
    assert "行号" in words


def test_a_rendering_no_passage_holds_is_left_out() -> None:
    assert gloss("Who founded the company?", held({})) == []


def test_two_words_with_one_gloss_take_it() -> None:
    # CC-CEDICT glosses 基站 as "base station": one word for both, not 基础 + 电台.
    words = gloss("How far apart are the base stations?", held({"基站": 3, "基础": 9, "电台": 9}))
    assert words[-1] == "基站" and "基础" not in words


def test_names_and_words_the_dictionary_does_not_know_stay_as_written() -> None:
    words = gloss("Did microservices exist before Kubernetes?", held({"之前": 2}))
    assert words == ["microservices", "之前", "Kubernetes"]


def test_words_that_ask_or_frame_take_no_rendering() -> None:
    assert gloss("What is it called, according to the interview?", held({"什么": 9, "采访": 9})) == []


def test_the_gloss_follows_the_question_without_its_names_again() -> None:
    text = glossed("What is the essence of ACP 2.0?", held({"本质": 2}))
    assert text == "What is the essence of ACP 2.0? 本质"
    assert glossed("What is ACP 2.0?", held({})) == "What is ACP 2.0?"


def test_asked_of_one_article_its_words_are_rendered_as_over_that_article(tmp_path: Path) -> None:
    # 行号 (a line number; CC-CEDICT also glosses it "company") fills the code
    # article; asked of the interview, "company" is its 公司, as over it alone.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "interview.md").write_text("---\ntitle: 访谈\n---\n\n他在这家公司做了十年工程师。\n",
                                         encoding="utf-8")
    code = "".join(f"第 {i} 段：编辑器左边显示行号，第 {i} 个行号可以点击。\n\n" for i in range(5))
    (corpus / "editor.md").write_text(f"---\ntitle: 编辑器\n---\n\n{code}", encoding="utf-8")
    settings = _settings(tmp_path, corpus)
    build_index(settings, HashingEmbedder())
    index = open_index(settings, HashingEmbedder())
    query = index.query("Which company?", embed=False)
    interview = index.scopes.rows(Scope(articles=("interview",)))
    assert glossed(query.text, partial(index._frequencies, query, None)) == "Which company? 行号"
    assert glossed(query.text, partial(index._frequencies, query, interview)) == "Which company? 公司"
    np.testing.assert_allclose(index.query_vector(query, interview),
                               HashingEmbedder().embed_query("Which company? 公司"))
    # The service asks the article's way when the widget names it (`data-article`).
    embedded: list[str] = []
    embed = index.embed_query
    index.embed_query = lambda text: embedded.append(text) or embed(text)  # type: ignore[method-assign]
    QAService(index).ask("Which company?", article="interview")
    assert embedded[0] == "Which company? 公司"
