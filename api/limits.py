"""Refuse request bodies larger than `max_body_bytes` without reading them whole.

A pure ASGI middleware: a declared `Content-Length` over the limit is refused
before the app runs; a chunked body is counted as it streams in, and the
first chunk that crosses the limit ends the request with 413.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            response = error_response(413, "body_too_large", self.message(f"{declared} bytes"))
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def message(self, size: str) -> str:
        return (f"the request body is {size}; the limit is {self.max_bytes} bytes. "
                f"Send a shorter question or history (or raise max_body_bytes).")

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # FastAPI re-raises an HTTPException met while reading the body,
                    # so this reaches the app's one error handler as a 413.
                    raise HTTPException(413, self.message(f"more than {self.max_bytes} bytes"))
            return message

        return counted


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
