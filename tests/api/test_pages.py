"""The demo page, the widget script, and the OpenAPI page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings


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


def test_demo_page_shows_the_script_tag_with_the_address_it_was_served_from(
        fixture_settings: Settings, fixture_service: QAService):
    with TestClient(create_app(fixture_settings, service=fixture_service),
                    base_url="http://127.0.0.1:8111") as client:
        page = client.get("/").text

    assert '&lt;script src="http://127.0.0.1:8111/static/widget.js"&gt;&lt;/script&gt;' in page
    assert ":8000" not in page


def test_demo_page_examples_are_the_settings_questions_as_buttons_that_ask_them(
        fixture_settings: Settings, fixture_service: QAService):
    questions = ["龙井产自哪里？", "泡绿茶的水温多少度？", "<b>Helm</b> 是什么？"]
    settings = fixture_settings.model_copy(update={"example_questions": questions})
    with TestClient(create_app(settings, service=fixture_service)) as client:
        page = client.get("/").text
        examples = client.get("/api/examples").json()

    parser = ExampleButtons()
    parser.feed(page)
    assert parser.questions == questions
    assert "<b>Helm</b>" not in page  # escaped
    assert 'window.InterviewQA.ask("龙井产自哪里？");' in page
    assert examples == {"questions": questions}


def test_demo_page_without_example_questions_speaks_of_the_articles_generically(client: TestClient):
    page = client.get("/").text

    parser = ExampleButtons()
    parser.feed(page)
    assert parser.questions == []
    assert "{{" not in page
    assert "ACP" not in page and "Captain" not in page  # nothing of the seed interview
    assert client.get("/api/examples").json() == {"questions": []}


def test_widget_script_is_served_from_the_package(client: TestClient):
    response = client.get("/static/widget.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "attachShadow" in response.text


def _function(script: str, name: str) -> str:
    """The source of the top-level `function name(...)` of a static script:
    from its first line to the first line that closes it (its indent, `}`)."""
    lines = script.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"function {name}("))
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    end = lines.index(indent + "}", start)
    return "\n".join(lines[start : end + 1])


@pytest.mark.parametrize("name", ["el", "safeUrl"])
def test_the_editors_page_keeps_the_widget_s_dom_helpers_word_for_word(client: TestClient, name: str):
    # Copied, not shared: the widget is one self-contained script (see the comment above el()).
    widget, editors = (client.get(f"/static/{script}").text for script in ("widget.js", "editors.js"))
    assert "document.createElement" in _function(widget, "el")  # the slicing found the function
    assert _function(editors, name) == _function(widget, name)


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


def test_examples_come_from_the_articles_front_matter_when_the_settings_give_none(
        fixture_settings, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from qa.runtime import build_index, open_service
    from tests.conftest import HashingEmbedder

    article = fixture_settings.corpus_dir / "tea.md"
    article.write_text(article.read_text("utf-8").replace(
        "title: 茶馆访谈", "title: 茶馆访谈\nquestions:\n- 普洱茶产于哪里？"), "utf-8")
    build_index(fixture_settings, HashingEmbedder())
    service = open_service(fixture_settings, HashingEmbedder())
    with TestClient(create_app(fixture_settings, service=service)) as client:
        assert client.get("/api/examples").json() == {"questions": ["普洱茶产于哪里？"]}
        assert "普洱茶产于哪里？" in client.get("/").text
        empty = client.post("/api/ask", json={"question": " "}).json()
        assert empty["error"]["message"].endswith("e.g. “普洱茶产于哪里？”")
