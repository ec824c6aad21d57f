"""/docs and /redoc work without the internet: their scripts and styles
come from the service itself, and the API's operations are listed."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route

pytestmark = pytest.mark.browser

OPERATIONS = ["/api/ask", "/api/articles", "/api/passages/{passage_id}", "/healthz", "/readyz"]


def _offline(page: Page) -> list[tuple[str, str]]:
    """Every request that leaves 127.0.0.1 is aborted, as on a machine
    without internet; the list of the aborted ones (resource type, URL)."""
    aborted: list[tuple[str, str]] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            aborted.append((route.request.resource_type, route.request.url))
            route.abort("internetdisconnected")

    page.route("**/*", handle)
    return aborted


def test_swagger_ui_lists_the_operations_offline(page: Page, live_server: str) -> None:
    aborted = _offline(page)

    page.goto(f"{live_server}/docs")
    page.locator(".opblock").first.wait_for(timeout=20_000)

    listed = page.locator(".opblock-summary-path").all_inner_texts()
    assert set(OPERATIONS) <= {path.replace("\u200b", "") for path in listed}, listed
    assert aborted == []


def test_redoc_lists_the_operations_offline(page: Page, live_server: str) -> None:
    aborted = _offline(page)

    page.goto(f"{live_server}/redoc")
    page.get_by_text("/api/ask", exact=False).first.wait_for(state="attached", timeout=20_000)

    assert page.locator("h2").count() >= len(OPERATIONS)  # one heading per operation
    # ReDoc's "API docs by Redocly" footer shows its logo from cdn.redoc.ly: only that image is missing
    assert [(kind, url) for kind, url in aborted if kind != "image"] == []
