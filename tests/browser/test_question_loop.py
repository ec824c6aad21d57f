"""The whole loop in the browser: a reader asks in the widget and votes 👎; an
editor opens /editors with the token and marks the question; `qa log export`
writes it as a question file; `qa eval` runs on that file and counts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from qa.cli import main
from qa.settings import Settings
from tests.browser.conftest import EDITORS_TOKEN
from tests.browser.test_widget import ask, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.model]

QUESTION = "ACP 2.0 是什么？"


def test_vote_down_mark_export_and_eval(new_page, logging_server: tuple[str, Settings], tmp_path: Path,
                                        monkeypatch, capsys, artifacts: Path):
    base_url, settings = logging_server
    reader: Page = new_page()
    open_chat(reader, base_url)
    reply = ask(reader, QUESTION)
    down = reply.get_by_role("button", name="没帮助")
    down.focus()
    reader.keyboard.press("Enter")  # by keyboard
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(reply.get_by_role("status")).to_have_text("谢谢反馈！")

    editor: Page = new_page()
    editor.goto(base_url + "/editors")
    editor.get_by_label("编辑口令 · Editors' token").fill(EDITORS_TOKEN)
    editor.get_by_role("button", name="打开 · Open").click()
    group = editor.get_by_role("region", name=QUESTION)
    expect(group).to_contain_text("👎 1")
    first = group.get_by_role("listitem").first
    expect(first.get_by_role("link")).to_have_attribute("href", "https://linux.cn/article-11563-1.html")
    group.get_by_label("答案在另一段（id）· answer is in another passage (id)").fill("no-such-article#p1")
    group.get_by_role("button", name="答案在这一段 · answer is in this passage").click()
    expect(editor.get_by_role("status")).to_contain_text("404: no passage with id 'no-such-article#p1'")
    group.get_by_role("button", name="答案在第 1 段 · answer is in passage 1").click()
    expect(group.locator(".mark")).to_contain_text("已标记 · marked: 答案在 · answer is in")
    editor.screenshot(path=artifacts / "editors-marked.png")

    for name, value in {"QA_QUESTION_LOG": settings.question_log, "QA_INDEX_DIR": settings.index_dir,
                        "QA_CORPUS_DIR": settings.corpus_dir, "QA_CACHE_DIR": settings.cache_dir}.items():
        monkeypatch.setenv(name, str(value))
    exported = tmp_path / "asked.yaml"
    assert main(["log", "export", str(exported)]) == 0
    assert main(["eval", str(exported), "--json"]) == 0

    metrics = json.loads(capsys.readouterr().out.split("\n", 1)[1])  # after export's line
    assert (metrics["questions"], metrics["answerable_questions"]) == (1, 1)
    assert QUESTION in exported.read_text(encoding="utf-8")
