"""The Slack bot: `POST /slack/events` takes the Events API (the
`url_verification` handshake and `app_mention`) and the `/ask` slash command.

A request is answered from the event loop at once, and nothing there waits on
Slack: the signature is checked on the raw bytes before the body is read
(`api.slack_requests`), a slash command is acknowledged in the response, and
the answer is worked out and posted by the background outbox
(`api.slack_outbox`), every Slack call with a timeout. The bot starts even when
Slack cannot be reached (`api.slack_connection`). This module only translates
between Slack and `QAService.ask`; slack_sdk speaks to Slack.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial
from http.client import HTTPException

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient, WebhookResponse

from api import slack_blocks as say
from api.errors import domain_status, error_response
from api.slack_connection import SlackConfigError, SlackConnection, describe
from api.slack_outbox import Outbox
from api.slack_requests import (
    Mention,
    MentionEvent,
    RawBodyVerifier,
    SlackRequest,
    SlackRequestError,
    SlashCommand,
    SslCheck,
    Unhandled,
    UrlVerification,
    VoteClick,
    parse,
    parse_vote,
    verify,
)
from qa.answer import MAX_TURN_CHARS, Turn
from qa.errors import InvalidQuestionError
from qa.questionlog import AnswerNotFoundError, DisabledQuestionLog, Entry, QuestionLog, TooManyVotesError
from qa.service import QAService
from qa.settings import Settings

ROUTE = "/slack/events"
INTERACTIVITY_ROUTE = "/slack/interactivity"  # the 👍/👎 buttons
COMMAND = "/ask"
PASSAGES = 3  # passages shown under an answer
THREAD_MESSAGES = 1000  # messages of a thread read, at most, for a follow-up's context
SEEN_IDS = 4096  # event ids and trigger ids remembered, to answer each once
POST_TIMEOUT = 10  # seconds a call to Slack may take before it is given up
POST_WORKERS = 4  # answers worked out and posted at once
POST_BACKLOG = 64  # answers that may wait for a worker; more are dropped
STOP_GRACE = 5.0  # seconds the server waits, when stopping, for answers still being posted

logger = logging.getLogger(__name__)


def add_slack_routes(app: FastAPI, settings: Settings) -> None:
    """Add `POST /slack/events`, and the bot at `app.state.slack`. Answers
    use `app.state.service`, read at each question since the index may still
    be loading; the bot's link to Slack is at `app.state.slack_status`."""
    secret, token = _credentials(settings)
    api_url = settings.slack_api_url.rstrip("/") + "/"
    connection = SlackConnection(token, api_url, publish=partial(setattr, app.state, "slack_status"))
    connection.check()  # a refused token stops the start here; an unreachable Slack does not
    bot = SlackBot(WebClient(token=token, base_url=api_url, timeout=POST_TIMEOUT), connection,
                   service=lambda: getattr(app.state, "service", None), question_log=app.state.question_log,
                   example_question=next(iter(settings.example_questions), None))
    verifier = RawBodyVerifier(secret)
    app.state.slack = bot

    @app.post(ROUTE, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        try:
            verify(verifier, body, request.headers)
            slack_request = parse(body, request.headers.get("content-type", ""))
        except SlackRequestError as exc:
            logger.warning("refused a request to %s (%d): %s", ROUTE, exc.status, exc.message)
            return error_response(exc.status, exc.code, exc.message)
        return bot.handle(slack_request)

    @app.post(INTERACTIVITY_ROUTE, include_in_schema=False)
    async def slack_interactivity(request: Request) -> Response:
        body = await request.body()
        try:
            verify(verifier, body, request.headers)
            click = parse_vote(body, say.VOTE_ACTIONS)
        except SlackRequestError as exc:
            logger.warning("refused a request to %s (%d): %s", INTERACTIVITY_ROUTE, exc.status, exc.message)
            return error_response(exc.status, exc.code, exc.message)
        return await run_in_threadpool(bot.vote, click)  # it writes to the question log's database


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


class SeenIds:
    """The last `capacity` ids seen. Slack delivers an event again
    (X-Slack-Retry-Num) when it thinks the first delivery failed, and a signed
    request may be replayed within its 5 minutes: each is answered once.
    Only signed requests reach it, so forged ones cannot flush it."""

    def __init__(self, capacity: int):
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def first_time(self, seen_id: str) -> bool:
        with self._lock:
            if seen_id in self._seen:
                return False
            self._seen[seen_id] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


class SlackBot:
    """Slack requests in, `QAService.ask` calls and replies out. `handle` runs
    on the event loop and returns at once; the rest runs in the outbox."""

    def __init__(self, client: WebClient, connection: SlackConnection,
                 service: Callable[[], QAService | None], question_log: QuestionLog | None = None,
                 example_question: str | None = None):
        self.client = client
        self.question_log = question_log or DisabledQuestionLog()
        self.example_question = example_question  # the usage reply's example, if the settings give one
        self.connection = connection
        self.outbox = Outbox(POST_WORKERS, POST_BACKLOG)
        self._service = service
        self._events = SeenIds(SEEN_IDS)
        self._triggers = SeenIds(SEEN_IDS)

    def start(self) -> None:
        self.connection.keep_trying()  # if Slack could not be reached at start

    def stop(self) -> None:
        self.connection.stop()
        self.outbox.close(grace=STOP_GRACE)

    def handle(self, request: SlackRequest) -> Response:
        if isinstance(request, UrlVerification):
            return JSONResponse({"challenge": request.challenge})
        if isinstance(request, SslCheck):
            return Response()
        if isinstance(request, MentionEvent):
            return self._on_mention(request)
        if isinstance(request, SlashCommand) and request.command == COMMAND:
            return self._on_ask(request)
        return error_response(404, "unhandled_slack_request", (
            f"this bot answers the {COMMAND} command and app_mention events only: "
            f"compare the Slack app's settings with api/slack_manifest.yaml"))

    def vote(self, click: VoteClick | Unhandled) -> Response:
        """A 👍/👎 click, stored against its answer (the clicker is not)."""
        if isinstance(click, Unhandled):
            return error_response(404, "unhandled_slack_request",
                                  f"this bot handles its 👍/👎 buttons only, not {click.kind}")
        try:
            self.question_log.vote(click.answer_id, click.vote)
        except (AnswerNotFoundError, TooManyVotesError) as exc:
            status, code = domain_status(exc)
            return error_response(status, code, str(exc))
        return Response()

    # --- on the event loop: decide, acknowledge, hand over ---------------------------------
    def _on_mention(self, request: MentionEvent) -> Response:
        mention = request.event
        if not self._events.first_time(request.event_id):
            logger.info("Slack event %s delivered again: already answered", request.event_id)
        elif not self._is_from_bot(mention):
            self.outbox.submit(partial(self._answer_mention, mention), f"mention {request.event_id}")
        return Response()

    def _on_ask(self, command: SlashCommand) -> Response:
        if not self._triggers.first_time(command.trigger_id):
            logger.info("%s with trigger_id %s sent again: already answered", COMMAND, command.trigger_id)
            return Response()
        question = say.question_from(command.text)
        early = self._early_reply(question, how_to_ask=COMMAND)
        if early is None:
            job = partial(self._answer_command, question, command)
            early = (say.searching(question) if self.outbox.submit(job, f"{COMMAND} {command.trigger_id}")
                     else say.busy())
        return JSONResponse({"text": early.text, **({"blocks": early.blocks} if early.blocks else {})})

    def _is_from_bot(self, mention: Mention) -> bool:
        bot_user = self.connection.bot_user_id
        return (bool(mention.bot_id) or mention.subtype == "bot_message"
                or (bot_user is not None and mention.user == bot_user))

    def _early_reply(self, question: str, how_to_ask: str) -> say.Reply | None:
        """The reply to a question that is not asked: empty, too long, or too soon."""
        service = self._service()
        if not question:
            return say.usage(how_to_ask, self.example_question)
        if service is None:
            return say.not_ready()
        if len(question) > service.max_question_chars:
            return say.too_long(len(question), service.max_question_chars)
        return None

    # --- in the outbox: answer and post --------------------------------------------------------
    def _answer_mention(self, mention: Mention) -> None:
        thread_ts = mention.thread_ts or mention.ts

        def post(reply: say.Reply) -> None:
            self._send("post a reply to a mention", partial(
                self.client.chat_postMessage, channel=mention.channel, thread_ts=thread_ts,
                text=reply.text, blocks=reply.blocks, unfurl_links=False, unfurl_media=False))

        question = say.question_from(mention.text)
        bot_user = self.connection.bot_user_id
        early = self._early_reply(question, how_to_ask=f"<@{bot_user}>" if bot_user else "@bot")
        if early:
            post(early)
            return
        history = thread_history(self.client, mention.channel, mention.thread_ts, mention.ts, bot_user)
        self._answer(question, post, history=history, conversation=f"slack-{mention.channel}-{thread_ts}")

    def _answer_command(self, question: str, command: SlashCommand) -> None:
        def post(reply: say.Reply) -> None:
            webhook = WebhookClient(command.response_url, timeout=POST_TIMEOUT)
            self._send(f"answer {COMMAND}", partial(
                webhook.send, text=reply.text, blocks=reply.blocks, response_type="in_channel",
                replace_original=False))

        self._answer(question, post, asker=command.user_id)

    def _answer(self, question: str, post: Callable[[say.Reply], None], asker: str | None = None,
                history: Sequence[Turn] = (), conversation: str | None = None) -> None:
        service = self._service()
        if service is None:
            post(say.not_ready())
            return
        try:
            answer = service.ask(question, top_k=PASSAGES, history=history)
            answer_id = self.question_log.record(Entry.of(answer, "slack", conversation))
            reply = say.answer_reply(answer, PASSAGES, asker, answer_id)
        except InvalidQuestionError as exc:
            reply = say.invalid_question(str(exc))
        except Exception:
            post(say.failed())
            raise  # the outbox logs it with the traceback
        post(reply)

    def _send(self, what: str, call: Callable[[], object]) -> None:
        """One call to Slack. A failure is one log line, not a traceback: Slack's
        error (`not_in_channel`…), or the network's, which also marks the bot
        not connected until Slack can be reached again."""
        try:
            result = call()
        except SlackApiError as exc:
            logger.warning("cannot %s: Slack answered %s", what, exc.response.get("error"))
        except (OSError, HTTPException) as exc:  # HTTPException: a half-sent answer (IncompleteRead)
            logger.warning("cannot %s: %s", what, describe(exc, POST_TIMEOUT))
            self.connection.lost(exc, POST_TIMEOUT)
        else:  # a response_url answers in plain text, and does not raise
            if isinstance(result, WebhookResponse) and result.status_code != 200:
                logger.warning("cannot %s: Slack answered %s %s", what, result.status_code, result.body)


def thread_history(client: WebClient, channel: str, thread_ts: str | None, ts: str,
                   bot_user_id: str | None) -> list[Turn]:
    """The messages before message `ts` in its thread, as conversation turns, so
    that "它包含哪些子产品？" follows the question before it. Reading a thread
    needs the channels:history (and, for private channels, groups:history)
    scope; without it, or if Slack fails, the question is answered on its own."""
    if not thread_ts or thread_ts == ts:
        return []
    try:
        messages = _thread_messages(client, channel, thread_ts)
    except Exception as exc:  # the context is a help, never a reason not to answer
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else repr(exc)
        hint = (" Add the channels:history and groups:history scopes (api/slack_manifest.yaml) "
                "and reinstall the app." if error == "missing_scope" else "")
        logger.warning("cannot read the Slack thread for a follow-up's context (%s); answering "
                       "the question on its own.%s", error, hint)
        return []
    turns = []
    for message in messages:
        if message.get("ts") == ts:
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


def is_from_bot(message: dict) -> bool:
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"
