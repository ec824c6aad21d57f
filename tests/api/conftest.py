"""An app over the fast fixture service (hashing embedder), per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings


@pytest.fixture
def client(fixture_settings: Settings, fixture_service: QAService) -> Iterator[TestClient]:
    with TestClient(create_app(fixture_settings, service=fixture_service)) as client:
        yield client


def _error_body(status: int, code: str, message: str) -> dict:
    return {"error": {"status": status, "code": code, "message": message}}


@pytest.fixture
def error_body() -> Callable[[int, str, str], dict]:
    """Builds the one body that every 4xx and 5xx response has."""
    return _error_body
