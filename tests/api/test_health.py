"""Liveness, readiness, and the index loading in the background."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

import api.app
from api.app import create_app
from api.loading import ServiceLoader
from qa.errors import IndexMismatchError, IndexNotFoundError
from qa.runtime import build_index, open_service
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import HashingEmbedder

LOADING = "the index is still loading; try again in a few seconds."


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def settled(client: TestClient) -> Callable[[], bool]:
    """Readiness no longer says "still loading" (it is ready, or it failed)."""
    return lambda: client.get("/readyz").json().get("error", {}).get("code") != "index_loading"


def test_healthz_is_200(client: TestClient):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_with_a_loaded_service(client: TestClient):
    response = client.get("/readyz")

    assert response.status_code == 200
    service = client.app.state.service
    assert response.json() == {"status": "ready", "articles": 2, "generation": service.index.generation,
                               "built": service.index.manifest["created"]}


def test_readyz_is_503_until_the_index_has_loaded(fixture_settings: Settings, fixture_service: QAService,
                                                  monkeypatch: pytest.MonkeyPatch, error_body):
    release = threading.Event()

    def slow_open(settings: Settings) -> QAService:
        release.wait(10)
        return fixture_service

    monkeypatch.setattr(api.app, "open_service", slow_open)
    with TestClient(create_app(fixture_settings)) as client:
        assert client.get("/healthz").status_code == 200
        before = client.get("/readyz")
        asked = client.post("/api/ask", json={"question": "Helm 是什么？"})
        release.set()
        wait_until(lambda: client.get("/readyz").status_code == 200)
        after = client.post("/api/ask", json={"question": "Helm 是什么？"})

    assert (before.status_code, before.headers["retry-after"]) == (503, "5")
    assert before.json() == error_body(503, "index_loading", LOADING)
    assert asked.json() == error_body(503, "index_loading", LOADING)
    assert after.status_code == 200


def test_missing_index_is_503_with_the_command_that_builds_it(fixture_settings: Settings, error_body):
    expected = error_body(503, "index_not_found",
                          f"the index is not loaded: {IndexNotFoundError(fixture_settings.index_dir)}")

    with TestClient(create_app(fixture_settings)) as client:
        wait_until(settled(client))
        ready, asked = client.get("/readyz"), client.post("/api/ask", json={"question": "Helm"})
        articles, live = client.get("/api/articles"), client.get("/healthz")

    assert "Build it with `qa index`" in expected["error"]["message"]
    assert [r.status_code for r in (ready, asked, articles)] == [503, 503, 503]
    assert ready.json() == asked.json() == articles.json() == expected
    assert live.status_code == 200


def test_index_built_after_start_is_picked_up_without_restart(fixture_settings: Settings,
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(api.app, "open_service", lambda s: open_service(s, HashingEmbedder()))
    monkeypatch.setattr(ServiceLoader, "retry_seconds", 0.0)

    with TestClient(create_app(fixture_settings)) as client:
        wait_until(settled(client))
        assert client.get("/readyz").status_code == 503
        build_index(fixture_settings, HashingEmbedder())
        wait_until(lambda: client.get("/readyz").status_code == 200)


def test_index_built_with_another_model_is_503_and_says_so(fixture_settings: Settings, error_body):
    build_index(fixture_settings, HashingEmbedder())  # the app opens it with the e5 model
    with pytest.raises(IndexMismatchError) as mismatch:
        open_service(fixture_settings)

    with TestClient(create_app(fixture_settings)) as client:
        wait_until(settled(client))
        response = client.get("/readyz")

    assert response.json() == error_body(503, "index_mismatch", f"the index is not loaded: {mismatch.value}")


def test_unexpected_load_failure_is_503_and_logged(fixture_settings: Settings, error_body,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture):
    def broken_open(settings: Settings) -> QAService:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api.app, "open_service", broken_open)
    with TestClient(create_app(fixture_settings)) as client:
        wait_until(settled(client))
        response = client.get("/readyz")

    assert response.json() == error_body(
        503, "index_unavailable", "the index failed to load; the server log has the details.")
    assert "disk on fire" in caplog.text


# --- hot reload ---------------------------------------------------------------------------------

NEW_ARTICLE = "---\ntitle: 普洱\n---\n\n普洱茶产于云南，分为生茶和熟茶两类，越陈越香。\n"


def _reloading(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(api.app, "open_service", lambda s: open_service(s, HashingEmbedder()))
    build_index(settings, HashingEmbedder())
    return Settings(**{**settings.model_dump(), "reload_seconds": 0.05})


def test_a_new_generation_is_served_without_restart(fixture_settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch):
    settings = _reloading(fixture_settings, monkeypatch)
    with TestClient(create_app(settings)) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200)
        first = client.get("/readyz").json()["generation"]
        old = weakref.ref(client.app.state.service)
        (settings.corpus_dir / "puer.md").write_text(NEW_ARTICLE, encoding="utf-8")
        built = build_index(settings, HashingEmbedder()).generation
        wait_until(lambda: client.get("/readyz").json()["generation"] == built)
        articles = client.get("/api/articles")
        answer = client.post("/api/ask", json={"question": "普洱茶产于哪里？"}).json()

    assert built != first
    assert articles.headers["x-index-generation"] == built
    assert "puer" in [a["id"] for a in articles.json()]
    assert answer["passages"][0]["id"] == "puer#p1"
    gc.collect()
    assert old() is None  # the old index is freed, not kept beside the new one


def test_a_generation_that_fails_to_load_leaves_the_old_one_serving(fixture_settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture):
    settings = _reloading(fixture_settings, monkeypatch)
    with TestClient(create_app(settings)) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200)
        first = client.get("/readyz").json()["generation"]

        def broken_open(settings: Settings) -> QAService:
            raise IndexMismatchError("the new generation is broken")

        monkeypatch.setattr(api.app, "open_service", broken_open)
        build_index(settings, HashingEmbedder())
        wait_until(lambda: client.get("/readyz").json().get("reload_problem") is not None)
        ready = client.get("/readyz").json()
        asked = client.post("/api/ask", json={"question": "Helm 是什么？"})

    assert ready["generation"] == first
    assert ready["reload_problem"] == ("the index is not loaded: the new generation is broken "
                                       "Still serving the previous generation.")
    assert asked.status_code == 200


def test_damaged_index_is_503_naming_the_file_and_the_fix(fixture_settings: Settings, error_body,
                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(api.app, "open_service", lambda s: open_service(s, HashingEmbedder()))
    build_index(fixture_settings, HashingEmbedder())
    generation = (fixture_settings.index_dir / "current").resolve()
    (generation / "turns.asking.npy").unlink()

    with TestClient(create_app(fixture_settings)) as client:
        wait_until(settled(client))
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == error_body(503, "index_damaged", (
        f"the index is not loaded: the index in {generation} is damaged: turns.asking.npy is missing. "
        f"Rebuild it with `qa index`."))
