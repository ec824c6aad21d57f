"""The Slack bot end to end: requests signed with slack_sdk's own signature
code go to the real app; what the bot sends goes to a stand-in of the Slack
Web API (and of `response_url`) served on 127.0.0.1, which records it, and
which can be slow, silent, or gone."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from api.app import create_app
from api.slack import (
    INTERACTIVITY_ROUTE,
    POST_WORKERS,
    ROUTE,
    SeenIds,
    SlackConfigError,
    add_slack_routes,
    thread_history,
)
from api.slack_blocks import NO_ANSWER
from api.slack_connection import SlackConnection
from api.slack_outbox import Outbox
from qa.service import QAService
from qa.settings import Settings

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1111-2222-test-token"
BOT_USER, BOT_ID = "UQABOT", "BQABOT"
ASKER = "UASKER"
POST_MESSAGE = "/api/chat.postMessage"
RESPONSE_URL_PATH = "/response/T1/1234/abcd"


# --- the stand-in Slack ----------------------------------------------------------------
class SlackStandIn:
    """A local Slack Web API (auth.test, chat.postMessage) and response_url
    endpoint that records every call: `calls` is a list of (path, payload)."""

    def __init__(self, auth_test: dict | None = None, port: int = 0):
        self.calls: list[tuple[str, dict]] = []
        self.thread: list[dict] | None = None  # conversations.replies; None: Slack answers thread_error
        self.thread_error = "missing_scope"
        self.auth_test = auth_test or {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID,
                                       "team_id": "T1", "user": "qa", "team": "Test"}
        self.slow = 0.0  # seconds before answering anything but auth.test (until released)
        self.silent = False  # accept every connection and never answer (until released)
        self._closing = threading.Event()
        self._server = _QuietServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def posts(self, path: str) -> list[dict]:
        return [payload for called, payload in self.calls if called == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.posts(path)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        posts = self.posts(path)
        assert len(posts) >= count, f"expected {count} call(s) to {path} within {timeout} s, got {self.calls}"
        return posts

    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self

    def release(self) -> None:
        """Stop being slow or silent: what is held back is answered now."""
        self._closing.set()

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _reply_to(self, path: str, payload: dict) -> tuple[str, bytes]:
        if path.startswith("/response/"):
            return "text/plain", b"ok"
        if path == "/api/auth.test":
            return "application/json", json.dumps(self.auth_test).encode()
        if path == "/api/conversations.replies":
            reply = ({"ok": True, "messages": self.thread} if self.thread is not None
                     else {"ok": False, "error": self.thread_error})
            return "application/json", json.dumps(reply).encode()
        return "application/json", json.dumps({"ok": True, "channel": payload.get("channel"),
                                               "ts": "1700000099.000200"}).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                is_json = self.headers.get("Content-Type", "").startswith("application/json")
                payload = json.loads(body) if is_json and body else dict(parse_qsl(body))
                self._answer(self.path, payload)

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                self._answer(path, dict(parse_qsl(query)))

            def _answer(self, path: str, payload: dict) -> None:
                stand_in.calls.append((path, payload))
                if stand_in.silent:
                    stand_in._closing.wait()
                    return  # released: the connection closes unanswered
                if stand_in.slow and path != "/api/auth.test":
                    stand_in._closing.wait(stand_in.slow)
                content_type, reply = stand_in._reply_to(path, payload)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

        return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a slow answer: nothing to report


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingService:
    """The fixture service, remembering the questions it was asked."""

    def __init__(self, inner: QAService):
        self.inner = inner
        self.questions: list[str] = []
        self.release = threading.Event()
        self.release.set()  # a test clears it to hold answers back

    def ask(self, question: str, top_k: int | None = None, history=(), **where):
        self.questions.append(question)
        assert self.release.wait(10), "test never released the answer"
        return self.inner.ask(question, top_k=top_k, history=history)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


# --- fixtures -----------------------------------------------------------------------------
def slack_settings(base: Settings, api: SlackStandIn, **overrides) -> Settings:
    values = {"slack_signing_secret": SecretStr(SECRET), "slack_bot_token": SecretStr(TOKEN),
              "slack_api_url": api.url + "/api/", **overrides}
    return base.model_copy(update=values)


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    with SlackStandIn() as api:
        yield api


@pytest.fixture
def service(fixture_service: QAService) -> RecordingService:
    return RecordingService(fixture_service)


@pytest.fixture
def app(fixture_settings: Settings, slack_api: SlackStandIn, service: RecordingService) -> Iterator[FastAPI]:
    app = create_app(slack_settings(fixture_settings, slack_api, example_questions=["Helm 是什么？"]),
                     service=service)
    yield app
    finish_answers(app)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def finish_answers(app: FastAPI) -> None:
    """Wait until every answer being worked on in the background is posted."""
    assert app.state.slack.outbox.drain(timeout=10), "answers still being posted after 10 s"


# --- requests from "Slack" ---------------------------------------------------------------
def post(client: TestClient | httpx.Client, body: str, *, timestamp: float | None = None,
         secret: str = SECRET, signed: bool = True, headers: dict | None = None):
    content_type = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    sent = {"Content-Type": content_type, **(headers or {})}
    if signed:
        ts = str(int(time.time() if timestamp is None else timestamp))
        sent["X-Slack-Request-Timestamp"] = ts
        sent["X-Slack-Signature"] = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return client.post(ROUTE, content=body.encode(), headers=sent)


def signed_bytes(body: bytes, timestamp: str) -> str:
    """Slack's signature of any bytes, computed here from its definition (an
    oracle independent of slack_sdk, which only signs text)."""
    digest = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def mention(text: str, *, event_id: str = "Ev001", ts: str = "1700000000.000100", **fields) -> str:
    event = {"type": "app_mention", "user": ASKER, "text": text, "ts": ts, "channel": "C1",
             "event_ts": ts, **fields}
    return json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event": event, "event_id": event_id, "event_time": 1700000000})


def slash(text: str, slack_api: SlackStandIn, trigger_id: str = "1.2.3") -> str:
    return urlencode({"token": "legacy", "team_id": "T1", "channel_id": "C1", "user_id": ASKER,
                      "command": "/ask", "text": text, "trigger_id": trigger_id,
                      "response_url": slack_api.url + RESPONSE_URL_PATH})


def all_text(message: dict) -> str:
    return json.dumps(message.get("blocks"), ensure_ascii=False) + message.get("text", "")


# --- the handshake and answers ---------------------------------------------------------------
def test_url_verification_returns_the_challenge(client):
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    response = post(client, body)
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_mention_is_answered_in_its_thread_with_citations(client, slack_api, service):
    response = post(client, mention(f"<@{BOT_USER}> Helm 是什么？", ts="1700000000.000100"))
    assert response.status_code == 200
    [message] = slack_api.wait_for(POST_MESSAGE)
    assert message["channel"] == "C1"
    assert message["thread_ts"] == "1700000000.000100"
    assert "Helm 是 Kubernetes 的包管理工具。" in message["text"]
    blocks = all_text(message)
    assert "Helm 是 Kubernetes 的包管理工具。" in blocks
    link = r"<https://linux\.cn/article-1-1\.html#:~:text=[^|>]+\|云原生入门 · 什么是 Kubernetes>"
    assert re.search(link, blocks)  # the citation lands on the answering sentence
    sources = service.inner.ask("Helm 是什么？").sources[:3]  # those far below the best are left out
    assert [rank for rank in range(1, 6) if f"*[{rank}]*" in blocks] == sources


def test_mention_inside_a_thread_is_answered_in_that_thread(client, slack_api):
    post(client, mention(f"<@{BOT_USER}> Istio 是什么？", ts="1700000050.000300",
                         thread_ts="1700000000.000100"))
    [message] = slack_api.wait_for(POST_MESSAGE)
    assert message["thread_ts"] == "1700000000.000100"


@pytest.mark.parametrize("text", [
    f"<@{BOT_USER}> Helm 是什么？",
    f"<@{BOT_USER}|qa> Helm 是什么？",
    f"请问 <@{BOT_USER}>  Helm 是什么？ <@U0OTHER>",
])
def test_mention_markup_is_stripped_from_the_question(client, slack_api, service, text):
    post(client, mention(text))
    slack_api.wait_for(POST_MESSAGE)
    [question] = service.questions
    assert "<@" not in question
    assert question.endswith("Helm 是什么？")


def test_slash_command_is_answered_through_response_url(client, slack_api):
    response = post(client, slash("龙井产自哪里？", slack_api))
    assert response.status_code == 200
    assert "龙井产自哪里？" in response.text  # the quick acknowledgement
    [message] = slack_api.wait_for(RESPONSE_URL_PATH)
    assert message["response_type"] == "in_channel"
    blocks = all_text(message)
    assert "杭州西湖" in blocks
    assert re.search(r"<https://example\.org/tea#:~:text=[^|>]+\|茶馆访谈 · 茶的种类>", blocks)
    assert f"<@{ASKER}> 问：龙井产自哪里？" in blocks  # others see what was asked
    assert slack_api.posts(POST_MESSAGE) == []


def test_slash_command_is_acknowledged_before_the_answer_is_ready(client, slack_api, service):
    service.release.clear()  # the answer takes as long as the test wants
    started = time.monotonic()
    response = post(client, slash("Helm 是什么？", slack_api))
    assert response.status_code == 200
    assert time.monotonic() - started < 3
    assert slack_api.posts(RESPONSE_URL_PATH) == []
    service.release.set()
    slack_api.wait_for(RESPONSE_URL_PATH)


def test_unanswerable_question_says_so_and_labels_the_nearest_passages(client, slack_api, service,
                                                                      monkeypatch):
    monkeypatch.setattr(service.inner, "answer_threshold", 1.01)
    question = "月球背面的土壤是什么颜色？"  # asked nowhere else: the answer cache cannot hide the threshold
    assert service.inner.ask(question, top_k=3).answerable is False
    post(client, mention(f"<@{BOT_USER}> {question}"))
    [message] = slack_api.wait_for(POST_MESSAGE)
    assert message["text"] == NO_ANSWER
    blocks = all_text(message)
    assert NO_ANSWER in blocks
    assert "最接近的段落" in blocks
    assert "答：" not in blocks


# --- replies that are not answers ------------------------------------------------------------
def test_empty_mention_gets_a_usage_reply(client, slack_api, service):
    post(client, mention(f"<@{BOT_USER}>  "))
    [message] = slack_api.wait_for(POST_MESSAGE)
    assert f"<@{BOT_USER}> Helm 是什么？" in all_text(message)  # the example_questions setting's
    assert service.questions == []


def test_empty_slash_command_gets_a_usage_reply(client, slack_api, service):
    response = post(client, slash("", slack_api))
    assert response.status_code == 200
    assert "/ask Helm 是什么？" in all_text(response.json())
    assert service.questions == []


def test_too_long_question_gets_a_friendly_reply(client, slack_api, service):
    limit = service.max_question_chars
    response = post(client, slash("长" * (limit + 1), slack_api))
    assert f"{limit + 1} 个字，最多 {limit} 个字" in response.json()["text"]
    post(client, mention(f"<@{BOT_USER}> " + "长" * (limit + 1)))
    [message] = slack_api.wait_for(POST_MESSAGE)
    assert f"最多 {limit} 个字" in message["text"]
    assert service.questions == []


def test_question_before_the_index_is_loaded_gets_a_wait_reply(client, app, slack_api):
    app.state.service = None
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？"))
    [message] = slack_api.wait_for(POST_MESSAGE)
    assert "索引还在加载" in message["text"]


def test_unexpected_error_is_reported_in_slack_and_logged(client, app, slack_api, service, monkeypatch,
                                                          caplog):
    def broken(question, top_k=None, history=()):
        raise RuntimeError("index file vanished")

    monkeypatch.setattr(service, "ask", broken)
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？"))
    finish_answers(app)
    [message] = slack_api.posts(POST_MESSAGE)
    assert "出错了" in message["text"]
    assert "index file vanished" in caplog.text  # not swallowed: logged with the traceback


def test_slash_command_mentioning_payload_is_answered(client, slack_api, service):
    # slack_bolt 1.30 read any form body with the word "payload" in it as an interactivity payload.
    response = post(client, slash("Kubernetes 的 payload 是什么？", slack_api))
    assert response.status_code == 200
    slack_api.wait_for(RESPONSE_URL_PATH)
    assert service.questions == ["Kubernetes 的 payload 是什么？"]


# --- what is not answered ---------------------------------------------------------------------
@pytest.mark.parametrize("request_kind", ["mention", "slash", "url_verification"])
@pytest.mark.parametrize("how", ["forged", "stale", "missing"])
def test_request_without_a_valid_signature_is_401_and_does_nothing(
        client, app, slack_api, service, error_body, request_kind, how):
    body = {"mention": mention(f"<@{BOT_USER}> Helm 是什么？"), "slash": slash("Helm 是什么？", slack_api),
            "url_verification": json.dumps({"type": "url_verification", "challenge": "c"})}[request_kind]
    signing = {"forged": {"secret": "not-the-signing-secret"},
               "stale": {"timestamp": time.time() - 5 * 60 - 30},
               "missing": {"signed": False}}[how]
    response = post(client, body, **signing)
    assert response.status_code == 401
    assert response.json() == error_body(401, "invalid_signature", response.json()["error"]["message"])
    assert "SLACK_SIGNING_SECRET" in response.json()["error"]["message"]
    assert "challenge" not in response.text
    finish_answers(app)
    assert service.questions == []
    assert [path for path, _ in slack_api.calls if path != "/api/auth.test"] == []


def test_signed_ssl_check_is_200_and_unsigned_is_401(client):
    body = urlencode({"ssl_check": "1", "token": "legacy"})
    assert post(client, body).status_code == 200
    assert post(client, body, signed=False).status_code == 401


def test_retried_event_is_answered_once(client, app, slack_api):
    body = mention(f"<@{BOT_USER}> Helm 是什么？", event_id="EvRETRY")
    assert post(client, body).status_code == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert post(client, body, headers=retry).status_code == 200
    finish_answers(app)
    assert len(slack_api.posts(POST_MESSAGE)) == 1


def test_event_the_bot_does_not_handle_is_404_in_the_one_error_body(client, error_body):
    body = json.dumps({"type": "event_callback", "event_id": "EvX", "team_id": "T1",
                       "event": {"type": "reaction_added", "user": ASKER}})
    response = post(client, body)
    assert response.status_code == 404
    assert response.json() == error_body(404, "unhandled_slack_request", response.json()["error"]["message"])


def test_different_events_are_each_answered(client, app, slack_api):
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？", event_id="EvA"))
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？", event_id="EvB"))
    finish_answers(app)
    assert len(slack_api.posts(POST_MESSAGE)) == 2


@pytest.mark.parametrize("sender", [
    {"user": BOT_USER},  # the bot itself
    {"bot_id": BOT_ID},
    {"bot_id": "BOTHER", "user": "UOTHERBOT"},  # another bot
    {"subtype": "bot_message", "user": "UOTHERBOT"},
])
def test_messages_from_bots_are_ignored(client, app, slack_api, service, sender):
    response = post(client, mention(f"<@{BOT_USER}> Helm 是什么？", **sender))
    assert response.status_code == 200
    finish_answers(app)
    assert slack_api.posts(POST_MESSAGE) == []
    assert service.questions == []


# --- configuration ------------------------------------------------------------------------------
@pytest.mark.parametrize(("missing", "named"), [
    ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
    ("slack_bot_token", "SLACK_BOT_TOKEN"),
])
def test_refuses_to_start_without_a_slack_setting(fixture_settings, slack_api, missing, named):
    settings = slack_settings(fixture_settings, slack_api, **{missing: None})
    assert settings.slack_enabled
    with pytest.raises(SlackConfigError, match=named) as raised:
        add_slack_routes(FastAPI(), settings)
    assert SECRET not in str(raised.value) and TOKEN not in str(raised.value)


def test_refuses_to_start_when_the_app_is_built_without_signing_secret(fixture_settings, slack_api,
                                                                       fixture_service):
    settings = slack_settings(fixture_settings, slack_api, slack_signing_secret=None)
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET"):
        create_app(settings, service=fixture_service)


def test_refuses_a_token_that_is_not_a_bot_token(fixture_settings, slack_api):
    settings = slack_settings(fixture_settings, slack_api, slack_bot_token=SecretStr("xoxp-user-token"))
    with pytest.raises(SlackConfigError, match="xoxb-") as raised:
        add_slack_routes(FastAPI(), settings)
    assert "xoxp-user-token" not in str(raised.value)


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "account_inactive", "token_revoked"])
def test_refuses_to_start_when_slack_rejects_the_token(fixture_settings, error):
    with (SlackStandIn(auth_test={"ok": False, "error": error}) as api,
          pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN") as raised):
        add_slack_routes(FastAPI(), slack_settings(fixture_settings, api))
    assert f"Slack refused SLACK_BOT_TOKEN ({error}). Set it to the Bot User OAuth Token" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_start_up_with_the_token_in_the_environment_logs_no_warning(fixture_settings, slack_api, service,
                                                                   monkeypatch, caplog):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)  # the same token twice is no conflict
    app = create_app(slack_settings(fixture_settings, slack_api), service=service)
    finish_answers(app)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_secrets_are_never_logged(fixture_settings, slack_api, service, caplog):
    caplog.set_level(logging.DEBUG)
    app = create_app(slack_settings(fixture_settings, slack_api), service=service)  # start-up logs too
    with TestClient(app) as client:
        post(client, mention(f"<@{BOT_USER}> Helm 是什么？"))
        post(client, mention(f"<@{BOT_USER}> Helm 是什么？"), secret="wrong")
        post(client, slash("Helm 是什么？", slack_api))
    finish_answers(app)
    slack_api.wait_for(RESPONSE_URL_PATH)
    assert "auth.test" in caplog.text  # debug logging was on and did say things
    assert SECRET not in caplog.text
    assert TOKEN not in caplog.text


def test_oauth_settings_in_the_environment_do_not_take_over(fixture_settings, slack_api, service,
                                                            monkeypatch):
    # Slack's SDKs turn to multi-workspace OAuth (and ignore the bot token) when
    # they find these two; this bot is installed in one workspace with its token.
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "an-oauth-secret")
    app = create_app(slack_settings(fixture_settings, slack_api), service=service)
    assert os.environ["SLACK_CLIENT_ID"] == "111.222"  # left as it was
    with TestClient(app) as client:
        assert post(client, mention(f"<@{BOT_USER}> Helm 是什么？")).status_code == 200
        [message] = slack_api.wait_for(POST_MESSAGE)
    finish_answers(app)
    assert "Helm 是 Kubernetes 的包管理工具。" in message["text"]



# --- follow-ups in a thread -----------------------------------------------------------------
REPLIES = "/api/conversations.replies"
THREAD = [
    {"type": "message", "user": ASKER, "text": f"<@{BOT_USER}> 龙井产自哪里？", "ts": "1700000000.000100"},
    {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": "龙井是产自杭州西湖的绿茶。",
     "ts": "1700000001.000100"},
    {"type": "message", "user": ASKER, "text": f"<@{BOT_USER}> 它有什么特点？", "ts": "1700000002.000100"},
]


def test_follow_up_in_a_thread_is_answered_with_the_thread_as_context(client, slack_api, service):
    slack_api.thread = THREAD
    post(client, mention(f"<@{BOT_USER}> 它有什么特点？", ts=THREAD[2]["ts"], thread_ts=THREAD[0]["ts"]))
    [message] = slack_api.wait_for(POST_MESSAGE)
    [read] = slack_api.posts(REPLIES)
    assert (read["channel"], read["ts"]) == ("C1", "1700000000.000100")
    assert message["thread_ts"] == "1700000000.000100"
    assert message["text"] != NO_ANSWER
    assert "龙井" in all_text(message)
    assert service.questions == ["它有什么特点？"]


def test_follow_up_without_the_history_scope_is_answered_on_its_own(client, slack_api, caplog):
    slack_api.thread = None  # Slack says missing_scope
    post(client, mention(f"<@{BOT_USER}> 它有什么特点？", ts=THREAD[2]["ts"], thread_ts=THREAD[0]["ts"]))
    [message] = slack_api.wait_for(POST_MESSAGE)
    assert message["text"] == NO_ANSWER  # "它" alone names nothing the articles answer about
    assert "channels:history" in caplog.text and "missing_scope" in caplog.text


def test_other_thread_errors_do_not_blame_the_scopes(slack_api, caplog):
    slack_api.thread_error = "thread_not_found"
    client = WebClient(token=TOKEN, base_url=slack_api.url + "/api/")
    assert thread_history(client, "C1", THREAD[0]["ts"], THREAD[2]["ts"], BOT_USER) == []
    assert "thread_not_found" in caplog.text
    assert "scope" not in caplog.text


@pytest.mark.parametrize(
    ("bot_message", "bot_user_id"),
    [
        ({"user": BOT_USER, "bot_id": BOT_ID}, BOT_USER),
        ({"user": BOT_USER}, BOT_USER),  # known by its user id alone
        ({"bot_id": BOT_ID}, None),  # known by its bot id alone
    ],
)
def test_thread_history_is_the_turns_before_the_mention(slack_api, bot_message, bot_user_id):
    reply = {"type": "message", "text": "龙井是产自杭州西湖的绿茶。", "ts": THREAD[1]["ts"], **bot_message}
    later = {"type": "message", "user": ASKER, "text": "后来的话", "ts": "1700000003.000100"}
    slack_api.thread = [THREAD[0], reply, THREAD[2], later]
    client = WebClient(token=TOKEN, base_url=slack_api.url + "/api/")
    turns = thread_history(client, "C1", THREAD[0]["ts"], THREAD[2]["ts"], bot_user_id)
    assert [(t.role, t.content) for t in turns] == [("user", "龙井产自哪里？"),
                                                    ("assistant", "龙井是产自杭州西湖的绿茶。")]


def test_mention_outside_a_thread_does_not_read_history(client, app, slack_api):
    slack_api.thread = THREAD
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？"))
    slack_api.wait_for(POST_MESSAGE)
    finish_answers(app)
    assert slack_api.posts(REPLIES) == []


# --- hostile and malformed requests -----------------------------------------------------------
def send_raw(client: TestClient, body: bytes, content_type: str, *, signed: bool = True,
             timestamp: str | bytes | None = None, signature: str | bytes | None = None):
    """`body` as it is, signed over its raw bytes unless told otherwise."""
    ts = timestamp if timestamp is not None else str(int(time.time()))
    headers: dict[str, str | bytes] = {"Content-Type": content_type}
    if signed:
        headers["X-Slack-Request-Timestamp"] = ts
        headers["X-Slack-Signature"] = signature if signature is not None else signed_bytes(body, ts)
    return client.post(ROUTE, content=body, headers=headers)


def assert_refused_quietly(response, status: int, code: str, caplog, error_body) -> str:
    """The one error body, and one log line without a traceback."""
    assert response.status_code == status, response.text
    message = response.json()["error"]["message"]
    assert response.json() == error_body(status, code, message)
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    return message


JSON, FORM = "application/json", "application/x-www-form-urlencoded"
MALFORMED = {
    "not UTF-8 (JSON)": (b'{"type": "event_callback", "x": "\xff\xfe"}', JSON, "not UTF-8"),
    "not UTF-8 (form)": (b"command=%2Fask&text=\xc3\x28", FORM, "not UTF-8"),
    "a JSON array": (b'[{"type": "url_verification", "challenge": "c"}]', JSON, "JSON list"),
    "a JSON string": (b'"url_verification"', JSON, "JSON str"),
    "invalid JSON": (b'{"type": "event_callback", "event": ', JSON, "not valid JSON"),
    "JSON nested too deeply": (b"[" * 30000 + b"]" * 30000, JSON, "nested too deeply"),
    "JSON without a type": (b'{"event": {"type": "app_mention"}}', JSON, 'no "type"'),
    "a mention without its channel": (
        json.dumps({"type": "event_callback", "event_id": "Ev1",
                    "event": {"type": "app_mention", "ts": "1.2", "text": "hi"}}).encode(),
        JSON, "event.channel"),
    "a mention without an event_id": (
        json.dumps({"type": "event_callback",
                    "event": {"type": "app_mention", "ts": "1.2", "channel": "C1"}}).encode(),
        JSON, "event_id"),
    "an unknown form": (b"hello=world&foo=bar", FORM, "neither a slash command"),
    "not a form either": (b"just some words", FORM, "neither JSON nor form data"),
    "a slash command without trigger_id": (
        urlencode({"command": "/ask", "text": "Helm?", "user_id": ASKER,
                   "response_url": "https://hooks.slack.com/x"}).encode(), FORM, "trigger_id"),
    "a slash command with a bad response_url": (
        urlencode({"command": "/ask", "text": "Helm?", "user_id": ASKER, "trigger_id": "9.9",
                   "response_url": "file:///etc/passwd"}).encode(), FORM, "response_url"),
}


@pytest.mark.parametrize("case", MALFORMED.keys())
def test_signed_but_malformed_body_is_400_and_does_nothing(client, app, slack_api, service, caplog,
                                                          error_body, case):
    body, content_type, named = MALFORMED[case]
    response = send_raw(client, body, content_type)
    message = assert_refused_quietly(response, 400, "invalid_slack_request", caplog, error_body)
    assert named in message
    finish_answers(app)
    assert service.questions == []
    assert [path for path, _ in slack_api.calls if path != "/api/auth.test"] == []


@pytest.mark.parametrize("case", ["not UTF-8 (JSON)", "a JSON array", "invalid JSON", "an unknown form"])
def test_unsigned_malformed_body_is_401_before_it_is_read(client, caplog, error_body, case):
    body, content_type, _ = MALFORMED[case]
    response = send_raw(client, body, content_type, signature="v0=" + "0" * 64)
    assert_refused_quietly(response, 401, "invalid_signature", caplog, error_body)


@pytest.mark.parametrize(("timestamp", "signature", "named"), [
    ("yesterday", None, "Unix time"),
    (b"\xb9\xb2\xb3", None, "Unix time"),  # "¹²³": str.isdigit() says yes, int() raises
    ("1" * 5000, None, "Unix time"),
    ("", None, "no X-Slack-Signature"),
    (None, b"v0=\xe9\xe9", "not a Slack signature"),  # non-ASCII: compare_digest would raise
    (None, "v0=", "not signed with this Slack app's signing secret"),
])
def test_malformed_signature_headers_are_401(client, caplog, error_body, timestamp, signature, named):
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    ts = timestamp if timestamp is not None else str(int(time.time()))
    if signature is None:
        signature = signed_bytes(body, ts.decode("latin-1") if isinstance(ts, bytes) else ts)
    response = send_raw(client, body, JSON, timestamp=ts, signature=signature)
    message = assert_refused_quietly(response, 401, "invalid_signature", caplog, error_body)
    assert named in message and "SLACK_SIGNING_SECRET" in message


def test_body_signed_over_its_bytes_is_accepted_like_slack_sdk_signs_it(client):
    body = json.dumps({"type": "url_verification", "challenge": "短"}, ensure_ascii=False)
    ts = str(int(time.time()))
    assert signed_bytes(body.encode(), ts) == SignatureVerifier(SECRET).generate_signature(
        timestamp=ts, body=body)
    assert send_raw(client, body.encode(), JSON, timestamp=ts).json() == {"challenge": "短"}


def test_slash_command_other_than_ask_is_404(client, slack_api, error_body):
    body = slash("Helm?", slack_api).replace("%2Fask", "%2Fweather")
    response = post(client, body)
    assert response.json() == error_body(404, "unhandled_slack_request", response.json()["error"]["message"])


# --- replays ------------------------------------------------------------------------------------
def test_replayed_slash_command_is_answered_once(client, app, slack_api, service):
    body = slash("Helm 是什么？", slack_api, trigger_id="111.222.333")
    first = post(client, body)
    replayed = post(client, body)  # the same signed body again, inside the 5 minutes
    assert first.status_code == replayed.status_code == 200
    assert "正在查找" in first.text
    assert replayed.content == b""
    finish_answers(app)
    assert service.questions == ["Helm 是什么？"]
    assert len(slack_api.posts(RESPONSE_URL_PATH)) == 1


def test_slash_commands_with_different_trigger_ids_are_each_answered(client, app, slack_api, service):
    post(client, slash("Helm 是什么？", slack_api, trigger_id="1.1"))
    post(client, slash("Helm 是什么？", slack_api, trigger_id="1.2"))
    finish_answers(app)
    assert len(slack_api.posts(RESPONSE_URL_PATH)) == 2


def test_ids_are_remembered_up_to_a_bound():
    seen = SeenIds(capacity=3)
    assert [seen.first_time(i) for i in "abca"] == [True, True, True, False]
    assert seen.first_time("d")  # a fourth id: the oldest, "a", is forgotten
    assert seen.first_time("a") and not seen.first_time("d")


# --- Slack unreachable, silent, or back -----------------------------------------------------------
def readiness(client: TestClient) -> dict:
    response = client.get("/readyz")
    assert response.status_code == 200
    return response.json()


def test_slack_unreachable_at_start_the_api_serves_and_readyz_says_why(fixture_settings, service,
                                                                       slack_api, caplog):
    url = f"http://127.0.0.1:{closed_port()}/api/"
    app = create_app(slack_settings(fixture_settings, slack_api, slack_api_url=url), service=service)
    with TestClient(app) as client:
        asked = client.post("/api/ask", json={"question": "Helm 是什么？"})
        ready = readiness(client)
        assert post(client, mention(f"<@{BOT_USER}> Helm 是什么？")).status_code == 200
        finish_answers(app)
    assert asked.status_code == 200 and asked.json()["answerable"]
    assert ready["status"] == "ready"
    assert ready["slack"]["connected"] is False
    assert ready["slack"]["reason"].startswith(f"cannot reach {url}: ")
    assert "Connection refused" in ready["slack"]["reason"] and ready["slack"]["reason"].endswith("retrying")
    assert "cannot post a reply to a mention" in caplog.text  # one line, no traceback
    assert [r for r in caplog.records if r.exc_info] == []


def test_slack_answering_an_error_at_start_is_not_connected_not_fatal(fixture_settings, service):
    with SlackStandIn(auth_test={"ok": False, "error": "service_unavailable"}) as down:
        app = create_app(slack_settings(fixture_settings, down), service=service)
        with TestClient(app) as client:
            slack = readiness(client)["slack"]
    assert slack == {"connected": False, "reason": f"{down.url}/api/ answered service_unavailable; retrying"}


def test_slack_that_never_answers_delays_the_start_by_the_check_timeout_only(fixture_settings, service):
    with SlackStandIn() as silent:
        silent.silent = True
        started = time.monotonic()
        app = create_app(slack_settings(fixture_settings, silent), service=service)
        took = time.monotonic() - started
        with TestClient(app) as client:
            slack = readiness(client)["slack"]
    assert SlackConnection.check_timeout <= took < SlackConnection.check_timeout + 2
    assert slack["connected"] is False
    assert f"no answer within {SlackConnection.check_timeout:g} s" in slack["reason"]


def test_bot_connects_once_slack_can_be_reached(fixture_settings, service, slack_api, monkeypatch):
    monkeypatch.setattr(SlackConnection, "first_retry_seconds", 0.05)
    port = closed_port()
    settings = slack_settings(fixture_settings, slack_api, slack_api_url=f"http://127.0.0.1:{port}/api/")
    app = create_app(settings, service=service)
    with TestClient(app) as client:
        assert readiness(client)["slack"]["connected"] is False
        with SlackStandIn(port=port) as back:
            deadline = time.monotonic() + 10
            while not readiness(client)["slack"]["connected"]:
                assert time.monotonic() < deadline, "the bot did not reconnect within 10 s"
                time.sleep(0.05)
            assert readiness(client)["slack"] == {"connected": True}
            post(client, mention(f"<@{BOT_USER}> Helm 是什么？"))
            [message] = back.wait_for(POST_MESSAGE)
    assert "Helm 是 Kubernetes 的包管理工具。" in message["text"]


def test_post_failing_on_the_network_marks_the_bot_not_connected(client, app, slack_api):
    assert readiness(client)["slack"] == {"connected": True}
    app.state.slack.connection.stop()  # no reconnection: Slack is gone for good
    with SlackStandIn() as gone:
        app.state.slack.client.base_url = gone.url + "/api/"
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？"))
    finish_answers(app)
    slack = readiness(client)["slack"]
    assert slack["connected"] is False and "Connection refused" in slack["reason"]


# --- Slack slow: nothing waits for it ---------------------------------------------------------------
@contextmanager
def serving(app: FastAPI) -> Iterator[httpx.Client]:
    """`app` served by a real uvicorn on 127.0.0.1, and a client of it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def p99_ms(client: httpx.Client, path: str, requests: int = 50) -> float:
    took = []
    for _ in range(requests):
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        took.append((time.perf_counter() - started) * 1000)
    return sorted(took)[math.ceil(0.99 * requests) - 1]


