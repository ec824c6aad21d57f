"""One JSON error body for every 4xx and 5xx, and the one place where domain
errors (`qa.errors`) and framework errors become HTTP responses.

    {"error": {"status": 422, "code": "invalid_question", "message": "..."}}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from qa.errors import (
    EmbedderError,
    IndexDamagedError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidQuestionError,
    PassageNotFoundError,
    QAError,
)
from qa.questionlog import AnswerNotFoundError, QuestionLogOffError, TooManyVotesError
from qa.review import MarkError

log = logging.getLogger(__name__)

# Domain error -> (status, code). The first matching class wins.
DOMAIN_ERRORS: tuple[tuple[type[QAError], int, str], ...] = (
    (InvalidQuestionError, 422, "invalid_question"),
    (PassageNotFoundError, 404, "passage_not_found"),
    (AnswerNotFoundError, 404, "answer_not_found"),
    (TooManyVotesError, 429, "too_many_votes"),
    (QuestionLogOffError, 409, "question_log_off"),
    (MarkError, 422, "invalid_mark"),
    (IndexNotFoundError, 503, "index_not_found"),
    (IndexMismatchError, 503, "index_mismatch"),
    (IndexDamagedError, 503, "index_damaged"),
    (EmbedderError, 503, "embedder_unavailable"),
    (QAError, 500, "internal_error"),
)

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "body_too_large", 503: "service_unavailable"}


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ServiceUnavailableError(Exception):
    """The index is not loaded (yet, or it failed to load); `code` says which."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def error_response(status: int, code: str, message: str,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(status=status, code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, _domain_error)
    app.add_exception_handler(ServiceUnavailableError, _service_unavailable)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def domain_status(exc: QAError) -> tuple[int, str]:
    """The HTTP status and error code of a domain error."""
    return next((status, code) for cls, status, code in DOMAIN_ERRORS if isinstance(exc, cls))


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QAError)
    status, code = domain_status(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyVotesError) else None
    return error_response(status, code, _domain_message(exc), headers=headers)


def _domain_message(exc: Exception) -> str:
    message = str(exc)
    if isinstance(exc, PassageNotFoundError) and "#" not in exc.passage_id:
        # The usual cause: '#' sent unencoded, so the URL fragment was dropped.
        message += " In a URL, write '#' as %23: /api/passages/article-id%23p3."
    return message


async def _service_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceUnavailableError)
    return error_response(503, exc.code, str(exc), headers={"Retry-After": "5"})


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(_describe(error) for error in exc.errors())
    example = json.dumps({"question": _example_question(request), "top_k": 5}, ensure_ascii=False)
    message = (f"the request is not valid: {problems}. Send JSON such as {example}; "
               f"/docs describes every field.")
    return error_response(422, "invalid_request", message)


def _example_question(request: Request) -> str:
    """The first of the `example_questions` setting: a question about these articles."""
    settings = getattr(request.app.state, "settings", None)
    return settings.example_questions[0] if settings and settings.example_questions else "你的问题"


def _describe(error: Mapping) -> str:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        reason = error.get("ctx", {}).get("error", "malformed")
        return f"the body is not valid JSON ({reason} at character {loc[-1]})"
    if loc == ("body",) and error.get("type") == "model_attributes_type":
        return "the body must be a JSON object, sent with Content-Type: application/json"
    where = ".".join(str(part) for part in loc if part != "body") or "body"
    return f"{where}: {error.get('msg', 'invalid')}"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, _http_message(request, exc), headers=exc.headers)


def _http_message(request: Request, exc: HTTPException) -> str:
    route = f"{request.method} {request.url.path}"
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"no such route: {route}. The API lives under /api/; /docs lists it."
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        example = json.dumps({"question": _example_question(request)}, ensure_ascii=False)
        return (f"the request body cannot be read: send UTF-8 JSON such as {example} "
                f"with Content-Type: application/json")
    if exc.status_code == 405:
        allowed = {k.lower(): v for k, v in (exc.headers or {}).items()}.get("allow")
        return f"{route} is not allowed; this route accepts {allowed or 'other methods'}."
    return str(exc.detail)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback after this response is sent; none goes to the client.
    return error_response(500, "internal_error",
                          "the server failed to answer this request; its log has the details. "
                          "Try again, and report it if it keeps happening.")


def documented(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses` entries: these statuses return the error body."""
    return {status: {"model": ErrorBody, "description": HTTP_DESCRIPTIONS[status]} for status in statuses}


HTTP_DESCRIPTIONS = {
    401: "No token, or not the editors' token",
    403: "The editors' page is off (no editors_token is set)",
    404: "Unknown id",
    413: "Request body too large",
    422: "Invalid request (blank or too long question, top_k out of range, malformed JSON)",
    409: "The question log is off, so nothing can be stored in it",
    429: "Too many votes on this answer; Retry-After says when to try again",
    503: "The index is not loaded (yet, or it failed: the message says how to fix it)",
}
