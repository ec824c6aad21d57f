"""POST /api/ask over the fixture corpus (hashing embedder)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.answer import Answer
from qa.settings import Settings

INVALID_HINT = ('. Send JSON such as {"question": "你的问题", "top_k": 5}; '  # no example_questions set
                "/docs describes every field.")


def invalid_request(problems: str) -> str:
    return f"the request is not valid: {problems}{INVALID_HINT}"


def test_ask_returns_the_answer_with_cited_passages(client: TestClient):
    client.app.state.service.forget_answers()  # other tests may have asked it: time a real answer
    response = client.post("/api/ask", json={"question": "Helm 是什么？"})

    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "Helm 是什么？"
    assert body["answerable"] is True
    assert body["answer"] == {"text": "Helm 是 Kubernetes 的包管理工具。", "passage": 1}
    best = body["passages"][0]
    assert best["rank"] == 1
    assert best["id"] == "cloud-native#p2"
    assert [best["text"][s:e] for s, e in best["highlights"]] == ["Helm 是 Kubernetes 的包管理工具。"]
    assert best["citation"] == {
        "article_id": "cloud-native", "title": "云原生入门", "author": "小李", "date": "2021-03-04",
        "url": "https://linux.cn/article-1-1.html#:~:text=Helm%20%E6%98%AF%20Kubernetes%20%E7%9A%84"
               "%E5%8C%85%E7%AE%A1%E7%90%86%E5%B7%A5%E5%85%B7%E3%80%82",  # lands on the answer
        "article_url": "https://linux.cn/article-1-1.html",
        "section": "什么是 Kubernetes", "paragraph": 2, "speaker": None,
    }
    assert [p["rank"] for p in body["passages"]] == [1, 2, 3, 4, 5]
    assert {"embed", "search", "total"} <= body["timings_ms"].keys()


def test_ask_trims_the_question(client: TestClient):
    response = client.post("/api/ask", json={"question": "  Helm 是什么？\n"})

    assert response.json()["question"] == "Helm 是什么？"


def test_ask_top_k_sets_the_number_of_passages(client: TestClient):
    response = client.post("/api/ask", json={"question": "Helm 是什么？", "top_k": 2})

    assert [p["rank"] for p in response.json()["passages"]] == [1, 2]


def test_ask_follow_up_is_searched_with_the_history(client: TestClient):
    history = [{"role": "user", "content": "Helm 是什么？"},
               {"role": "assistant", "content": "Helm 是 Kubernetes 的包管理工具。"}]

    alone = client.post("/api/ask", json={"question": "它是做什么的？"}).json()
    follow_up = client.post("/api/ask", json={"question": "它是做什么的？", "history": history}).json()

    assert alone["passages"][0]["id"] == "cloud-native#p1"
    assert follow_up["passages"][0]["id"] == "cloud-native#p2"


def test_ask_passes_answerable_false_through(fixture_settings: Settings):
    """The service decides; the API only carries its verdict and the nearest passages."""
    unanswered = Answer(question="灵雀云有多少员工？", answerable=False, answer=None, passages=[],
                        timings_ms={"total": 1.0})

    class Unanswering:
        def ask(self, question, top_k=None, history=(), **where):
            return unanswered

    with TestClient(create_app(fixture_settings, service=Unanswering())) as client:  # type: ignore[arg-type]
        response = client.post("/api/ask", json={"question": "灵雀云有多少员工？"})

    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body.pop("answer_id"))  # the question log's id of it
    assert body == unanswered.model_dump()


def test_ask_blank_question_is_422(client: TestClient, error_body):
    response = client.post("/api/ask", json={"question": "  \n "})

    assert response.status_code == 422
    assert response.json() == error_body(
        422, "invalid_question",
        "the question is empty: ask something of 1 to 500 characters, e.g. “ACP 2.0 是什么？”")


def test_ask_501_character_question_is_422(client: TestClient, error_body):
    response = client.post("/api/ask", json={"question": "问" * 501})

    assert response.status_code == 422
    assert response.json() == error_body(
        422, "invalid_question", "the question is 501 characters long; the limit is 500. Shorten it.")


def test_ask_500_character_question_is_answered(client: TestClient):
    response = client.post("/api/ask", json={"question": "茶" * 500})

    assert response.status_code == 200


def test_ask_top_k_out_of_range_is_422(client: TestClient, error_body):
    response = client.post("/api/ask", json={"question": "Helm 是什么？", "top_k": 21})

    assert response.status_code == 422
    assert response.json() == error_body(422, "invalid_request", invalid_request(
        "top_k: Input should be less than or equal to 20"))


def test_ask_without_question_is_422(client: TestClient, error_body):
    response = client.post("/api/ask", json={"top_k": 3})

    assert response.json() == error_body(422, "invalid_request", invalid_request("question: Field required"))


def test_ask_bad_history_and_unknown_field_are_422(client: TestClient, error_body):
    response = client.post("/api/ask", json={"question": "x", "topk": 3,
                                             "history": [{"role": "bot", "content": "hi"}]})

    assert response.json() == error_body(422, "invalid_request", invalid_request(
        "history.0.role: Input should be 'user' or 'assistant'; topk: Extra inputs are not permitted"))


def test_ask_malformed_json_is_422(client: TestClient, error_body):
    response = client.post("/api/ask", content=b'{"question": ', headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json() == error_body(422, "invalid_request", invalid_request(
        "the body is not valid JSON (Expecting value at character 13)"))


def test_ask_body_that_is_not_json_is_422(client: TestClient, error_body):
    response = client.post("/api/ask", content=b"question=hi", headers={"content-type": "text/plain"})

    assert response.status_code == 422
    assert response.json() == error_body(422, "invalid_request", invalid_request(
        "the body must be a JSON object, sent with Content-Type: application/json"))


def test_ask_with_get_is_405(client: TestClient, error_body):
    response = client.get("/api/ask")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == error_body(
        405, "method_not_allowed", "GET /api/ask is not allowed; this route accepts POST.")


def test_ask_lone_surrogate_is_422(client: TestClient, error_body):
    response = client.post("/api/ask", content='{"question": "\\ud800 ACP"}',
                           headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json() == error_body(422, "invalid_question", (
        "the question holds an invalid character (a lone surrogate, U+D800, at position 0): "
        "send valid Unicode text"))


def test_a_trailing_slash_is_redirected_with_307_as_the_readme_says(client):
    response = client.post("/api/ask/", json={"question": "龙井产自哪里？"}, follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"].endswith("/api/ask")


# --- scope ------------------------------------------------------------------------------------


def test_ask_within_a_scope_answers_from_its_articles(client) -> None:
    response = client.post("/api/ask", json={"question": "普洱茶产于哪里？",
                                             "scope": {"articles": ["cloud-native"]}})
    assert response.status_code == 200
    assert {p["citation"]["article_id"] for p in response.json()["passages"]} == {"cloud-native"}


def test_ask_an_article_first_says_when_the_answer_comes_from_elsewhere(client) -> None:
    body = client.post("/api/ask", json={"question": "普洱茶产于哪里？", "article": "cloud-native"}).json()
    assert body["answerable"] and body["from_elsewhere"]
    assert body["passages"][0]["citation"]["article_id"] == "tea"
    own = client.post("/api/ask", json={"question": "普洱茶产于哪里？", "article": "tea"}).json()
    assert own["answerable"] and not own["from_elsewhere"]


@pytest.mark.parametrize(("scope", "message"), [
    ({"articles": ["nope"]}, "no article with id 'nope' in the index: GET /api/articles lists the ids"),
    ({"date_from": "2030"}, "no article matches the scope (from 2030): widen it, or leave it out to ask "
                            "every article"),
])
def test_a_scope_that_matches_nothing_is_422_with_the_fix(client, error_body, scope, message) -> None:
    response = client.post("/api/ask", json={"question": "普洱茶产于哪里？", "scope": scope})
    assert response.status_code == 422
    assert response.json() == error_body(422, "invalid_question", message)


def test_a_malformed_scope_date_is_422(client) -> None:
    body = {"question": "普洱茶产于哪里？", "scope": {"date_from": "11/2019"}}
    response = client.post("/api/ask", json=body)
    assert response.status_code == 422
    assert "date_from" in response.json()["error"]["message"]