def test_slow_slack_blocks_neither_healthz_nor_the_ack(fixture_settings, service, capsys):
    with SlackStandIn() as slow:
        slow.slow = 10.0  # seconds per post, as Slack at its worst
        app = create_app(slack_settings(fixture_settings, slow), service=service)
        with serving(app) as client:
            for n in range(8):
                assert post(client, mention(f"<@{BOT_USER}> Helm 是什么？", event_id=f"EvSlow{n}")).is_success
            slow.wait_for(POST_MESSAGE, count=POST_WORKERS)  # the posts are hanging in Slack now
            acked: dict = {}

            def ask(asker: httpx.Client) -> None:  # a slash command arrives meanwhile
                started = time.perf_counter()
                acked["response"] = post(asker, slash("龙井产自哪里？", slow))
                acked["ms"] = (time.perf_counter() - started) * 1000

            # Built here: loading its TLS context holds the GIL, which would be timed below.
            with httpx.Client(base_url=client.base_url, timeout=10) as asker:
                asking = threading.Thread(target=ask, args=(asker,))
                asking.start()
                healthz_p99 = p99_ms(client, "/healthz")
                asking.join(timeout=10)
            readyz_p99 = p99_ms(client, "/readyz", requests=20)
            in_flight = len(slow.posts(POST_MESSAGE))
            slow.release()  # the server stops without waiting on Slack
    with capsys.disabled():
        print(f"\nslow Slack: /healthz p99 {healthz_p99:.1f} ms over 50, /readyz p99 {readyz_p99:.1f} ms "
              f"over 20, /ask ack {acked['ms']:.1f} ms, {in_flight} posts hanging")
    assert healthz_p99 < 200 and readyz_p99 < 200
    assert acked["response"].status_code == 200 and "正在查找" in acked["response"].text
    assert acked["ms"] < 1000  # Slack's limit is 3 s
    assert in_flight == POST_WORKERS  # the other answers wait their turn, without threads of their own


