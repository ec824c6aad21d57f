"""The server's log, for an operator: standard `logging` on stderr,
configured once by `qa serve`; plain lines, or JSON lines when
`log_format` is `json`.

Besides what the other modules log (an index load or reload, the Slack bot
connecting, disconnecting and reconnecting, errors), `RequestLog` writes one
line per HTTP request: method, path, status, milliseconds and, for a
question, whether the answer came from the cache. The question itself only
when `log_questions` is on: questions can be personal.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
requests_log = logging.getLogger("api.requests")


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and a request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": self.formatTime(record), "level": record.levelname,
                                 "logger": record.name, "message": record.getMessage(),
                                 **getattr(record, "fields", {})}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: Literal["text", "json"], level: int = logging.INFO) -> None:
    """Every logger (uvicorn's too, when it is given no log config) writes to
    stderr through one handler, as text or as JSON lines."""
    # What no line here shows, logging need not look up for every record (the
    # "Optimization" section of the logging docs): the caller's frame, thread, process.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def note(scope: Scope, **fields: Any) -> None:
    """Adds fields to the request's log line (a route calls this: `cache_hit`, `question`)."""
    scope.setdefault("state", {}).setdefault("log", {}).update(fields)


class RequestLog:
    """A pure ASGI middleware: one INFO line per HTTP request, once its response is sent."""

    def __init__(self, app: ASGIApp, questions: bool = False):
        self.app = app
        self.questions = questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not requests_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # when the app fails before it starts a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._write(scope, status, (time.perf_counter() - started) * 1000)

    def _write(self, scope: Scope, status: int, ms: float) -> None:
        noted = scope.get("state", {}).get("log", {})
        fields: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "status": status,
                                  "ms": round(ms, 1)}
        line = f"{fields['method']} {fields['path']} {status} {ms:.1f} ms"
        if "cache_hit" in noted:
            fields["cache_hit"] = noted["cache_hit"]
            line += f" cache {'hit' if noted['cache_hit'] else 'miss'}"
        if self.questions and "question" in noted:
            fields["question"] = noted["question"]
            line += f" question {json.dumps(noted['question'], ensure_ascii=False)}"
        requests_log.info(line, extra={"fields": fields})
