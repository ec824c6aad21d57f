"""Loading the index in the background, and loading it again when `qa index`
writes a new generation, so that the server answers /healthz (and says why it
is not ready) while the index and model load, and never needs a restart.

The loaded service is published at `app.state.service` (None until then),
where every adapter — the JSON API, the Slack bot — reads it once per
request. A new generation is loaded and warmed up beside the old one, then
published in one assignment: requests in flight finish on the old index,
later ones get the new one, and the old one is freed when the last request
that holds it ends. Where the index comes from is `open_service`'s business
(a folder today; a replica could fetch it first), not the loader's.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import State

from api.errors import ServiceUnavailableError, domain_status
from qa.errors import QAError
from qa.service import QAService

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Problem:
    code: str
    message: str


class ServiceLoader:
    retry_seconds = 5.0  # while no index is loaded, how often the load is tried again

    def __init__(self, state: State, open_service: Callable[[], QAService],
                 generation: Callable[[], str | None], reload_seconds: float):
        self._state = state
        self._open_service = open_service
        self._generation = generation  # the name of the index generation on disk now
        self._reload_seconds = reload_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._problem: Problem | None = None  # why there is no service (yet)
        self.reload_problem: str | None = None  # why the newest generation is not served
        self._failed_generation: str | None = None
        self._served_generation: str | None = None  # on disk when the served index was opened
        state.service = None

    def publish(self, service: QAService, generation: str | None = None) -> None:
        self._served_generation = generation or self._generation()
        self._state.service = service

    def start(self) -> None:
        """Load, then watch for new generations, in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="qa-index-loader", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def require(self) -> QAService:
        """The service, or a ServiceUnavailableError that says why there is none."""
        service = self._state.service
        if service is not None:
            return service
        problem = self._problem or Problem("index_loading", "the index is still loading; try again in a "
                                                            "few seconds.")
        raise ServiceUnavailableError(problem.code, problem.message)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._state.service is None:  # no local name: it would keep the old index alive
                self._load(first=True)
                wait = self.retry_seconds if self._state.service is None else self._reload_seconds
            else:
                if self._reload_seconds <= 0:
                    return
                on_disk = self._generation()
                if on_disk not in (None, self._served_generation, self._failed_generation):
                    self._load(first=False)
                wait = self._reload_seconds
            self._stop.wait(wait)

    def _load(self, first: bool) -> None:
        started = time.perf_counter()
        generation = self._generation()
        try:
            service = self._open_service()
            service.warm_up()  # so that the first real question is not the slow one
        except Exception as exc:
            self._failed(exc, first, generation)
            return
        old = self._state.service
        self._problem = self.reload_problem = self._failed_generation = None
        self.publish(service, generation)
        del old  # the last reference here: the old index is freed once no request holds it
        gc.collect()  # the service's caches hold it in reference cycles
        fields = {"generation": generation, "passages": service.index.size,
                  "seconds": round(time.perf_counter() - started, 1)}
        log.info("index generation %s %s (and warmed up) in %.1f s: %d passages", generation,
                 "loaded" if first else "reloaded", fields["seconds"], fields["passages"],
                 extra={"fields": fields})

    def _failed(self, exc: Exception, first: bool, generation: str | None) -> None:
        if isinstance(exc, QAError):
            status, code = domain_status(exc)
            message = f"the index is not loaded: {exc}"
            log.error("cannot load the index: %s", exc)
        else:  # logged with its traceback, reported as 503
            status, code = 500, "index_unavailable"
            message = "the index failed to load; the server log has the details."
            log.exception("cannot load the index: %s", exc)
        if first:
            self._problem = Problem(code if status == 503 else "index_unavailable", message)
        else:  # keep serving the generation that works
            self._failed_generation = generation
            self.reload_problem = f"{message} Still serving the previous generation."
