"""The question log in SQLite: batched background writes, votes, prune, off."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from qa.answer import Answer, AnswerText, Citation, RankedPassage
from qa.questionlog import (
    BATCH,
    DAY_S,
    AnswerNotFoundError,
    DisabledQuestionLog,
    Entry,
    Mark,
    SqliteQuestionLog,
    TooManyVotesError,
    VoteLimiter,
    open_question_log,
)


def answer(question: str = "Helm 是什么？", answerable: bool = True) -> Answer:
    citation = Citation(article_id="a", title="T", author=None, date=None, url=None, article_url=None,
                        section=None, paragraph=1)
    passage = RankedPassage(rank=1, id="a#p1", text="Helm 是包管理工具。", score=0.8, highlights=[(0, 11)],
                            citation=citation)
    return Answer(question=question, answerable=answerable,
                  answer=AnswerText(text="Helm 是包管理工具。", passage=1) if answerable else None,
                  passages=[passage], timings_ms={"total": 3.5})


@pytest.fixture
def log(tmp_path: Path):
    question_log = SqliteQuestionLog(tmp_path / "var" / "questions.sqlite3")
    yield question_log
    question_log.close()


def test_entry_records_what_the_answer_says():
    entry = Entry.of(answer(), "widget", "conv-1")

    assert (entry.client, entry.question, entry.answerable, entry.top_passage_id, entry.top_score) == (
        "widget", "Helm 是什么？", True, "a#p1", 0.8)
    assert (entry.answer, entry.latency_ms, entry.conversation_id, entry.passage_ids) == (
        "Helm 是包管理工具。", 3.5, "conv-1", ("a#p1",))


def test_record_returns_an_id_at_once_and_the_writer_stores_it(log):
    answer_id = log.record(Entry.of(answer(), "api"))

    assert log.flush()
    stored = log.get(answer_id)
    assert stored is not None and stored.question == "Helm 是什么？" and stored.vote is None
    mode = sqlite3.connect(log.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_writes_are_batched_in_few_transactions(tmp_path: Path, monkeypatch):
    log = SqliteQuestionLog(tmp_path / "q.sqlite3")
    batches: list[int] = []
    busy, release = threading.Event(), threading.Event()
    write = log._write

    def slow_write(db, entries):  # the first write stalls while the others queue up
        batches.append(len(entries))
        busy.set()
        release.wait(5)
        write(db, entries)

    monkeypatch.setattr(log, "_write", slow_write)
    log.record(Entry.of(answer("问题 0"), "api"))
    assert busy.wait(5)
    for number in range(1, 1000):
        log.record(Entry.of(answer(f"问题 {number}"), "api"))
    release.set()
    assert log.flush()
    log.close()

    assert batches == [1, BATCH, BATCH, BATCH, 999 - 3 * BATCH]  # one transaction per batch
    assert log.written == 1000 == SqliteQuestionLog(tmp_path / "q.sqlite3").count()


def test_many_threads_recording_lose_nothing(log):
    def ask_many(worker: int) -> None:
        for number in range(500):
            log.record(Entry.of(answer(f"{worker}-{number}"), "api"))

    threads = [threading.Thread(target=ask_many, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert log.flush()

    assert log.count() == 4000 and log.dropped == 0


def test_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path):
    log = SqliteQuestionLog(tmp_path / "q.sqlite3", queue_size=2)
    stalled = threading.Event()
    log._write = lambda db, entries: stalled.wait(5)  # a disk that does not answer
    log.record(Entry.of(answer(), "api"))
    time.sleep(0.1)  # the writer takes it and stalls
    started = time.perf_counter()
    ids = [log.record(Entry.of(answer(), "api")) for _ in range(5)]
    elapsed = time.perf_counter() - started
    stalled.set()
    log.close()

    assert elapsed < 0.05
    assert ids[2:] == [None, None, None] and log.dropped == 3


def test_vote_is_one_per_answer_and_changeable(log):
    answer_id = log.record(Entry.of(answer(), "api"))

    log.vote(answer_id, "down")  # may reach the database before the answer: it waits for it
    log.vote(answer_id, "up")

    assert log.get(answer_id).vote == "up"
    assert sqlite3.connect(log.path).execute("SELECT count(*) FROM votes").fetchone()[0] == 1


def test_vote_on_an_unknown_answer_raises(log):
    with pytest.raises(AnswerNotFoundError, match="no answer with id"):
        log.vote("0" * 32, "up")


def test_votes_are_rate_limited_per_answer():
    limiter = VoteLimiter(limit=2, window=60)
    limiter.check("a", now=0)
    limiter.check("a", now=1)
    limiter.check("b", now=1)  # another answer has its own allowance
    with pytest.raises(TooManyVotesError) as refused:
        limiter.check("a", now=2)
    assert refused.value.retry_after == 58
    limiter.check("a", now=61)  # the window has moved on


def test_misses_are_the_unanswered_and_the_voted_down(log):
    answered = log.record(Entry.of(answer("答了的"), "api"))
    unanswered = log.record(Entry.of(answer("没答的", answerable=False), "api"))
    disliked = log.record(Entry.of(answer("答错的"), "widget"))
    log.vote(disliked, "down")
    log.vote(answered, "up")

    assert {e.id for e in log.misses()} == {unanswered, disliked}


def test_prune_removes_questions_past_retention_with_their_votes(log):
    old = Entry.of(answer("旧问题"), "api")
    old = Entry(**{**old.__dict__, "asked_at": time.time() - 91 * DAY_S})
    log.record(old)
    new_id = log.record(Entry.of(answer("新问题"), "api"))
    log.vote(old.id, "down")

    assert log.prune(90) == 1
    assert log.get(old.id) is None and log.get(new_id) is not None
    assert sqlite3.connect(log.path).execute("SELECT count(*) FROM votes").fetchone()[0] == 0


def test_retention_is_applied_when_the_log_first_writes(tmp_path: Path):
    first = SqliteQuestionLog(tmp_path / "q.sqlite3")
    old = Entry.of(answer("旧问题"), "api")
    first.record(Entry(**{**old.__dict__, "asked_at": time.time() - 10 * DAY_S}))
    first.close()

    second = SqliteQuestionLog(tmp_path / "q.sqlite3", retention_days=7)
    second.record(Entry.of(answer("新问题"), "api"))
    second.close()

    assert [e.question for e in SqliteQuestionLog(tmp_path / "q.sqlite3").misses()] == []
    assert SqliteQuestionLog(tmp_path / "q.sqlite3").count() == 1


def test_marks_are_stored_and_replaced(log):
    log.mark(Mark("helm是什么", "Helm 是什么？", "unanswerable"))
    log.mark(Mark("helm是什么", "Helm 是什么？", "passage", "a#p1", "Helm 是包管理工具。"))

    [mark] = log.marks()
    assert (mark.verdict, mark.passage_id, mark.expect) == ("passage", "a#p1", "Helm 是包管理工具。")


def test_off_writes_nothing(tmp_path: Path):
    path = tmp_path / "var" / "questions.sqlite3"
    log = open_question_log(path, enabled=False, retention_days=90)

    assert isinstance(log, DisabledQuestionLog)
    assert log.record(Entry.of(answer(), "api")) is None
    with pytest.raises(AnswerNotFoundError, match="question log is off"):
        log.vote("0" * 32, "up")
    log.close()
    assert not path.parent.exists()


def test_an_unused_log_makes_no_file(tmp_path: Path):
    log = SqliteQuestionLog(tmp_path / "var" / "questions.sqlite3", retention_days=90)
    log.close()

    assert not (tmp_path / "var").exists()
