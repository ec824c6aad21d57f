"""Progress of a long `qa index` as plain lines, for a log: off a terminal,
where a bar would be one endless line of carriage returns.

A line every `EVERY_SECONDS` (from a timer thread, so a line comes even while
one long chunk is embedded or the index files are written):

    indexing: 1,234/8,000 articles, 31,020 passages, 70,512 texts (14.2 texts/s), 1h22m so far, ETA 7h41m

Texts are passages and sentences, embedded or taken from the cache; the rate
is counted from the first text (not from loading the model). The ETA is the
texts still to do at that rate, the texts an article brings being estimated
from the articles queued for embedding.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

EVERY_SECONDS = 30.0


class ProgressLines:
    """Takes `qa index`'s progress (articles read; passages and texts done)
    and writes a line about it to `out` every `every` seconds, between
    `start()` and `stop()`. `line()` is the line now; `clock` is for tests."""

    def __init__(self, out: TextIO, every: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self._out, self._clock = out, clock
        self._every = EVERY_SECONDS if every is None else every
        self._started = clock()
        self.articles = self.total = self.passages = self.texts = 0
        self._queued = self._queued_articles = 0  # texts given to the embedder, and their articles
        self._embedding_since: float | None = None  # the rate leaves out loading the model
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the build's callbacks (any thread) ----------------------------------------------
    def on_articles(self, done: int, total: int) -> None:
        self.articles, self.total = done, total

    def on_texts(self, passages: int, done: int, queued: int) -> None:
        if self._embedding_since is None:
            self._embedding_since = self._clock()
        if queued != self._queued:
            self._queued, self._queued_articles = queued, max(self.articles, 1)
        self.passages, self.texts = passages, done

    # --- the line ------------------------------------------------------------------------
    def line(self) -> str:
        now = self._clock()
        since = now if self._embedding_since is None else self._embedding_since
        elapsed, embedding = now - self._started, now - since
        rate = self.texts / embedding if embedding > 0 else 0.0
        return (f"indexing: {self.articles:,}/{self.total:,} articles, {self.passages:,} passages, "
                f"{self.texts:,} texts ({rate:.1f} texts/s), {duration(elapsed)} so far, "
                f"ETA {self._eta(rate)}")

    def _eta(self, rate: float) -> str:
        if not self._queued or rate <= 0:
            return "unknown"
        if self.articles >= self.total and self.texts >= self._queued:
            return "writing the index"
        expected = max(self._queued / self._queued_articles * max(self.total, self.articles), self._queued)
        return duration(max(expected - self.texts, 0) / rate)

    # --- the timer -----------------------------------------------------------------------
    def start(self) -> ProgressLines:
        self._thread = threading.Thread(target=self._run, name="qa-index-progress", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            print(self.line(), file=self._out, flush=True)


def duration(seconds: float) -> str:
    """`42s`, `7m05s`, `3h12m`."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
