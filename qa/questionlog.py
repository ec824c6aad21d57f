"""The question log: every question asked, its answer in brief, the readers'
votes on answers and the editors' marks, in SQLite (WAL mode).

`QuestionLog` is the interface the adapters use; `SqliteQuestionLog` is the
one implementation today (a PostgreSQL one would implement the same
methods). Questions are written by one background thread, in batches, so
that `record` costs a question a queue put and never waits on the disk. The
queue is bounded (QUEUE_SIZE entries): if the disk stalls long enough to fill
it, further entries are dropped, counted in `dropped` and logged, rather than
holding questions up or growing memory without end.

What is stored: time, client (api, widget, slack, cli), question, whether it
was answered, the passages it got (ids, the top one's score), the answer
sentence, latency, and a conversation id the client chose. No IP address and
no user id.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from qa.answer import Answer
from qa.errors import QAError

Client = Literal["api", "widget", "slack", "cli"]
Vote = Literal["up", "down"]
Verdict = Literal["passage", "unanswerable", "ignore"]

QUEUE_SIZE = 10_000  # questions waiting for the writer; more are dropped (and counted)
BATCH = 256  # questions written in one transaction, at most
BUSY_MS = 5_000  # how long a write waits for another writer's lock
VOTES_PER_WINDOW, VOTE_WINDOW_S = 5, 60.0  # votes on one answer, then 429 until the window passes
DAY_S = 86_400

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    asked_at REAL NOT NULL,
    client TEXT NOT NULL,
    question TEXT NOT NULL,
    answerable INTEGER NOT NULL,
    top_passage_id TEXT,
    top_score REAL,
    answer TEXT,
    latency_ms REAL NOT NULL,
    conversation_id TEXT,
    passage_ids TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_asked_at ON answers (asked_at);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    voted_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS marks (
    question_key TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('passage', 'unanswerable', 'ignore')),
    passage_id TEXT,
    expect TEXT,
    marked_at REAL NOT NULL
);
"""


class AnswerNotFoundError(QAError):
    def __init__(self, answer_id: str, logging_on: bool = True):
        self.answer_id = answer_id
        why = ("" if logging_on else " The question log is off (question_log_enabled: false), so no "
               "answer has an id to vote on.")
        super().__init__(f"no answer with id {answer_id!r}: vote with the `answer_id` that /api/ask "
                         f"returned (answers older than the retention period are deleted).{why}")


class QuestionLogOffError(QAError):
    def __init__(self, what: str):
        super().__init__(f"the question log is off (question_log_enabled: false), so {what}: turn it on "
                         f"with QA_QUESTION_LOG_ENABLED=true and restart")


class TooManyVotesError(QAError):
    def __init__(self, answer_id: str, retry_after: float):
        self.retry_after = max(1, round(retry_after))
        super().__init__(f"answer {answer_id!r} got {VOTES_PER_WINDOW} votes in the last "
                         f"{VOTE_WINDOW_S:.0f} s; wait {self.retry_after} s before voting on it again")


@dataclass(frozen=True)
class Entry:
    """One question and its answer, as logged."""

    id: str
    asked_at: float
    client: Client
    question: str
    answerable: bool
    top_passage_id: str | None
    top_score: float | None
    answer: str | None
    latency_ms: float
    conversation_id: str | None
    passage_ids: tuple[str, ...]
    vote: Vote | None = None

    @classmethod
    def of(cls, answer: Answer, client: Client, conversation_id: str | None = None,
           latency_ms: float | None = None) -> Entry:
        top = answer.passages[0] if answer.passages else None
        return cls(id=uuid.uuid4().hex, asked_at=time.time(), client=client, question=answer.question,
                   answerable=answer.answerable, top_passage_id=top.id if top else None,
                   top_score=top.score if top else None,
                   answer=answer.answer.text if answer.answer else None,
                   latency_ms=answer.timings_ms.get("total", 0.0) if latency_ms is None else latency_ms,
                   conversation_id=conversation_id, passage_ids=tuple(p.id for p in answer.passages))


