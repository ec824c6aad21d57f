"""Re-indexing while a real server answers at 4 connections: the new article
is answered without a restart, and no request fails (bounded: about 10 s)."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

import api.app
from api.app import create_app
from qa.runtime import build_index, open_service
from qa.settings import Settings
from tests.conftest import HashingEmbedder

NEW_ARTICLE = "---\ntitle: 普洱\n---\n\n普洱茶产于云南，分为生茶和熟茶两类，越陈越香。\n"
QUESTIONS = ["龙井产自哪里？", "Helm 是什么？", "泡绿茶的水温多少度？", "K8s 由谁维护？"]


@pytest.fixture
def server(fixture_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Settings]]:
    monkeypatch.setattr(api.app, "open_service", lambda s: open_service(s, HashingEmbedder()))
    build_index(fixture_settings, HashingEmbedder())
    settings = Settings(**{**fixture_settings.model_dump(), "reload_seconds": 0.2})
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    yield base, settings
    uv.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _load(base: str, stop: threading.Event, outcomes: list[int | str], worker: int) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        for n in itertools.count():
            if stop.is_set():
                return
            question = f"{QUESTIONS[(n + worker) % len(QUESTIONS)]}（{worker}-{n}）"  # distinct: no cache
            try:
                outcomes.append(client.post("/api/ask", json={"question": question}).status_code)
            except httpx.HTTPError as exc:
                outcomes.append(repr(exc))


def test_reindex_under_load_fails_no_request(server: tuple[str, Settings]) -> None:
    base, settings = server
    stop, outcomes = threading.Event(), []
    workers = [threading.Thread(target=_load, args=(base, stop, outcomes, w)) for w in range(4)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1.0)
        (settings.corpus_dir / "puer.md").write_text(NEW_ARTICLE, encoding="utf-8")
        built = build_index(settings, HashingEmbedder())
        finished = time.monotonic()
        answered_after = None
        while time.monotonic() - finished < 15:
            answer = httpx.post(f"{base}/api/ask", json={"question": "普洱茶产于哪里？"}, timeout=10).json()
            if answer["passages"][0]["id"] == "puer#p1":
                answered_after = time.monotonic() - finished
                break
            time.sleep(0.1)
        time.sleep(1.0)  # more load on the new generation
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=15)
    failures = [o for o in outcomes if o != 200]
    assert answered_after is not None, "the new article was not answered within 15 s of `qa index`"
    assert httpx.get(f"{base}/readyz").json()["generation"] == built.generation
    assert len(outcomes) >= 40, outcomes
    assert failures == [], failures
