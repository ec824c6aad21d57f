"""Whether the Slack bot can talk to Slack, for `/readyz` and for the bot's
own user id.

The token is checked with `auth.test` at start: a token Slack refuses stops
the start (`SlackConfigError`), but a Slack that cannot be reached does not;
the bot then checks again in the background, waiting longer each time, and
the HTTP API serves meanwhile. A post that fails on the network marks the bot
not connected again, until a check succeeds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.client import HTTPException
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from api.schemas import SlackStatus
from qa.errors import QAError

logger = logging.getLogger(__name__)

# auth.test errors that mean the token itself is wrong: no retry will help.
REJECTED_TOKEN = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                            "token_expired", "not_allowed_token_type"})


class SlackConfigError(QAError):
    """The Slack bot is turned on but cannot run with the settings given."""


def refused_token(error: str) -> SlackConfigError:
    return SlackConfigError(f"Slack refused SLACK_BOT_TOKEN ({error}). Set it to the Bot User OAuth "
                            f"Token (xoxb-…) on the OAuth & Permissions page of your Slack app")


def describe(exc: Exception, timeout: float) -> str:
    """A network failure in a few words ("[Errno 111] Connection refused")."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


class SlackConnection:
    check_timeout = 5.0  # seconds an auth.test may take, at start and in the background
    first_retry_seconds = 2.0
    max_retry_seconds = 60.0

    def __init__(self, token: str, api_url: str, publish: Callable[[SlackStatus], None]):
        self.api_url = api_url
        self._client = WebClient(token=token, base_url=api_url, timeout=self.check_timeout,
                                 retry_handlers=[])  # the retry loop below is the retry
        self._publish = publish
        self._status = SlackStatus(connected=False, reason="not checked yet")
        self._stopped = threading.Event()
        self._retrying = threading.Lock()  # held while a background thread retries
        self.bot_user_id: str | None = None
        self._was_connected = False  # connected once: the next connection is a reconnection

    @property
    def connected(self) -> bool:
        return self._status.connected

    def check(self) -> bool:
        """auth.test once: True when connected, False when Slack could not be
        reached (the reason is published). Raises SlackConfigError when Slack
        refuses the token."""
        try:
            auth = self._client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if error in REJECTED_TOKEN:
                raise refused_token(error) from None
            return self._not_connected(f"{self.api_url} answered {error or exc.response.status_code}")
        except (OSError, HTTPException, SlackClientError, ValueError) as exc:
            return self._not_connected(f"cannot reach {self.api_url}: {describe(exc, self.check_timeout)}")
        self.bot_user_id = auth.get("user_id")
        self._set(SlackStatus(connected=True))
        return True

    def lost(self, exc: Exception, timeout: float) -> None:
        """A call to Slack failed on the network: not connected until a check succeeds."""
        self._not_connected(f"cannot reach {self.api_url}: {describe(exc, timeout)}")
        self.keep_trying()

    def keep_trying(self) -> None:
        """While not connected, check again in a background thread, waiting
        longer after each failure. Does nothing when one is already at it."""
        if self.connected or self._stopped.is_set() or not self._retrying.acquire(blocking=False):
            return
        threading.Thread(target=self._retry, name="slack-connection", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _retry(self) -> None:
        delay = self.first_retry_seconds
        try:
            while not self.connected and not self._stopped.wait(delay):
                self.check()
                delay = min(2 * delay, self.max_retry_seconds)
        except SlackConfigError as exc:  # the token was revoked meanwhile, say
            self._set(SlackStatus(connected=False, reason=f"{exc}, and restart the server"))
        finally:
            self._retrying.release()

    def _not_connected(self, cause: str) -> bool:
        self._set(SlackStatus(connected=False, reason=f"{cause}; retrying"))
        return False

    def _set(self, status: SlackStatus) -> None:
        if status != self._status:
            if status.connected:
                again = "reconnected" if self._was_connected else "connected"
                logger.info("the Slack bot is %s to %s", again, self.api_url)
                self._was_connected = True
            else:
                logger.warning("the Slack bot is not connected: %s. The HTTP API serves meanwhile.",
                               status.reason)
        self._status = status
        self._publish(status)