def test_full_backlog_drops_with_a_log_line_and_tells_the_asker(client, app, slack_api, service, caplog):
    app.state.slack.outbox = Outbox(workers=1, backlog=1)
    service.release.clear()  # the one worker is held on the first answer
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？", event_id="EvFull1"))
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？", event_id="EvFull2"))
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？", event_id="EvFull3"))
    busy = post(client, slash("Helm 是什么？", slack_api, trigger_id="9.9.9"))
    service.release.set()
    finish_answers(app)
    assert "问题太多" in busy.json()["text"]
    assert len(slack_api.posts(POST_MESSAGE)) == 2
    assert slack_api.posts(RESPONSE_URL_PATH) == []
    assert "dropped mention EvFull3" in caplog.text and "dropped /ask 9.9.9" in caplog.text


# --- 👍/👎 buttons: the interactivity route -------------------------------------------------------
def click(client: TestClient, action_id: str, value: str, *, signed: bool = True):
    """A click on a button as Slack sends it: a form with a block_actions `payload`,
    signed with HMAC-SHA256 over `v0:<timestamp>:<body>` (computed here, not by slack_sdk)."""
    payload = {"type": "block_actions", "user": {"id": ASKER, "username": "reader"}, "team": {"id": "T1"},
               "container": {"type": "message", "channel_id": "C1"}, "trigger_id": "9.9.9",
               "actions": [{"type": "button", "block_id": "qa_vote", "action_id": action_id,
                            "value": value, "action_ts": "1700000001.000001"}]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signed:
        ts = str(int(time.time()))
        headers |= {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signed_bytes(body, ts)}
    return client.post(INTERACTIVITY_ROUTE, content=body, headers=headers)


def answered_with_buttons(client: TestClient, slack_api: SlackStandIn) -> str:
    """Ask by mention; the answer id that the reply's 👍/👎 buttons carry."""
    post(client, mention(f"<@{BOT_USER}> Helm 是什么？"))
    [message] = slack_api.wait_for(POST_MESSAGE)
    blocks = message["blocks"] if isinstance(message["blocks"], list) else json.loads(message["blocks"])
    [actions] = [b for b in blocks if b["type"] == "actions"]
    up, down = actions["elements"]
    assert (up["action_id"], down["action_id"]) == ("vote_up", "vote_down")
    assert up["value"] == down["value"]
    return down["value"]


def test_signed_button_click_stores_the_vote_and_no_user_id(app, client, slack_api, fixture_settings):
    answer_id = answered_with_buttons(client, slack_api)

    response = click(client, "vote_down", answer_id)

    assert response.status_code == 200
    stored = app.state.question_log.get(answer_id)
    assert (stored.client, stored.question, stored.vote) == ("slack", "Helm 是什么？", "down")
    assert stored.conversation_id == "slack-C1-1700000000.000100"
    assert click(client, "vote_up", answer_id).status_code == 200  # changed, not added
    assert app.state.question_log.get(answer_id).vote == "up"
    dump = "\n".join(sqlite3.connect(fixture_settings.question_log).iterdump())
    assert ASKER not in dump and "reader" not in dump


def test_unsigned_button_click_is_401_and_stores_nothing(app, client, slack_api, error_body):
    answer_id = answered_with_buttons(client, slack_api)

    response = click(client, "vote_down", answer_id, signed=False)

    assert response.status_code == 401
    assert response.json() == error_body(401, "invalid_signature", response.json()["error"]["message"])
    assert app.state.question_log.flush()  # the answer is written in the background
    assert app.state.question_log.get(answer_id).vote is None


def test_button_click_on_an_unknown_answer_is_404(client, error_body):
    response = click(client, "vote_up", "0" * 32)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "answer_not_found"


def test_click_on_another_button_is_not_a_vote(client):
    response = click(client, "something_else", "0" * 32)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unhandled_slack_request"


def test_connect_disconnect_and_reconnect_are_one_log_line_each(slack_api, caplog):
    caplog.set_level(logging.INFO, logger="api.slack_connection")
    connection = SlackConnection(TOKEN, slack_api.url + "/api/", publish=lambda status: None)
    connection.first_retry_seconds = 0.05
    try:
        assert connection.check()
        connection.lost(ConnectionResetError("connection reset by peer"), timeout=5)  # then retries
        deadline = time.monotonic() + 10
        while not connection.connected and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        connection.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "api.slack_connection"]
    assert lines == [
        f"the Slack bot is connected to {slack_api.url}/api/",
        f"the Slack bot is not connected: cannot reach {slack_api.url}/api/: connection reset by peer; "
        "retrying. The HTTP API serves meanwhile.",
        f"the Slack bot is reconnected to {slack_api.url}/api/",
    ]
