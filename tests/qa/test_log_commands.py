"""`qa ask` logs what it answers (client cli); `qa log prune` and `qa log export`."""

from __future__ import annotations

import io
import sqlite3
import time
from pathlib import Path

import pytest

from qa import cli, evaluate
from qa.questionlog import DAY_S, Entry, Mark, SqliteQuestionLog
from qa.service import QAService
from tests.qa.test_cli import _isolate, run


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings from the environment only, in a fresh folder (the log at its var/questions.sqlite3)."""
    _isolate(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture
def asking(workdir: Path, monkeypatch: pytest.MonkeyPatch, fixture_service: QAService) -> Path:
    """`qa ask` over the fixture service (no model); the log file it writes to."""
    monkeypatch.setattr(cli, "_open_service", lambda settings: fixture_service)
    return workdir / "var" / "questions.sqlite3"


def rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT client, question, answerable, conversation_id FROM answers "
                          "ORDER BY asked_at").fetchall()


def test_qa_ask_logs_the_question_as_cli(asking: Path):
    assert run("ask", "Helm 是什么？").code == 0

    [(client, question, answerable, conversation)] = rows(asking)
    assert (client, question, answerable) == ("cli", "Helm 是什么？", 1)
    assert conversation.startswith("cli-")


def test_a_conversation_in_qa_ask_is_one_conversation_in_the_log(asking: Path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Helm 是什么？\n它是做什么的？\n"))

    assert run("ask").code == 0

    logged = rows(asking)
    assert [q for _, q, _, _ in logged] == ["Helm 是什么？", "它是做什么的？"]
    assert len({c for _, _, _, c in logged}) == 1


def test_qa_ask_with_logging_off_writes_nothing(asking: Path, monkeypatch):
    monkeypatch.setenv("QA_QUESTION_LOG_ENABLED", "false")

    assert run("ask", "Helm 是什么？").code == 0

    assert not asking.parent.exists()


def test_qa_log_prune_removes_questions_past_retention(workdir: Path, monkeypatch):
    database = workdir / "var" / "questions.sqlite3"
    log = SqliteQuestionLog(database)
    entry = Entry(id="old", asked_at=time.time() - 31 * DAY_S, client="api", question="旧的",
                  answerable=False, top_passage_id=None, top_score=None, answer=None, latency_ms=1,
                  conversation_id=None, passage_ids=())
    log.record(entry)
    log.record(Entry(**{**entry.__dict__, "id": "new", "asked_at": time.time(), "question": "新的"}))
    log.close()
    monkeypatch.setenv("QA_QUESTION_LOG_DAYS", "30")

    result = run("log", "prune")

    assert result.code == 0 and result.out.startswith("removed 1 question(s) older than 30 days")
    assert [q for _, q, _, _ in rows(database)] == ["新的"]


def test_qa_log_export_writes_a_question_file(workdir: Path):
    log = SqliteQuestionLog(workdir / "var" / "questions.sqlite3")
    log.mark(Mark("k1", "Helm 是什么？", "passage", "cloud-native#p2", "Helm 是 Kubernetes 的包管理工具。"))
    log.mark(Mark("k2", "火星上有茶吗？", "unanswerable"))
    log.mark(Mark("k3", "你好", "ignore"))
    log.close()

    result = run("log", "export", "asked.yaml")

    assert result.code == 0 and "wrote 2 marked question(s)" in result.out
    questions = evaluate.load_questions(workdir / "asked.yaml")
    assert [(q.question, q.expect) for q in questions] == [
        ("Helm 是什么？", ["Helm 是 Kubernetes 的包管理工具。"]), ("火星上有茶吗？", [])]


def test_qa_log_export_without_a_log_writes_an_empty_file(workdir: Path):
    assert run("log", "export", "asked.yaml").code == 0
    assert evaluate.load_questions(workdir / "asked.yaml") == []
