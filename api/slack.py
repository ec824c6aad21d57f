"""The Slack bot: `POST /slack/events` takes the Events API (the
`url_verification` handshake and `app_mention`) and the `/ask` slash command.

Slack Bolt speaks the protocol: it checks every request's signature before
anything else (401 otherwise), acknowledges within Slack's 3 seconds and runs
the listeners below in its thread pool, where the answer is computed and
posted. This module only translates between Slack and `QAService.ask`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from fastapi import FastAPI, Request, Response
from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware import Middleware, SslCheck
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from api import slack_blocks as say
from api.errors import error_response
from qa.answer import MAX_TURN_CHARS, Turn
from qa.errors import InvalidQuestionError, QAError
from qa.service import QAService
from qa.settings import Settings

ROUTE = "/slack/events"
COMMAND = "/ask"
PASSAGES = 3  # passages shown under an answer
THREAD_MESSAGES = 1000  # messages of a thread read, at most, for a follow-up's context
SEEN_EVENTS = 2048  # event ids remembered to drop Slack's retries
# Threads for Bolt's listeners. A slash command is acknowledged from one, so
# this many slow answers at once would delay the next acknowledgement.
ANSWER_THREADS = 8

logger = logging.getLogger(__name__)


class SlackConfigError(QAError):
    """The Slack bot is turned on but cannot run with the settings given."""


def add_slack_routes(app: FastAPI, settings: Settings) -> None:
    """Add `POST /slack/events`. Answers use `app.state.service`, read at
    each question since the index may still be loading at start-up."""
    bolt = _bolt_app(settings)
    bolt.use(SslCheck())  # Slack's ssl_check ping, answered only once its signature checked out
    bolt.use(FirstDeliveryOnly(SEEN_EVENTS))
    listeners = Listeners(lambda: getattr(app.state, "service", None))
    bolt.event("app_mention")(listeners.on_mention)
    bolt.command(COMMAND)(listeners.on_ask)
    handler = SlackRequestHandler(bolt)
    app.state.slack = bolt

    @app.post(ROUTE, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return _one_error_body(await handler.handle(request))


def _one_error_body(response: Response) -> Response:
    """Bolt's refusals, in the error body every other route has."""
    if response.status_code == 401:
        return error_response(401, "invalid_signature", (
            "the request is not signed with this Slack app's signing secret, or its "
            "X-Slack-Request-Timestamp is more than 5 minutes off: check SLACK_SIGNING_SECRET "
            "and the server's clock"))
    if response.status_code == 404:
        return error_response(404, "unhandled_slack_request", (
            f"this bot answers the {COMMAND} command and app_mention events only: "
            f"compare the Slack app's settings with api/slack_manifest.yaml"))
    return response


# --- configuration -------------------------------------------------------------------
def _bolt_app(settings: Settings) -> App:
    """A Bolt app whose Web API calls go to `settings.slack_api_url`. Bolt
    checks the token with `auth.test` here, so a wrong one stops start-up."""
    secret, token = _credentials(settings)
    api_url = settings.slack_api_url.rstrip("/") + "/"
    try:
        with _hidden_env(*_OAUTH_ENV):
            return App(
                name="qa-slack",
                logger=_bolt_logger(),
                signing_secret=secret,
                client=WebClient(token=token, base_url=api_url),
                ssl_check_enabled=False,  # re-added after signature verification
                listener_executor=ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="slack-answer"),
            )
    except BoltError as exc:
        raise SlackConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({exc}). Set it to the Bot User OAuth Token "
            f"(xoxb-…) on the OAuth & Permissions page of your Slack app"
        ) from None
    except OSError as exc:
        raise SlackConfigError(
            f"cannot reach the Slack Web API at {api_url} to check SLACK_BOT_TOKEN ({exc}). "
            f"Check the network, or QA_SLACK_API_URL"
        ) from exc


# With both of these in the environment Bolt turns to multi-workspace OAuth
# and ignores the bot token, so that no reply could be posted. This bot is
# installed in one workspace with its token; they may belong to another app.
_OAUTH_ENV = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@contextmanager
def _hidden_env(*names: str) -> Iterator[None]:
    """The environment without `names` while Bolt reads it (start-up only)."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _bolt_logger() -> logging.Logger:
    """Bolt's logger, less one notice: Bolt reads SLACK_BOT_TOKEN from the
    environment too and warns that the client's token wins; it is the same one."""
    bolt_logger = logging.getLogger("api.slack.bolt")
    if not any(isinstance(f, _SameTokenNotice) for f in bolt_logger.filters):
        bolt_logger.addFilter(_SameTokenNotice())
    return bolt_logger


class _SameTokenNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _credentials(settings: Settings) -> tuple[str, str]:
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    problems = []
    if not secret.strip():
        problems.append("SLACK_SIGNING_SECRET is not set: set it to the Signing Secret "
                        "(Basic Information → App Credentials) of your Slack app")
    if not token.strip():
        problems.append("SLACK_BOT_TOKEN is not set: set it to the Bot User OAuth Token (xoxb-…) "
                        "from the OAuth & Permissions page of your Slack app")
    elif not token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN is not a bot token (those start with xoxb-): copy the "
                        "Bot User OAuth Token from the OAuth & Permissions page of your Slack app")
    if problems:
        raise SlackConfigError(
            "the Slack bot cannot start: " + "; ".join(problems)
            + ". Or unset both SLACK_* variables to run without the bot (README: “Connect to Slack”)."
        )
    return secret, token


