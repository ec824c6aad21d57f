"""Hostile input is ordinary input on the internet: every route answers bad
bytes, odd shapes and huge values with a 4xx in the one error body, and the
server goes on answering."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

JSON = {"content-type": "application/json"}
TURN = b'{"role": "user", "content": "x"}'
HISTORY_OF_51 = b'{"question": "ACP", "history": [' + b",".join([TURN] * 51) + b"]}"

BODIES = {
    "not UTF-8": b'{"question": "\xff\xfe"}',
    "not JSON": b"question=ACP",
    "truncated JSON": b'{"question": "AC',
    "JSON array": b'[{"question": "ACP"}]',
    "JSON string": b'"ACP"',
    "null": b"null",
    "question is a number": b'{"question": 42}',
    "question is null": b'{"question": null}',
    "NUL question": b'{"question": "\\u0000"}',
    "punctuation only": '{"question": "？？？!!!"}'.encode(),
    "emoji only": '{"question": "🍕🍕🍕"}'.encode(),
    "lone surrogate": b'{"question": "\\ud800 ACP"}',
    "lone surrogate in history": b'{"question": "ACP", "history": [{"role": "user", "content": "\\udfff"}]}',
    "huge top_k": b'{"question": "ACP", "top_k": 1e400}',
    "negative top_k": b'{"question": "ACP", "top_k": -1}',
    "unknown field": b'{"question": "ACP", "admin": true}',
    "role not user or assistant": b'{"question": "ACP", "history": [{"role": "system", "content": "x"}]}',
    "history turn over 4,000 characters": b'{"question": "ACP", "history": [{"role": "user", "content": "'
                                          + b"x" * 4001 + b'"}]}',
    "history of 51 turns": HISTORY_OF_51,
    "question of 501 characters": b'{"question": "' + b"x" * 501 + b'"}',
    "deeply nested": b'{"question": "ACP", "history": ' + b"[" * 5000 + b"]" * 5000 + b"}",
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_bad_ask_body_is_a_4xx_in_the_one_error_body(client: TestClient, body: bytes) -> None:
    response = client.post("/api/ask", content=body, headers=JSON)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message"} and error["status"] == response.status_code
    assert "Traceback" not in error["message"]
    assert client.post("/api/ask", json={"question": "Helm 是什么？"}).status_code == 200  # still serving


def test_body_over_the_limit_is_413_before_it_is_read(client: TestClient) -> None:
    response = client.post("/api/ask", content=b"x" * (64 * 1024 + 1), headers=JSON)
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/api/passages/%ff%fe", "/api/passages/" + "a" * 10000,
                                  "/api/passages/a/" + "%00" * 100, "/api/articles?x=%ff", "/%ff"])
def test_odd_paths_are_answered_without_a_5xx(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"status", "code", "message"}


def test_body_that_cannot_be_read_says_what_to_send(client: TestClient, error_body) -> None:
    response = client.post("/api/ask", content=b'{"question": "\xff\xfe"}', headers=JSON)
    assert response.json() == error_body(400, "bad_request", (
        'the request body cannot be read: send UTF-8 JSON such as {"question": "你的问题"} '
        "with Content-Type: application/json"))


def test_question_without_words_is_422_and_says_so(client: TestClient, error_body) -> None:
    response = client.post("/api/ask", json={"question": "🍕🍕🍕"})
    assert response.json() == error_body(422, "invalid_question", (
        "the question has no words (no letter, digit or Chinese character): ask in words, "
        "e.g. “ACP 2.0 是什么？”"))
