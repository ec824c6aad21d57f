"""The server's log: one line per request (never the question unless asked),
one per index load or reload, JSON lines when asked; and an unconfigured
Slack route that says so."""

from __future__ import annotations

import json
import logging
import time

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import State

from api.app import create_app
from api.loading import ServiceLoader
from api.logs import JsonLines
from qa.service import QAService
from qa.settings import Settings

QUESTION = "龙井产自哪里？"  # each test asks its own variant: the fixture service's cache is shared


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "api.requests"]


def test_one_line_per_request_with_status_time_and_cache_hit(client: TestClient, caplog):
    caplog.set_level(logging.INFO, logger="api.requests")

    question = f"{QUESTION}（缓存）"
    client.post("/api/ask", json={"question": question, "top_k": 2})
    client.post("/api/ask", json={"question": question, "top_k": 2})
    client.get("/api/nothing-here")

    first, second, missing = _request_lines(caplog)
    assert first.fields["cache_hit"] is False and second.fields["cache_hit"] is True
    assert {k: v for k, v in second.fields.items() if k != "ms"} == {
        "method": "POST", "path": "/api/ask", "status": 200, "cache_hit": True}
    assert second.getMessage() == f"POST /api/ask 200 {second.fields['ms']:.1f} ms cache hit"
    assert missing.getMessage().startswith("GET /api/nothing-here 404 ")
    assert "cache" not in missing.fields
    assert all(QUESTION not in r.getMessage() and QUESTION not in str(r.fields) for r in caplog.records)


def test_the_question_is_logged_only_when_a_setting_asks(fixture_settings: Settings,
                                                         fixture_service: QAService, caplog):
    caplog.set_level(logging.INFO, logger="api.requests")
    settings = fixture_settings.model_copy(update={"log_questions": True})
    with TestClient(create_app(settings, service=fixture_service)) as client:
        client.post("/api/ask", json={"question": QUESTION})

    [line] = _request_lines(caplog)
    assert line.fields["question"] == QUESTION
    assert line.getMessage().endswith(f' question "{QUESTION}"')


def test_no_request_lines_when_turned_off(fixture_settings: Settings, fixture_service: QAService, caplog):
    caplog.set_level(logging.INFO, logger="api.requests")
    settings = fixture_settings.model_copy(update={"log_requests": False})
    with TestClient(create_app(settings, service=fixture_service)) as client:
        client.post("/api/ask", json={"question": QUESTION})

    assert _request_lines(caplog) == []


def test_json_lines_carry_the_request_fields(client: TestClient, caplog):
    caplog.set_level(logging.INFO, logger="api.requests")
    client.post("/api/ask", json={"question": f"{QUESTION}（JSON）"})

    [line] = _request_lines(caplog)
    entry = json.loads(JsonLines().format(line))

    assert entry["level"] == "INFO" and entry["logger"] == "api.requests"
    assert {k: entry[k] for k in ("method", "path", "status", "cache_hit")} == {
        "method": "POST", "path": "/api/ask", "status": 200, "cache_hit": False}
    assert entry["message"] == line.getMessage()


def test_index_load_and_reload_are_one_line_each(fixture_service: QAService, caplog):
    caplog.set_level(logging.INFO, logger="api.loading")
    on_disk = ["gen-1"]
    loader = ServiceLoader(State(), lambda: fixture_service, lambda: on_disk[0], reload_seconds=0.02)
    loader.start()
    try:
        _wait_for(lambda: len(caplog.records) >= 1)
        on_disk[0] = "gen-2"  # `qa index` wrote a new generation
        _wait_for(lambda: len(caplog.records) >= 2)
    finally:
        loader.stop()

    load, reload = (r for r in caplog.records if r.name == "api.loading")
    size = fixture_service.index.size
    assert load.getMessage().startswith("index generation gen-1 loaded (and warmed up) in ")
    assert load.getMessage().endswith(f" s: {size} passages")
    assert reload.getMessage().startswith("index generation gen-2 reloaded (and warmed up) in ")
    assert {k: v for k, v in reload.fields.items() if k != "seconds"} == {"generation": "gen-2",
                                                                           "passages": size}


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_slack_route_without_slack_configured_says_so(client: TestClient, error_body):
    response = client.post("/slack/events", json={"type": "url_verification", "challenge": "x"})

    assert response.status_code == 404
    assert response.json() == error_body(
        404, "slack_not_configured", "the Slack bot is not configured: set SLACK_SIGNING_SECRET and "
        "SLACK_BOT_TOKEN (the README's \"Connect to Slack\" says where to find them) and restart the server.")
