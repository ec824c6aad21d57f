"""The widget's data-article and data-scope, in Chromium, against the real
app over the seed interview and two more articles (real model)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from qa.runtime import build_index
from qa.settings import Settings
from tests.browser.conftest import _page_server, _require_chromium, _running, _serving
from tests.browser.test_widget import ask
from tests.conftest import FIXTURE_CORPUS, SEED_CORPUS

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture(scope="module")
def archive_server(tmp_path_factory: pytest.TempPathFactory, seed_cache: Path) -> Iterator[str]:
    """The app over the seed beside two more articles, open to any origin."""
    _require_chromium()
    tmp = tmp_path_factory.mktemp("archive")
    shutil.copytree(SEED_CORPUS, tmp / "corpus", ignore=shutil.ignore_patterns("*.yaml"))
    for name in ("tea.md", "cloud-native.md"):
        shutil.copy(FIXTURE_CORPUS / name, tmp / "corpus" / name)
    settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index", cache_dir=seed_cache,
                        question_log=tmp / "questions.sqlite3", cors_origins=["*"])
    build_index(settings)
    with _serving(settings) as base_url:
        yield base_url


def embedding_page(server: str, **data: str) -> Iterator[str]:
    attributes = " ".join(f"data-{name}='{value}'" for name, value in data.items())
    page = ('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>一篇文章</title>'
            f'<script src="{server}/static/widget.js" data-open="true" {attributes}></script>')
    return _running(_page_server(page))


def test_data_article_answers_from_the_page_article_first_and_says_when_not(page: Page, archive_server: str):
    with embedding_page(archive_server, article="cloud-native") as site:
        page.goto(site + "/")
        reply = ask(page, "普洱茶产于哪里？")
        expect(reply.locator(".elsewhere")).to_have_text("本文没有回答这个问题，以下答案来自其他文章。")
        expect(reply.locator(".sources li").first).to_contain_text("茶馆访谈")
    with embedding_page(archive_server, article="tea") as site:
        page.goto(site + "/")
        reply = ask(page, "普洱茶产于哪里？")
        expect(reply.locator(".elsewhere")).to_have_count(0)
        expect(reply).to_contain_text("云南")


def test_data_scope_limits_the_articles_that_answer(page: Page, archive_server: str):
    with embedding_page(archive_server, scope='{"articles": ["alauda-chenkai-interview"]}') as site:
        page.goto(site + "/")
        reply = ask(page, "普洱茶产于哪里？")
        expect(reply).not_to_contain_text("云南")
        expect(reply).not_to_contain_text("茶馆访谈")
