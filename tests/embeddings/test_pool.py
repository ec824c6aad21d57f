"""embeddings.pool: documents embedded by worker processes, one engine each."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from functools import partial

import numpy as np
import pytest

from embeddings.base import Embedder, Kind
from embeddings.cache import EmbeddingCache, embed_with_cache
from embeddings.pool import AHEAD, FanOutEmbedder, ProcessWorkers, WorkerError, process_pool


class SlowHashing(Embedder):
    """Deterministic vectors, `seconds` per text: long enough to kill a worker mid-run."""

    model_id, dim = "test-slow-hashing", 16

    def __init__(self, seconds: float = 0.0, fail_on: str | None = None):
        self.seconds, self.fail_on = seconds, fail_on

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if text == self.fail_on:
                raise ValueError(f"cannot embed {text!r}")
            time.sleep(self.seconds)
            out[row] = np.frombuffer(hashlib.blake2b(text.encode(), digest_size=16).digest(), np.uint8)
        return out


TEXTS = [f"第{n}段：灵雀云的容器平台" for n in range(200)]


def batches(texts: list[str], size: int = 16) -> list[list[str]]:
    return [texts[start : start + size] for start in range(0, len(texts), size)]


@pytest.fixture
def pool():
    pool = process_pool(SlowHashing(), partial(SlowHashing, 0.01), 2)
    yield pool
    pool.close()


def test_the_pool_gives_every_batch_the_in_process_vectors(pool: FanOutEmbedder) -> None:
    done = dict((tuple(batch), vectors) for batch, vectors in pool.embed_document_batches(batches(TEXTS)))
    assert set(done) == {tuple(b) for b in batches(TEXTS)}
    expected = SlowHashing().embed_documents(TEXTS)
    got = np.concatenate([done[tuple(batch)] for batch in batches(TEXTS)])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert pool.redone == 0


def test_both_workers_embed() -> None:
    pool = process_pool(SlowHashing(), partial(_pid_engine), 2)
    try:
        pids = {round(float(v[1] / v[0]) * 1e5) for _, vectors in pool.embed_document_batches(batches(TEXTS))
                for v in vectors}
        assert pids == set(pool.workers.pids())
    finally:
        pool.close()


def test_a_worker_killed_mid_run_costs_only_its_batches(pool: FanOutEmbedder, tmp_path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    killed: list[int] = []
    survivor: list[int] = []

    def kill_one(done: int) -> None:
        if not killed:
            killed.append(pool.workers.pids()[0])
            survivor.append(pool.workers.pids()[1])
            os.kill(killed[0], signal.SIGKILL)

    try:
        vectors, embedded = embed_with_cache(pool, TEXTS, cache, kill_one)
    finally:
        cache.close()
    assert embedded == len(TEXTS)
    np.testing.assert_allclose(vectors, SlowHashing().embed_documents(TEXTS), rtol=1e-6)
    assert 0 < pool.redone <= AHEAD * 16  # the dead worker's batches, no more
    pids = pool.workers.pids()
    assert killed[0] not in pids and survivor[0] in pids  # replaced; the other one kept working


def test_an_engine_error_stops_the_run_with_its_message() -> None:
    pool = process_pool(SlowHashing(), partial(SlowHashing, 0.0, TEXTS[40]), 2)
    try:
        with pytest.raises(WorkerError, match="cannot embed"):
            list(pool.embed_document_batches(batches(TEXTS)))
    finally:
        pool.close()


def test_questions_stay_in_process() -> None:
    local = SlowHashing()
    started: list[int] = []
    pool = FanOutEmbedder(local, lambda: started.append(1) or ProcessWorkers(SlowHashing, 1))
    np.testing.assert_array_equal(pool.embed_query("灵雀云"), local.embed_query("灵雀云"))
    assert not started  # no worker for a question
    assert (pool.model_id, pool.dim) == (local.model_id, local.dim)


def _pid_engine() -> Embedder:
    class Pid(SlowHashing):
        def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
            time.sleep(self.seconds * len(texts))
            out = np.zeros((len(texts), self.dim), dtype=np.float32)
            out[:, 0], out[:, 1] = 1, os.getpid() / 1e5  # the pid, as a ratio that normalising keeps
            return out

    return Pid(0.005)


def test_encode_spreads_many_texts_and_keeps_their_order(pool: FanOutEmbedder) -> None:
    np.testing.assert_allclose(pool.embed_documents(TEXTS), SlowHashing().embed_documents(TEXTS), rtol=1e-6)
