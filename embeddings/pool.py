"""Fan-out: documents embedded by several engines at once, one per worker.

Each worker (a process here, or a Ray actor: `embeddings.ray_workers`) holds
an engine of its own, made by a picklable `factory`; the bundled model's is
`E5Embedder(threads=1)`, one single-thread engine per core. A single-thread
engine per core embeds as many tokens per core as one engine on all cores,
and its threads never wait for each other.

`FanOutEmbedder.embed_document_batches` keeps every worker `AHEAD` batches
ahead and yields each batch as it is done, so that the caller
(`embeddings.cache.embed_with_cache`) writes it to the cache at once: a
killed build loses only the batches in flight. A worker that dies costs its
own batches: they go to its replacement (`redone` counts their texts), and
the others keep working. Questions are embedded in-process, by `local`.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from multiprocessing.connection import Connection, wait
from typing import Protocol

import numpy as np

from embeddings.base import Embedder, Kind, l2_normalize
from embeddings.e5 import SPIN_COUNT

BATCH = 16  # texts a worker embeds at a time, when `encode` is given many
AHEAD = 2  # batches queued per worker: one embedding, one waiting, so that no worker idles
MAX_DEATHS_PER_WORKER = 3  # more, and the build stops: the engine cannot run there

# A worker's OpenMP (libgomp) reads its settings once, when the first library
# that uses it loads: in a spawned worker that is faiss, imported with
# `qa.index` before the engine, so the engine's own `num_threads` comes too
# late. Set at the start, the worker runs one thread: measured, a worker
# without this ran two threads that fought over the other worker's core.
WORKER_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT", SPIN_COUNT)}

EngineFactory = Callable[[], Embedder]
# What a worker reports: (slot, job, vectors); vectors None when the worker died.
Done = tuple[int, int, np.ndarray | None]


class WorkerError(RuntimeError):
    """The workers cannot embed: their engine fails, or they keep dying."""


class Workers(Protocol):
    """Engines somewhere else, addressed by slot (0 … size-1)."""

    size: int

    def submit(self, slot: int, job: int, texts: list[str]) -> None: ...

    def wait(self) -> list[Done]:
        """Blocks until at least one job is done or one worker died."""
        ...

    def replace(self, slot: int) -> None:
        """A fresh worker in a dead one's place; the dead one's jobs are forgotten."""
        ...

    def pids(self) -> list[int]: ...

    def close(self) -> None: ...


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def e5_engine() -> Embedder:
    """The bundled model on one thread: what each worker holds."""
    from embeddings.e5 import E5Embedder

    return E5Embedder(threads=1)


class FanOutEmbedder(Embedder):
    """Documents through `workers` (started at the first batch), questions through `local`."""

    def __init__(self, local: Embedder, start_workers: Callable[[], Workers]):
        self.local = local
        self.model_id, self.dim, self.answer_cosines = local.model_id, local.dim, local.answer_cosines
        self.cross_lingual_cosines = local.cross_lingual_cosines
        self._start_workers = start_workers
        self._workers: Workers | None = None
        self._jobs = itertools.count()
        self.redone = 0  # texts embedded again because their worker died

    @property
    def workers(self) -> Workers:
        if self._workers is None:
            self._workers = self._start_workers()
        return self._workers

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        if kind == "query":
            return self.local.encode(texts, kind)
        batches = [texts[start : start + BATCH] for start in range(0, len(texts), BATCH)]
        done = {id(batch): vectors for batch, vectors in self.embed_document_batches(batches)}
        return np.concatenate([done[id(batch)] for batch in batches])  # in order, whatever came back first

    def embed_document_batches(self, batches: Iterable[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        waiting = (batch for batch in batches if batch)
        workers = self.workers
        in_flight: list[dict[int, list[str]]] = [{} for _ in range(workers.size)]  # per slot: job → texts
        deaths = 0
        try:
            self._fill(waiting, in_flight)
            while any(in_flight):
                for slot, job, vectors in workers.wait():
                    if vectors is None:
                        deaths += 1
                        if deaths > MAX_DEATHS_PER_WORKER * workers.size:
                            raise WorkerError(f"embedding workers died {deaths} times; stopping")
                        self._restart(slot, in_flight[slot])
                    elif job in in_flight[slot]:  # not a dead worker's job, already given to another
                        yield in_flight[slot].pop(job), l2_normalize(vectors)
                self._fill(waiting, in_flight)
        finally:
            if any(in_flight):  # stopped early (an error, Ctrl-C): what is queued must not come back later
                self.close()

    def _fill(self, waiting: Iterator[list[str]], in_flight: list[dict[int, list[str]]]) -> None:
        for _ in range(AHEAD):
            for slot, jobs in enumerate(in_flight):
                if len(jobs) < AHEAD and (batch := next(waiting, None)) is not None:
                    jobs[job := next(self._jobs)] = batch
                    self.workers.submit(slot, job, batch)

    def _restart(self, slot: int, jobs: dict[int, list[str]]) -> None:
        self.workers.replace(slot)
        for job, texts in jobs.items():
            self.redone += len(texts)
            self.workers.submit(slot, job, texts)

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None


# --- worker processes on this machine -------------------------------------------------------------
class ProcessWorkers:
    """`size` processes (spawned: the parent's engine threads are not copied),
    each with its own engine and a pipe for its jobs."""

    def __init__(self, factory: EngineFactory, size: int):
        self.size, self._factory = size, factory
        self._context = multiprocessing.get_context("spawn")
        self._processes: list = [None] * size
        self._pipes: list[Connection] = [None] * size  # type: ignore[list-item]
        for slot in range(size):
            self._spawn(slot)

    def _spawn(self, slot: int) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(self._factory, child), daemon=True,
                                        name=f"qa-embed-{slot}")
        with _environment(WORKER_ENVIRONMENT):
            process.start()
        child.close()  # the worker holds the only other end: its death reads as the end of the pipe
        self._processes[slot], self._pipes[slot] = process, parent

    def submit(self, slot: int, job: int, texts: list[str]) -> None:
        with contextlib.suppress(OSError):  # dead already: wait() reports it
            self._pipes[slot].send((job, texts))

    def wait(self) -> list[Done]:
        ready = wait(self._pipes)
        done: list[Done] = []
        for slot, pipe in enumerate(self._pipes):
            if pipe not in ready:
                continue
            try:
                job, vectors, error = pipe.recv()
            except (EOFError, OSError):
                done.append((slot, -1, None))
                continue
            if error is not None:
                raise WorkerError(f"embedding worker {slot} failed: {error}")
            done.append((slot, job, vectors))
        return done

    def replace(self, slot: int) -> None:
        self._pipes[slot].close()
        self._processes[slot].join(timeout=5)
        self._spawn(slot)

    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.close()  # a worker reads the end of its pipe and exits
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ while a worker starts (it inherits them), as they were after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _serve(factory: EngineFactory, pipe: Connection) -> None:
    """A worker process: embed each job that arrives until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it closes the pipes
    engine = factory()
    while True:
        try:
            job, texts = pipe.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            vectors, error = np.asarray(engine.encode(texts, "document"), dtype=np.float32), None
        except Exception as exc:
            vectors, error = None, f"{type(exc).__name__}: {exc}"
        try:
            pipe.send((job, vectors, error))
        except (OSError, KeyboardInterrupt):
            return


def process_pool(local: Embedder, factory: EngineFactory, size: int) -> FanOutEmbedder:
    return FanOutEmbedder(local, partial(ProcessWorkers, factory, size))
