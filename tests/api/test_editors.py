"""/editors: off without a token, closed without the right one, and what it lists and stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

TOKEN = "s3cret-editors-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def editors(fixture_settings: Settings, fixture_service: QAService) -> Iterator[TestClient]:
    settings = fixture_settings.model_copy(update={"editors_token": SecretStr(TOKEN)})
    with TestClient(create_app(settings, service=fixture_service)) as client:
        yield client


def test_without_a_token_set_the_page_is_off_and_says_how_to_turn_it_on(client: TestClient, error_body):
    page = client.get("/editors")
    data = client.get("/editors/api/questions", headers=AUTH)

    assert page.status_code == 403 and "QA_EDITORS_TOKEN" in page.text
    assert data.status_code == 403
    assert data.json() == error_body(403, "forbidden", data.json()["error"]["message"])
    assert "editors_token" in data.json()["error"]["message"]


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic " + TOKEN},
    {"Authorization": "Bearer ü".encode("latin-1")},
])
def test_data_needs_the_token_as_a_bearer(editors: TestClient, headers, error_body):
    for response in (editors.get("/editors/api/questions", headers=headers),
                     editors.post("/editors/api/marks", headers=headers,
                                  json={"question": "x", "verdict": "ignore"})):
        assert response.status_code == 401
        assert response.json() == error_body(401, "unauthorized", response.json()["error"]["message"])
        assert response.headers["www-authenticate"] == "Bearer"


def test_page_is_served_without_data_in_it(editors: TestClient):
    page = editors.get("/editors")

    assert page.status_code == 200
    assert '<script src="/static/editors.js"></script>' in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from a CDN


def test_lists_unanswered_and_voted_down_questions_grouped(editors: TestClient):
    liked = editors.post("/api/ask", json={"question": "Helm 是什么？"}).json()
    editors.post(f"/api/answers/{liked['answer_id']}/vote", json={"vote": "up"})
    disliked = editors.post("/api/ask", json={"question": "Istio 是什么？"}).json()
    editors.post(f"/api/answers/{disliked['answer_id']}/vote", json={"vote": "down"})
    for question in ("火星上的天气怎么样？", "火星上天气怎么样", "ＸＹＺ 42"):
        assert not editors.post("/api/ask", json={"question": question}).json()["answerable"]
    assert editors.app.state.question_log.flush()

    review = editors.get("/editors/api/questions", headers=AUTH).json()

    counts = {g["question"]: (g["count"], g["unanswered"], g["down_votes"]) for g in review["groups"]}
    assert counts == {"火星上天气怎么样": (2, 2, 0), "Istio 是什么？": (1, 0, 1), "ＸＹＺ 42": (1, 1, 0)}
    istio = next(g for g in review["groups"] if g["question"] == "Istio 是什么？")
    assert istio["passages"][0]["id"] == disliked["passages"][0]["id"]
    assert istio["passages"][0]["url"] == "https://linux.cn/article-1-1.html"
    assert istio["passages"][0]["text"] == disliked["passages"][0]["text"]


def test_marks_are_stored_and_shown(editors: TestClient):
    editors.post("/api/ask", json={"question": "火星上的天气怎么样？"})
    editors.app.state.question_log.flush()

    marked = editors.post("/editors/api/marks", headers=AUTH,
                          json={"question": "火星上的天气怎么样？", "verdict": "unanswerable"})

    assert marked.status_code == 200
    [group] = editors.get("/editors/api/questions", headers=AUTH).json()["groups"]
    assert group["mark"] == {"verdict": "unanswerable", "passage_id": None, "expect": None}


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"question": "Helm 是什么？", "verdict": "passage"}, 422, "invalid_mark"),
    ({"question": "Helm 是什么？", "verdict": "passage", "passage_id": "nope#p9"}, 404, "passage_not_found"),
    ({"question": "Helm 是什么？", "verdict": "maybe"}, 422, "invalid_request"),
    ({"question": "", "verdict": "ignore"}, 422, "invalid_request"),
])
def test_bad_marks_are_4xx(editors: TestClient, body, status, code):
    response = editors.post("/editors/api/marks", headers=AUTH, json=body)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_marks_with_the_log_off_are_409(fixture_settings: Settings, fixture_service: QAService, error_body):
    settings = fixture_settings.model_copy(update={"editors_token": SecretStr(TOKEN),
                                                   "question_log_enabled": False})
    with TestClient(create_app(settings, service=fixture_service)) as client:
        listed = client.get("/editors/api/questions", headers=AUTH)
        marked = client.post("/editors/api/marks", headers=AUTH, json={"question": "x", "verdict": "ignore"})

    assert listed.json()["groups"] == []
    assert marked.status_code == 409
    assert marked.json() == error_body(409, "question_log_off", marked.json()["error"]["message"])
