"""CORS for pages on other origins that embed the widget.

Starlette's middleware does the work; this subclass only turns its plain-text
refusal of a preflight into the API's one JSON error body.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.errors import error_response

ALLOWED_METHODS = ["GET", "POST"]
ALLOWED_HEADERS = ["content-type"]


class JSONErrorCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refusal = bytes(response.body).decode()  # e.g. "Disallowed CORS origin"
        message = (f"{refusal} for {request_headers['origin']}: add that origin to cors_origins "
                   f"(QA_CORS_ORIGINS) to let its pages call this API.")
        headers = {k: v for k, v in response.headers.items()
                   if k.lower().startswith("access-control-") or k.lower() == "vary"}
        return error_response(response.status_code, "cors_rejected", message, headers=headers)


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """No origins, no middleware: the demo page at / is same-origin."""
    if origins:
        app.add_middleware(JSONErrorCORSMiddleware, allow_origins=origins,
                           allow_methods=ALLOWED_METHODS, allow_headers=ALLOWED_HEADERS)
