"""What Slack sends to `/slack/events`, checked and parsed before anything
acts on it: the signature first, on the raw bytes; then the body, into one of
the typed requests below. Anything else raises `SlackRequestError` with the
status to answer (401 unsigned, 400 malformed), never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Literal, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_sdk.signature import SignatureVerifier

MAX_FORM_FIELDS = 100  # a slash command has about 15
_REMEDY = ("check SLACK_SIGNING_SECRET (the Signing Secret under Basic Information → App "
           "Credentials) and the server's clock")


class SlackRequestError(Exception):
    """A request to refuse: `status` 401 (signature) or 400 (body), and why."""

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def _bad_body(message: str) -> SlackRequestError:
    return SlackRequestError(400, "invalid_slack_request", message)


# --- the signature --------------------------------------------------------------------
class RawBodyVerifier(SignatureVerifier):
    """slack_sdk's verifier over the raw bytes of the body. Its own signature
    decodes them as UTF-8 first and raises on any other bytes; Slack signs the
    bytes (`v0:<timestamp>:<body>`), so a signed body that is not UTF-8 can be
    told from an unsigned one, and refused as malformed."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        raw = body.encode() if isinstance(body, str) else body
        signed = b"v0:" + timestamp.encode() + b":" + raw
        return "v0=" + hmac.new(self.signing_secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> None:
    """Raise a 401 unless `body` is signed with the signing secret within 5 minutes."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise _unsigned("the request has no X-Slack-Signature and X-Slack-Request-Timestamp headers "
                        "(only Slack may call this route)")
    # The verifier would raise on these (int() of the timestamp, compare_digest of non-ASCII).
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise _unsigned("X-Slack-Request-Timestamp is not a Unix time in seconds")
    if not signature.isascii():
        raise _unsigned("X-Slack-Signature is not a Slack signature (v0=<hex>)")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        raise _unsigned("the request is not signed with this Slack app's signing secret, or its "
                        "X-Slack-Request-Timestamp is more than 5 minutes off")


def _unsigned(reason: str) -> SlackRequestError:
    return SlackRequestError(401, "invalid_signature", f"{reason}; {_REMEDY}")


# --- the requests this bot handles --------------------------------------------------------
class _SlackModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UrlVerification(_SlackModel):
    """The Events API handshake: answered with its challenge."""

    type: Literal["url_verification"]
    challenge: str


class Mention(_SlackModel):
    """An `app_mention` event: the parts of it the bot reads."""

    type: Literal["app_mention"]
    channel: str
    ts: str
    text: str = ""
    thread_ts: str | None = None
    user: str | None = None
    bot_id: str | None = None
    subtype: str | None = None


class MentionEvent(_SlackModel):
    type: Literal["event_callback"]
    event_id: str = Field(min_length=1)
    event: Mention


class SlashCommand(_SlackModel):
    command: str
    text: str = ""
    user_id: str
    trigger_id: str = Field(min_length=1)
    response_url: str = Field(pattern=r"^https?://")


class SslCheck(_SlackModel):
    """Slack's ping of the certificate: answered 200, nothing else."""

    ssl_check: str


class Unhandled(_SlackModel):
    """A well-formed Slack request of a kind this bot does not answer."""

    kind: str


SlackRequest = UrlVerification | MentionEvent | SlashCommand | SslCheck | Unhandled
M = TypeVar("M", bound=_SlackModel)


# --- parsing ----------------------------------------------------------------------------
def parse(body: bytes, content_type: str) -> SlackRequest:
    """The request in a (verified) body: JSON for the Events API, a form for
    slash commands and ssl_check. Raises a 400 `SlackRequestError` otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_body(f"the body is not UTF-8 (byte {exc.start}): Slack sends UTF-8 JSON "
                        f"or form data") from None
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == "application/json" or text.lstrip().startswith(("{", "[")):
        return _from_json(_json_object(text))
    return _from_form(_form_fields(text))


def _json_object(text: str) -> dict:
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_body(f"the body is not valid JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise _bad_body("the body is JSON nested too deeply to read") from None
    if not isinstance(fields, dict):
        raise _bad_body(f"the body is a JSON {type(fields).__name__}; Slack sends a JSON object")
    return fields


def _from_json(fields: dict) -> SlackRequest:
    kind = fields.get("type")
    if not isinstance(kind, str):
        raise _bad_body('the JSON body has no "type": it is not an Events API request')
    if kind == "url_verification":
        return _validated(UrlVerification, fields)
    if kind != "event_callback":
        return Unhandled(kind=kind)
    event = fields.get("event")
    event_type = event.get("type") if isinstance(event, dict) else None
    if event_type != "app_mention":
        return Unhandled(kind=f"{event_type} event")
    return _validated(MentionEvent, fields)


def _form_fields(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise _bad_body("the form has a value that is not UTF-8 once decoded") from None
    except ValueError as exc:
        raise _bad_body(f"the body is neither JSON nor form data ({exc})") from None
    return dict(pairs)


def _from_form(fields: dict[str, str]) -> SlackRequest:
    if "command" in fields:
        return _validated(SlashCommand, fields)
    if "ssl_check" in fields:
        return SslCheck(ssl_check=fields["ssl_check"])
    if "payload" in fields:
        return Unhandled(kind="interactivity payload")
    raise _bad_body("the form is neither a slash command (no `command` field) nor an ssl_check")


def _validated(model: type[M], fields: dict) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise _bad_body(f"the Slack request is malformed: {problems}") from None


# --- interactivity: the 👍/👎 buttons ------------------------------------------------------
class VoteClick(_SlackModel):
    """A click on a vote button: the answer's id and the vote."""

    answer_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    vote: Literal["up", "down"]


def parse_vote(body: bytes, actions: Mapping[str, str]) -> VoteClick | Unhandled:
    """The vote in a (verified) interactivity request: a form whose `payload`
    is block_actions JSON; `actions` maps the buttons' action_id to a vote."""
    try:
        fields = _form_fields(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _bad_body(f"the body is not UTF-8 (byte {exc.start}): Slack sends UTF-8 form data") from None
    if "payload" not in fields:
        raise _bad_body("the form has no `payload` field: it is not a Slack interactivity request")
    payload = _json_object(fields["payload"])
    if payload.get("type") != "block_actions":
        return Unhandled(kind=f"{payload.get('type')} interaction")
    clicked = payload.get("actions")
    action = clicked[0] if isinstance(clicked, list) and clicked and isinstance(clicked[0], dict) else {}
    vote = actions.get(action.get("action_id", ""))
    if vote is None:
        return Unhandled(kind=f"action {action.get('action_id')!r}")
    return _validated(VoteClick, {"answer_id": action.get("value"), "vote": vote})