@dataclass(frozen=True)
class Mark:
    """An editor's decision on a question: its answer is in `passage_id`
    (with `expect`, the phrase `qa eval` looks for), it is not answerable
    from the articles, or it is to be ignored."""

    question_key: str
    question: str
    verdict: Verdict
    passage_id: str | None = None
    expect: str | None = None
    marked_at: float = field(default_factory=time.time)


class QuestionLog(Protocol):
    enabled: bool

    def record(self, entry: Entry) -> str | None:
        """Queue `entry` to be stored; its id, or None when nothing is stored."""

    def vote(self, answer_id: str, vote: Vote) -> None:
        """Store (or change) the one vote on an answer."""

    def misses(self, limit: int = 5000) -> list[Entry]:
        """The newest answers that were not answerable or got a 👎, newest first."""

    def mark(self, mark: Mark) -> None: ...

    def marks(self) -> list[Mark]: ...

    def prune(self, days: float, now: float | None = None) -> int:
        """Delete answers (and their votes) asked more than `days` ago; how many."""

    def count(self) -> int: ...

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued entry is written; False if it took longer than `timeout`."""

    def close(self) -> None: ...


class VoteLimiter:
    """At most `limit` votes per answer in a sliding window of `window` seconds;
    the last `keys` answers voted on are remembered."""

    def __init__(self, limit: int = VOTES_PER_WINDOW, window: float = VOTE_WINDOW_S, keys: int = 10_000):
        self.limit, self.window, self.keys = limit, window, keys
        self._times: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, answer_id: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._times.pop(answer_id, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            self._times[answer_id] = times
            if len(self._times) > self.keys:
                self._times.popitem(last=False)
            if len(times) >= self.limit:
                raise TooManyVotesError(answer_id, times[0] + self.window - now)
            times.append(now)


class DisabledQuestionLog:
    """Logging switched off: nothing is stored, nothing is written to disk."""

    enabled = False

    def record(self, entry: Entry) -> str | None:
        return None

    def vote(self, answer_id: str, vote: Vote) -> None:
        raise AnswerNotFoundError(answer_id, logging_on=False)

    def misses(self, limit: int = 5000) -> list[Entry]:
        return []

    def mark(self, mark: Mark) -> None:
        raise QuestionLogOffError("marks cannot be stored")

    def marks(self) -> list[Mark]:
        return []

    def prune(self, days: float, now: float | None = None) -> int:
        return 0

    def count(self) -> int:
        return 0

    def flush(self, timeout: float = 10.0) -> bool:
        return True

    def close(self) -> None:
        pass


_STOP = object()


class SqliteQuestionLog:
    """The question log in one SQLite file (WAL mode). The file and its folder
    are made at the first write or read, not before."""

    enabled = True

    def __init__(self, path: Path, retention_days: float | None = None,
                 limiter: VoteLimiter | None = None, queue_size: int = QUEUE_SIZE):
        self.path = Path(path)
        self.retention_days = retention_days
        self.limiter = limiter or VoteLimiter()
        self.dropped = 0  # entries refused on a full queue, or lost to a failed write
        self.written = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._schema_lock = threading.Lock()
        self._has_schema = False
        self._closed = False
        self._writer = threading.Thread(target=self._write_forever, name="question-log", daemon=True)
        self._writer.start()

    # --- writing questions: in the background ------------------------------------------------
    def record(self, entry: Entry) -> str | None:
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("question log: the write queue is full (%d entries; is %s on a stalled "
                            "disk?): %d question(s) not logged so far", self._queue.maxsize,
                            self.path, self.dropped)
            return None
        return entry.id

    def flush(self, timeout: float = 10.0) -> bool:
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._writer.join(timeout=30)

    def _write_forever(self) -> None:
        db: sqlite3.Connection | None = None
        pruned = 0.0  # when retention was last applied (monotonic seconds)
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            entries = [item for item in batch if isinstance(item, Entry)]
            if entries:
                db = db or self._connect()  # the first question: the file is made now
                if self.retention_days and (not pruned or time.monotonic() - pruned > DAY_S):
                    self._prune_quietly()  # then once a day while the server runs
                    pruned = time.monotonic()
                self._write(db, entries)
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if any(item is _STOP for item in batch):
                if db is not None:
                    db.close()
                return

    def _write(self, db: sqlite3.Connection, entries: list[Entry]) -> None:
        rows = [(e.id, e.asked_at, e.client, e.question, int(e.answerable), e.top_passage_id,
                 e.top_score, e.answer, e.latency_ms, e.conversation_id, json.dumps(e.passage_ids))
                for e in entries]
        try:
            with db:
                db.executemany("INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.written += len(rows)
        except sqlite3.Error:
            self.dropped += len(rows)
            log.exception("question log: cannot write %d question(s) to %s", len(rows), self.path)

    def _prune_quietly(self) -> None:
        try:
            removed = self.prune(self.retention_days or 0)
        except sqlite3.Error:
            log.exception("question log: cannot prune %s", self.path)
            return
        if removed:
            log.info("question log: removed %d question(s) older than %s days", removed,
                     self.retention_days)

    # --- everything else: at once, on the caller's thread ---------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, check_same_thread=False)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a power cut loses the last batch at most
        with self._schema_lock:
            if not self._has_schema:
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(SCHEMA)
                self._has_schema = True
        return db

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        db = self._connect()
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def _change(self, sql: str, params: tuple = ()) -> int:
        db = self._connect()
        try:
            with db:
                return db.execute(sql, params).rowcount
        finally:
            db.close()

    def vote(self, answer_id: str, vote: Vote) -> None:
        self.limiter.check(answer_id)
        upsert = ("INSERT INTO votes (answer_id, vote, voted_at) SELECT id, ?, ? FROM answers WHERE id = ? "
                  "ON CONFLICT (answer_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at")
        if self._change(upsert, (vote, time.time(), answer_id)):
            return
        self.flush(timeout=5)  # the answer may still be waiting in the queue
        if not self._change(upsert, (vote, time.time(), answer_id)):
            raise AnswerNotFoundError(answer_id)

    def misses(self, limit: int = 5000) -> list[Entry]:
        rows = self._read(
            "SELECT a.id, a.asked_at, a.client, a.question, a.answerable, a.top_passage_id, a.top_score, "
            "a.answer, a.latency_ms, a.conversation_id, a.passage_ids, v.vote FROM answers a "
            "LEFT JOIN votes v ON v.answer_id = a.id WHERE a.answerable = 0 OR v.vote = 'down' "
            "ORDER BY a.asked_at DESC LIMIT ?", (limit,))
        return [_entry(row) for row in rows]

    def get(self, answer_id: str) -> Entry | None:
        rows = self._read(
            "SELECT a.*, v.vote FROM answers a LEFT JOIN votes v ON v.answer_id = a.id WHERE a.id = ?",
            (answer_id,))
        return _entry(rows[0]) if rows else None

    def mark(self, mark: Mark) -> None:
        self._change("INSERT OR REPLACE INTO marks VALUES (?, ?, ?, ?, ?, ?)",
                     (mark.question_key, mark.question, mark.verdict, mark.passage_id, mark.expect,
                      mark.marked_at))

    def marks(self) -> list[Mark]:
        rows = self._read("SELECT question_key, question, verdict, passage_id, expect, marked_at "
                          "FROM marks ORDER BY marked_at")
        return [Mark(*row) for row in rows]

    def prune(self, days: float, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - days * DAY_S
        return self._change("DELETE FROM answers WHERE asked_at < ?", (cutoff,))

    def count(self) -> int:
        return self._read("SELECT count(*) FROM answers")[0][0]


def _entry(row: tuple) -> Entry:
    (answer_id, asked_at, client, question, answerable, top_id, top_score, answer, latency_ms,
     conversation_id, passage_ids, vote) = row
    return Entry(answer_id, asked_at, client, question, bool(answerable), top_id, top_score, answer,
                 latency_ms, conversation_id, tuple(json.loads(passage_ids)), vote)


def open_question_log(path: Path, enabled: bool = True, retention_days: float | None = None) -> QuestionLog:
    """The log the settings ask for (question_log, question_log_enabled, question_log_days)."""
    if not enabled:
        return DisabledQuestionLog()
    return SqliteQuestionLog(path, retention_days=retention_days)
