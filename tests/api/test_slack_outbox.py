"""The Slack bot's background jobs: bounded, never blocking, never silent."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from api.slack_outbox import Outbox


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    outbox = Outbox(workers=1, backlog=1)
    yield outbox
    outbox.close(grace=5)


def test_jobs_beyond_workers_and_backlog_are_dropped_with_a_log_line(outbox, caplog):
    gate, ran = threading.Event(), []
    assert outbox.submit(lambda: (gate.wait(5), ran.append(1)), "first")
    assert outbox.submit(lambda: ran.append(2), "second")  # waits for the worker
    assert not outbox.submit(lambda: ran.append(3), "third")
    gate.set()
    assert outbox.drain(timeout=5)
    assert ran == [1, 2]
    assert "dropped third" in caplog.text
    assert outbox.submit(lambda: ran.append(4), "fourth")  # the slots are free again
    assert outbox.drain(timeout=5) and ran == [1, 2, 4]


def test_failing_job_is_logged_with_its_traceback_and_frees_its_slot(outbox, caplog):
    def broken() -> None:
        raise RuntimeError("index file vanished")

    assert outbox.submit(broken, "a broken job")
    assert outbox.drain(timeout=5)
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "a broken job" in record.getMessage() and record.exc_info
    assert outbox.submit(lambda: None, "next") and outbox.submit(lambda: None, "after")


def test_close_drops_what_has_not_started_after_the_grace(caplog):
    outbox = Outbox(workers=1, backlog=1)
    gate, ran = threading.Event(), []
    outbox.submit(lambda: gate.wait(5), "held")
    outbox.submit(lambda: ran.append("waiting"), "waiting")
    outbox.close(grace=0.05)
    gate.set()
    for worker in [t for t in threading.enumerate() if t.name.startswith("slack-outbox")]:
        worker.join(timeout=5)  # it would run "waiting" now, had it not been dropped
    assert ran == []
    assert "stopping with 2 Slack job(s) unfinished" in caplog.text
    assert not outbox.submit(lambda: ran.append("late"), "late")
