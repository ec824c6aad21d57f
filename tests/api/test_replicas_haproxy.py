"""Two `qa serve` processes on one index behind HAProxy (deploy/haproxy.cfg),
on loopback, as the README's "Past one machine" recipe says: a `qa index`
while clients ask through HAProxy reaches both replicas within 15 s, and no
request fails. Real processes, the real bundled model, about 20 s of load by
three clients."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from qa.generations import current_generation
from tests.conftest import FIXTURE_CORPUS, ROOT

HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed: `make install-test` installs it "
                                               "(Debian package haproxy)"),
]

CONFIG = ROOT / "deploy" / "haproxy.cfg"
BALANCER, REPLICAS = 8140, (8141, 8142)
LOAD_SECONDS, CLIENTS, REACH_SECONDS = 20.0, 3, 15.0
NEW_ARTICLE = "---\ntitle: 普洱\n---\n\n普洱茶产于云南，分为生茶和熟茶两类，越陈越香。\n"
QUESTIONS = ["龙井产自哪里？", "Helm 是什么？", "泡绿茶的水温多少度？", "K8s 由谁维护？"]


@dataclass
class Cluster:
    index_dir: Path
    corpus_dir: Path
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *command: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("w") as log:  # the process writes to its own copy
            process = subprocess.Popen(command, env=env or self.env, cwd=self.logs, stdout=log,
                                       stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def qa_index(self) -> str:
        done = subprocess.run([sys.executable, "-m", "qa.cli", "index"], env=self.env, cwd=self.logs,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (tmp_path / "logs").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_CORPUS_DIR": str(corpus),
           "QA_INDEX_DIR": str(tmp_path / "index"), "QA_CACHE_DIR": str(tmp_path / "cache"),
           "QA_RELOAD_SECONDS": "0.5", "QA_EMBED_THREADS": "1"}
    env.pop("QA_CONFIG", None)  # the logs folder, their working directory, holds no qa.yaml
    cluster = Cluster(tmp_path / "index", corpus, env, tmp_path / "logs")
    cluster.qa_index()
    try:
        for number, port in enumerate(REPLICAS, start=1):
            cluster.start(f"replica{number}", sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1",
                          "--port", str(port))
        for port in REPLICAS:
            _wait_ready(f"http://127.0.0.1:{port}", cluster)
        lb_env = {**env, "QA_LB_BIND": f"127.0.0.1:{BALANCER}",
                  **{f"QA_REPLICA_{n}": f"127.0.0.1:{p}" for n, p in enumerate(REPLICAS, start=1)}}
        cluster.start("haproxy", HAPROXY, "-db", "-f", str(CONFIG), env=lb_env)
        _wait_ready(f"http://127.0.0.1:{BALANCER}", cluster, both_replicas=True)
        yield cluster
    finally:
        for process in cluster.processes.values():
            process.terminate()
        for process in cluster.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(base: str, cluster: Cluster, both_replicas: bool = False) -> None:
    """Until `base`/readyz says 200 (through HAProxy: from both replicas)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 180  # loading the model on a busy 2-core machine
    while time.monotonic() < deadline:
        for name, process in cluster.processes.items():
            assert process.poll() is None, f"{name} exited: {cluster.log(name)}"
        try:
            response = httpx.get(f"{base}/readyz", timeout=5)
            if response.status_code == 200:
                seen.add(response.headers.get("x-qa-replica", "direct"))
                if not both_replicas or len(seen) == len(REPLICAS):
                    return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{base}/readyz was not ready in time (seen: {seen})")


def _load(stop: threading.Event, outcomes: list[tuple[int | str, str]], worker: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{BALANCER}", timeout=30) as client:
        for n in itertools.count():
            if stop.is_set():
                return
            question = f"{QUESTIONS[(n + worker) % len(QUESTIONS)]}（{worker}-{n}）"  # distinct: no cache
            try:
                response = client.post("/api/ask", json={"question": question})
                outcomes.append((response.status_code, response.headers.get("x-qa-replica", "")))
            except httpx.HTTPError as exc:
                outcomes.append((repr(exc), ""))


def _generations() -> list[str | None]:
    names = []
    for port in REPLICAS:
        try:
            names.append(httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json().get("generation"))
        except (httpx.HTTPError, ValueError):
            names.append(None)
    return names


def test_qa_index_under_load_reaches_both_replicas_behind_haproxy(cluster: Cluster) -> None:
    old = current_generation(cluster.index_dir)
    assert _generations() == [old, old]
    stop, outcomes = threading.Event(), []
    clients = [threading.Thread(target=_load, args=(stop, outcomes, w)) for w in range(CLIENTS)]
    started = time.monotonic()
    for client in clients:
        client.start()
    try:
        time.sleep(3)
        (cluster.corpus_dir / "puer.md").write_text(NEW_ARTICLE, encoding="utf-8")
        cluster.qa_index()
        new, indexed = current_generation(cluster.index_dir), time.monotonic()
        reached: dict[int, float] = {}
        while len(reached) < len(REPLICAS) and time.monotonic() - indexed < REACH_SECONDS:
            for port, generation in zip(REPLICAS, _generations(), strict=True):
                if generation == new and port not in reached:
                    reached[port] = time.monotonic() - indexed
            time.sleep(0.1)
        time.sleep(max(2.0, LOAD_SECONDS - (time.monotonic() - started)))  # load on the new generation
        answer = httpx.post(f"http://127.0.0.1:{BALANCER}/api/ask", json={"question": "普洱茶产于哪里？"},
                            timeout=30).json()
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
    assert new != old
    assert sorted(reached) == list(REPLICAS), f"within {REACH_SECONDS} s only {reached} served {new}"
    assert _generations() == [new, new]
    assert answer["passages"][0]["id"] == "puer#p1"
    failures = [outcome for outcome in outcomes if outcome[0] != 200]
    assert failures == [], failures
    assert len(outcomes) >= 30, outcomes
    assert {replica for _, replica in outcomes} == {"replica1", "replica2"}  # HAProxy spread the load
    print(f"\n{len(outcomes)} requests through HAProxy in {time.monotonic() - started:.1f} s, 0 failed; "
          f"{new} reached the replicas {', '.join(f'{p}: {s:.1f} s' for p, s in reached.items())} "
          f"after `qa index` returned")
