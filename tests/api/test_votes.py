"""POST /api/answers/{answer_id}/vote, and the answer_id that /api/ask returns."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings


def ask(http: TestClient, question: str = "Helm 是什么？", **fields) -> dict:
    response = http.post("/api/ask", json={"question": question, **fields})
    assert response.status_code == 200
    return response.json()


def test_ask_is_logged_with_its_client_and_conversation(client: TestClient):
    answer_id = ask(client, client="widget", conversation_id="c-123")["answer_id"]

    question_log = client.app.state.question_log
    assert question_log.flush()
    stored = question_log.get(answer_id)
    assert (stored.client, stored.question, stored.conversation_id) == ("widget", "Helm 是什么？", "c-123")
    assert stored.answerable and stored.top_passage_id == "cloud-native#p2"
    assert ask(client, "龙井产自哪里？")["answer_id"] != answer_id


def test_vote_is_stored_and_changeable(client: TestClient):
    answer_id = ask(client)["answer_id"]

    down = client.post(f"/api/answers/{answer_id}/vote", json={"vote": "down"})
    up = client.post(f"/api/answers/{answer_id}/vote", json={"vote": "up"})

    assert (down.status_code, down.json()) == (200, {"answer_id": answer_id, "vote": "down"})
    assert up.status_code == 200
    assert client.app.state.question_log.get(answer_id).vote == "up"


def test_vote_on_an_unknown_answer_is_404(client: TestClient, error_body):
    response = client.post(f"/api/answers/{'0' * 32}/vote", json={"vote": "up"})

    assert response.status_code == 404
    assert response.json() == error_body(404, "answer_not_found", response.json()["error"]["message"])
    assert "answer_id" in response.json()["error"]["message"]


def test_invalid_votes_are_422(client: TestClient):
    answer_id = ask(client)["answer_id"]
    for url, body in [(f"/api/answers/{answer_id}/vote", {"vote": "sideways"}),
                      (f"/api/answers/{answer_id}/vote", {"vote": "up", "user": "me"}),
                      (f"/api/answers/{answer_id}/vote", {}),
                      ("/api/answers/not-an-id/vote", {"vote": "up"})]:
        response = client.post(url, json=body)
        assert response.status_code == 422, (url, body)
        assert response.json()["error"]["code"] == "invalid_request"
    assert client.app.state.question_log.flush()
    assert client.app.state.question_log.get(answer_id).vote is None


def test_votes_are_rate_limited_per_answer(client: TestClient, error_body):
    first, second = ask(client)["answer_id"], ask(client, "龙井产自哪里？")["answer_id"]
    for vote in ("up", "down", "up", "down", "up"):
        assert client.post(f"/api/answers/{first}/vote", json={"vote": vote}).status_code == 200

    refused = client.post(f"/api/answers/{first}/vote", json={"vote": "down"})

    assert refused.status_code == 429
    assert refused.json() == error_body(429, "too_many_votes", refused.json()["error"]["message"])
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert client.app.state.question_log.get(first).vote == "up"
    assert client.post(f"/api/answers/{second}/vote", json={"vote": "down"}).status_code == 200


def test_with_logging_off_there_is_no_answer_id_and_no_file(fixture_settings: Settings,
                                                            fixture_service: QAService, error_body):
    settings = fixture_settings.model_copy(update={"question_log_enabled": False})
    with TestClient(create_app(settings, service=fixture_service)) as client:
        assert ask(client)["answer_id"] is None
        response = client.post(f"/api/answers/{'0' * 32}/vote", json={"vote": "up"})
    assert response.status_code == 404
    assert "question log is off" in response.json()["error"]["message"]
    assert not settings.question_log.exists()
