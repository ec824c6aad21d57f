"""`qa index` with the bundled model fanned out: over worker processes, and
over a real two-node Ray cluster on loopback. Both must write the index the
in-process engine writes, and a worker killed mid-build costs only its batches."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from embeddings.pool import AHEAD, FanOutEmbedder
from embeddings.store import VectorMatrix
from qa.runtime import build_index, make_index_embedder
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SEED_CORPUS = ROOT / "corpus"
RAY_PORTS = range(8150, 8160)
BATCH = 16
pytestmark = pytest.mark.model


def settings(tmp: Path, name: str, **overrides) -> Settings:
    """An empty cache each time: every text goes through the engine."""
    return Settings(corpus_dir=SEED_CORPUS, index_dir=tmp / name / "index", cache_dir=tmp / name / "cache",
                    question_log=tmp / name / "questions.sqlite3", **overrides)


def assert_same_index(one: Path, other: Path) -> None:
    """Same passages and sentences, in the same order; vectors equal within
    float tolerance (the int8 codes of a row may differ by a unit)."""
    a, b = one / "current", other / "current"
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (a, b)]
    for key in ("corpus_hash", "passages", "sentences", "model"):
        assert manifests[0][key] == manifests[1][key], key
    for name in ("passages.i8", "sentences.i8"):
        vectors = [VectorMatrix.open(folder / name, 384).get(slice(None)) for folder in (a, b)]
        assert vectors[0].shape == vectors[1].shape
        np.testing.assert_allclose(vectors[0], vectors[1], atol=0.01)
        norms = np.linalg.norm(vectors[0], axis=1) * np.linalg.norm(vectors[1], axis=1)
        cosines = np.sum(vectors[0] * vectors[1], axis=1) / norms
        assert float(np.min(cosines)) > 0.9999
    for name in ("sentences.where.npy", "sentences.start.npy"):
        np.testing.assert_array_equal(np.load(a / name), np.load(b / name))


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("in-process")
    report = build_index(settings(tmp, "one", embed_workers=1))
    assert report.embedded == report.passages + report.sentences - report.cached
    return tmp / "one" / "index"


def test_worker_processes_write_the_in_process_index(in_process: Path, tmp_path: Path) -> None:
    report = build_index(settings(tmp_path, "pool", embed_workers=2))
    assert report.cached == 0
    assert_same_index(in_process, tmp_path / "pool" / "index")


# --- a real two-node Ray cluster on loopback ----------------------------------------------------------
def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    for port in RAY_PORTS:
        if not _listening(port):
            return port
    pytest.skip(f"no free port in {RAY_PORTS} for the Ray head")


def _ray_node(*args: str, temp_dir: str) -> subprocess.Popen:
    """`ray start --block` in a process group of its own: ending the group ends the node."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "ray"), "start", "--block", "--num-cpus", "1",
         "--disable-usage-stats", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _stop(node: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.pid, signal.SIGTERM)
    try:
        node.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(node.pid, signal.SIGKILL)
        node.wait()


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and a second node, one CPU each, both here; stopped after the tests."""
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install '.[ray]'")
    port = _free_port()
    temp_dir = tempfile.mkdtemp(prefix="qa-ray-", dir="/tmp")  # short: Ray's socket paths must fit
    nodes = [_ray_node("--head", "--port", str(port), "--node-ip-address", "127.0.0.1",
                       "--include-dashboard=false", "--temp-dir", temp_dir, temp_dir=temp_dir)]
    address = f"127.0.0.1:{port}"
    try:
        _wait_for(lambda: _listening(port), "the Ray head", nodes)
        nodes.append(_ray_node("--address", address, "--node-ip-address", "127.0.0.1", temp_dir=temp_dir))
        ray.init(address=address, log_to_driver=False, logging_level="warning")
        _wait_for(lambda: len([n for n in ray.nodes() if n["Alive"]]) == 2, "the second Ray node", nodes)
        ray.shutdown()
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for node in reversed(nodes):
            _stop(node)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_for(ready, what: str, nodes: list[subprocess.Popen], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if any(node.poll() is not None for node in nodes):
            pytest.fail(f"a Ray node exited while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not come up within {seconds:.0f} s")
        time.sleep(0.5)


def test_a_two_node_ray_cluster_writes_the_in_process_index_though_an_actor_dies(
    ray_cluster: str, in_process: Path, tmp_path: Path
) -> None:
    config = settings(tmp_path, "ray", ray_address=ray_cluster)
    embedder = make_index_embedder(config)
    assert isinstance(embedder, FanOutEmbedder)
    killed: list[int] = []

    def kill_an_actor(passages: int, done: int, queued: int) -> None:
        if done and not killed:  # a batch is back: both actors are at work
            workers = embedder.workers
            assert workers.size == 2  # a CPU on each node
            killed.append(workers.pids()[0])
            os.kill(killed[0], signal.SIGKILL)

    try:
        report = build_index(config, embedder, text_progress=kill_an_actor)
        pids = embedder.workers.pids()
    finally:
        embedder.close()
    assert killed and killed[0] not in pids  # it died, and another took its place
    # Only the dead actor's batches (at most AHEAD of BATCH texts) were embedded again.
    print(f"\nRay: {report.embedded} texts embedded, {embedder.redone} again after an actor was killed")
    assert 0 < embedder.redone <= AHEAD * BATCH
    assert report.cached == 0
    assert_same_index(in_process, tmp_path / "ray" / "index")