# --- retries ---------------------------------------------------------------------------
class FirstDeliveryOnly(Middleware):
    """Slack delivers an event again (X-Slack-Retry-Num) when it thinks the
    first delivery failed; each event_id is answered once. Runs after the
    signature check, so forged requests cannot fill the memory."""

    def __init__(self, capacity: int):
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()  # requests arrive on several threads

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse:
        event_id = req.body.get("event_id")
        if event_id and not self._first_time(event_id):
            retry = req.headers.get("x-slack-retry-num", ["none"])[0]
            logger.info("Slack event %s delivered again (retry %s): already answered", event_id, retry)
            return BoltResponse(status=200, body="")
        return next()

    def _first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


# --- listeners ---------------------------------------------------------------------------
class Listeners:
    """Slack events in, `QAService.ask` calls and replies out. Bolt runs these
    in its thread pool after acknowledging (events) or once they call ack()."""

    def __init__(self, service: Callable[[], QAService | None]):
        self._service = service

    def on_mention(self, event: dict, context: BoltContext, client: WebClient) -> None:
        if is_from_bot(event):  # Bolt drops the bot's own messages; this drops other bots'
            return
        thread_ts = event.get("thread_ts") or event["ts"]

        def post(reply: say.Reply) -> None:
            client.chat_postMessage(channel=event["channel"], thread_ts=thread_ts, text=reply.text,
                                    blocks=reply.blocks, unfurl_links=False, unfurl_media=False)

        question = say.question_from(event.get("text", ""))
        bot = f"<@{context.bot_user_id}>" if context.bot_user_id else "@bot"
        early = self._early_reply(question, how_to_ask=bot)
        if early:
            post(early)
        else:
            self._answer(question, post, history=thread_history(client, event, context.bot_user_id))

    def on_ask(self, ack: Ack, command: dict, respond: Respond) -> None:
        question = say.question_from(command.get("text", ""))
        early = self._early_reply(question, how_to_ask=COMMAND)
        if early:  # shown at once, to the asker only
            ack(text=early.text, blocks=early.blocks)
            return
        ack(text=f"正在查找：{say.escape(question)}")

        def post(reply: say.Reply) -> None:
            respond(text=reply.text, blocks=reply.blocks, response_type="in_channel",
                    replace_original=False)

        self._answer(question, post, asker=command.get("user_id"))

    def _early_reply(self, question: str, how_to_ask: str) -> say.Reply | None:
        """The reply to a question that is not asked: empty, too long, or too soon."""
        service = self._service()
        if not question:
            return say.usage(how_to_ask)
        if service is None:
            return say.not_ready()
        if len(question) > service.max_question_chars:
            return say.too_long(len(question), service.max_question_chars)
        return None

    def _answer(self, question: str, post: Callable[[say.Reply], None], asker: str | None = None,
                history: Sequence[Turn] = ()) -> None:
        service = self._service()
        if service is None:
            post(say.not_ready())
            return
        try:
            answer = service.ask(question, top_k=PASSAGES, history=history)
            reply = say.answer_reply(answer, PASSAGES, asker)
        except InvalidQuestionError as exc:
            reply = say.invalid_question(str(exc))
        except Exception:
            post(say.failed())
            raise  # Bolt's error handler logs it with the traceback
        post(reply)


def thread_history(client: WebClient, event: dict, bot_user_id: str | None) -> list[Turn]:
    """The messages before a mention in its thread, as conversation turns, so
    that "它包含哪些子产品？" follows the question before it. Reading a thread
    needs the channels:history (and, for private channels, groups:history)
    scope; without it, or if Slack fails, the question is answered on its own."""
    thread_ts = event.get("thread_ts")
    if not thread_ts or thread_ts == event.get("ts"):
        return []
    try:
        messages = _thread_messages(client, event["channel"], thread_ts)
    except Exception as exc:  # the context is a help, never a reason not to answer
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else repr(exc)
        hint = (" Add the channels:history and groups:history scopes (api/slack_manifest.yaml) "
                "and reinstall the app." if error == "missing_scope" else "")
        logger.warning("cannot read the Slack thread for a follow-up's context (%s); answering "
                       "the question on its own.%s", error, hint)
        return []
    turns = []
    for message in messages:
        if message.get("ts") == event.get("ts"):
            break
        text = say.question_from(message.get("text", ""))
        if text:
            role = "assistant" if is_from_bot(message) or message.get("user") == bot_user_id else "user"
            turns.append(Turn(role=role, content=text[:MAX_TURN_CHARS]))  # longer turns are cut
    return turns


def _thread_messages(client: WebClient, channel: str, thread_ts: str) -> list[dict]:
    """A thread's messages, oldest first, up to THREAD_MESSAGES (Slack pages them)."""
    messages: list[dict] = []
    cursor = None
    while len(messages) < THREAD_MESSAGES:
        page = client.conversations_replies(channel=channel, ts=thread_ts, limit=200, cursor=cursor)
        messages += page.get("messages", [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return messages[:THREAD_MESSAGES]


def is_from_bot(event: dict) -> bool:
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message"
