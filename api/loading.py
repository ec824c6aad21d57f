"""Loading the index in the background, so that the server answers /healthz
(and says why it is not ready) while the index and model load.

The loaded service is published at `app.state.service` (None until then),
where every adapter — the JSON API, the Slack bot — reads it at request time.
A load that failed is tried again, at most every `retry_seconds`, when a
request needs the service: building the index with `qa index` is enough, no
restart needed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from starlette.datastructures import State

from api.errors import ServiceUnavailableError, domain_status
from qa.errors import QAError
from qa.service import QAService

log = logging.getLogger(__name__)

# Asked once before the service is published: loads the model and warms its
# engine, so the first real question is not the slow one.
WARM_UP_QUESTION = "ACP 2.0 是什么？"


class ServiceLoader:
    retry_seconds = 5.0  # after a failed load, the soonest a request tries again

    def __init__(self, state: State, open_service: Callable[[], QAService]):
        self._state = state
        self._open_service = open_service
        self._lock = threading.Lock()
        self._loading = False
        self._failed_at = 0.0
        self._problem: tuple[str, str] | None = None  # (code, message) of the last failure
        state.service = None

    def publish(self, service: QAService) -> None:
        self._state.service = service

    def start(self) -> None:
        """Load in a daemon thread: a server stopped mid-load does not wait for it."""
        with self._lock:
            if self._loading or self._state.service is not None:
                return
            self._loading = True
        threading.Thread(target=self._load, name="qa-index-loader", daemon=True).start()

    def require(self) -> QAService:
        """The service, or a ServiceUnavailableError that says why there is none."""
        service = self._state.service
        if service is not None:
            return service
        if self._problem is not None and time.monotonic() - self._failed_at >= self.retry_seconds:
            self.start()
        code, message = self._problem or (
            "index_loading", "the index is still loading; try again in a few seconds.")
        raise ServiceUnavailableError(code, message)

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            service = self._open_service()
            service.ask(WARM_UP_QUESTION)
        except QAError as exc:
            status, code = domain_status(exc)
            self._fail(f"the index is not loaded: {exc}", code if status == 503 else "index_unavailable")
            log.error("cannot load the index: %s", exc)
        except Exception as exc:  # logged with its traceback, reported as 503
            self._fail("the index failed to load; the server log has the details.")
            log.exception("cannot load the index: %s", exc)
        else:
            self._problem = None
            self.publish(service)
            log.info("index loaded and warmed up in %.1f s", time.perf_counter() - started)
        finally:
            with self._lock:
                self._loading = False

    def _fail(self, message: str, code: str = "index_unavailable") -> None:
        self._problem = (code, message)
        self._failed_at = time.monotonic()
