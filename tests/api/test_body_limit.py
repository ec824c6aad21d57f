"""Bodies over `max_body_bytes` are refused with 413, without being read whole."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

LIMIT = 1024


@pytest.fixture
def small_settings(fixture_settings: Settings) -> Settings:
    return fixture_settings.model_copy(update={"max_body_bytes": LIMIT})


@pytest.fixture
def small_client(small_settings: Settings, fixture_service: QAService) -> Iterator[TestClient]:
    with TestClient(create_app(small_settings, service=fixture_service)) as client:
        yield client


def padded_question(size: int) -> bytes:
    """A valid /api/ask body of exactly `size` bytes (JSON allows trailing spaces)."""
    body = json.dumps({"question": "Helm 是什么？"}).encode()
    return body + b" " * (size - len(body))


def chunks(body: bytes, size: int = 100) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_body_over_the_limit_with_content_length_is_413(small_client: TestClient, error_body):
    response = small_client.post("/api/ask", content=padded_question(LIMIT + 1),
                                 headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json() == error_body(413, "body_too_large", (
        "the request body is 1025 bytes; the limit is 1024 bytes. "
        "Send a shorter question or history (or raise max_body_bytes)."))


def test_chunked_body_over_the_limit_is_413(small_client: TestClient, error_body):
    response = small_client.post("/api/ask", content=chunks(padded_question(5000)),
                                 headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json() == error_body(413, "body_too_large", (
        "the request body is more than 1024 bytes; the limit is 1024 bytes. "
        "Send a shorter question or history (or raise max_body_bytes)."))


def test_body_at_the_limit_is_accepted(small_client: TestClient):
    sized = small_client.post("/api/ask", content=padded_question(LIMIT),
                              headers={"content-type": "application/json"})
    chunked = small_client.post("/api/ask", content=chunks(padded_question(LIMIT)),
                                headers={"content-type": "application/json"})

    assert (sized.status_code, chunked.status_code) == (200, 200)


class FakeClient:
    """Drives the ASGI app directly: a body in 100-byte chunks, counting how
    many the app pulled."""

    def __init__(self, body: bytes, headers: list[tuple[bytes, bytes]]):
        self.pending = list(chunks(body))
        self.pulled = 0
        self.headers = headers
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        self.pulled += 1
        chunk = self.pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.pending)}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def post(self, app) -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/api/ask", "raw_path": b"/api/ask", "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"test"), *self.headers],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
        asyncio.run(app(scope, self.receive, self.send))
        return self.sent[0]["status"]


def test_chunked_body_is_refused_at_the_first_chunk_over_the_limit(small_settings: Settings,
                                                                   fixture_service: QAService):
    app = create_app(small_settings, service=fixture_service)
    client = FakeClient(b"x" * 100_000, [(b"content-type", b"application/json")])

    assert client.post(app) == 413
    assert client.pulled == LIMIT // 100 + 1  # 11 of the 1,000 chunks


def test_declared_length_over_the_limit_is_refused_before_reading(small_settings: Settings,
                                                                 fixture_service: QAService):
    app = create_app(small_settings, service=fixture_service)
    client = FakeClient(b"x" * 100_000, [(b"content-type", b"application/json"),
                                         (b"content-length", b"100000")])

    assert client.post(app) == 413
    assert client.pulled == 0
