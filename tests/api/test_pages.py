"""The demo page, the widget script, and the OpenAPI page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient


class Assets(HTMLParser):
    """What a page loads: the src of its scripts and the href of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        url = dict(attrs).get({"script": "src", "link": "href"}.get(tag, ""))
        if url:
            self.urls.append(url)


class ExampleButtons(HTMLParser):
    """The questions that the demo page's buttons ask (their data-question)."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        question = dict(attrs).get("data-question")
        if tag == "button" and question:
            self.questions.append(question)


def test_demo_page_embeds_the_widget(client: TestClient):
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script src="/static/widget.js"></script>' in response.text


def test_demo_page_examples_are_buttons_that_ask_them(client: TestClient):
    parser = ExampleButtons()
    parser.feed(client.get("/").text)

    assert parser.questions == ["ACP 2.0 是什么？", "它包含哪些子产品？",
                                "陈恺怎么看 Kubernetes 的垄断问题？", "灵雀云的产品分几层？",
                                "What does Captain do?"]


def test_widget_script_is_served_from_the_package(client: TestClient):
    response = client.get("/static/widget.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "attachShadow" in response.text


def test_missing_static_file_is_404_with_the_error_body(client: TestClient, error_body):
    response = client.get("/static/nothing.js")

    assert response.status_code == 404
    assert response.json() == error_body(
        404, "not_found", "no such route: GET /static/nothing.js. The API lives under /api/; /docs lists it.")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_their_assets_from_the_service_itself(client: TestClient, page: str):
    response = client.get(page)

    assert response.status_code == 200
    parser = Assets()
    parser.feed(response.text)
    assets = parser.urls
    assert assets and all(asset.startswith("/") for asset in assets), assets  # no CDN
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_openapi_documents_the_error_body(client: TestClient):
    schema = client.get("/openapi.json").json()

    ask = schema["paths"]["/api/ask"]["post"]
    assert ask["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"}
    assert {"/api/articles", "/api/passages/{passage_id}", "/healthz", "/readyz"} <= schema["paths"].keys()
    assert "/" not in schema["paths"]
