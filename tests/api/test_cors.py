"""CORS: only the configured origins may call the API from a browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

ALLOWED = "https://blog.example.org"
DENIED = "https://evil.example.com"
PREFLIGHT = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}


@pytest.fixture
def cors_client(fixture_settings: Settings, fixture_service: QAService) -> Iterator[TestClient]:
    settings = fixture_settings.model_copy(update={"cors_origins": [ALLOWED]})
    with TestClient(create_app(settings, service=fixture_service)) as client:
        yield client


def ask(client: TestClient, origin: str):
    return client.post("/api/ask", json={"question": "Helm 是什么？"}, headers={"origin": origin})


def test_allowed_origin_may_read_answers(cors_client: TestClient):
    response = ask(cors_client, ALLOWED)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED


def test_other_origin_gets_no_cors_header(cors_client: TestClient):
    response = ask(cors_client, DENIED)

    assert "access-control-allow-origin" not in response.headers


def test_preflight_from_allowed_origin_is_200(cors_client: TestClient):
    response = cors_client.options("/api/ask", headers={"origin": ALLOWED, **PREFLIGHT})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]


def test_preflight_from_other_origin_is_400_with_the_error_body(cors_client: TestClient, error_body):
    response = cors_client.options("/api/ask", headers={"origin": DENIED, **PREFLIGHT})

    assert response.status_code == 400
    assert response.json() == error_body(400, "cors_rejected", (
        f"Disallowed CORS origin for {DENIED}: add that origin to cors_origins (QA_CORS_ORIGINS) "
        "to let its pages call this API."))


def test_errors_carry_cors_headers_too(cors_client: TestClient):
    response = cors_client.post("/api/ask", json={"question": " "}, headers={"origin": ALLOWED})

    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == ALLOWED


def test_no_origins_configured_means_no_cors(client: TestClient):
    response = ask(client, ALLOWED)

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
