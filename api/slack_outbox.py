"""The Slack bot's background work: answering and posting, off the event loop
and off the request that Slack is waiting on.

A few threads run the jobs; a bounded number more may wait. When Slack is so
slow that the backlog is full, a new job is dropped with a log line, so that a
slow Slack costs neither threads nor memory without end.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

logger = logging.getLogger(__name__)


class Outbox:
    def __init__(self, workers: int, backlog: int):
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="slack-outbox")
        self._capacity = workers + backlog
        self._slots = threading.BoundedSemaphore(self._capacity)  # one per job running or waiting
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None], what: str) -> bool:
        """Run `job` in the background; False (and a log line) when the
        backlog is full or the outbox is closed. Never blocks."""
        if not self._slots.acquire(blocking=False):
            logger.warning("Slack is slow to answer: %d Slack jobs are running or waiting; dropped %s",
                           self._capacity, what)
            return False
        try:
            future = self._executor.submit(self._run, job, what)
        except RuntimeError:  # closed: the server is stopping
            self._slots.release()
            logger.warning("the server is stopping; dropped %s", what)
            return False
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._finished)
        return True

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the jobs submitted so far; True if all ended."""
        with self._lock:
            pending = list(self._pending)
        return not wait(pending, timeout).not_done

    def close(self, grace: float) -> None:
        """Give the jobs `grace` seconds to end, then drop those still waiting.
        Running ones end on their own (every Slack call has a timeout)."""
        if not self.drain(grace):
            with self._lock:
                unfinished = len(self._pending)
            logger.warning("stopping with %d Slack job(s) unfinished; those not started are dropped",
                           unfinished)
        self._executor.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Callable[[], None], what: str) -> None:
        try:
            job()
        except Exception:  # a bug, not Slack being slow: logged with its traceback
            logger.exception("the Slack bot failed on %s", what)

    def _finished(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)
        self._slots.release()
