"""The HTTP face of the service: JSON API, chat widget and demo page (and the
Slack bot when it is configured). `create_app` builds it; nothing is built at
import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from api.cors import add_cors
from api.errors import add_error_handlers, error_response
from api.limits import BodySizeLimit
from api.loading import ServiceLoader
from api.logs import RequestLog
from api.routes import ROUTERS
from qa.index import current_generation
from qa.questionlog import open_question_log
from qa.runtime import open_service
from qa.service import QAService
from qa.settings import Settings

DESCRIPTION = """Ask questions about the indexed interviews and articles; answers come
with the passages that answer them, the answering sentence highlighted, and citations.

Every error has one body: `{"error": {"status": 422, "code": "invalid_question", "message": "…"}}`.

Embed the chat widget in any page with
`<script src="http://127.0.0.1:8000/static/widget.js"></script>`."""


def create_app(settings: Settings, service: QAService | None = None) -> FastAPI:
    """The app over the index in `settings.index_dir`, loaded in the background
    at start-up; or over `service`, ready at once (tests pass their own)."""
    # /docs (Swagger UI) and /redoc load their scripts from the fastapi-offline
    # package (under /static-offline-docs), not from a CDN: they work offline.
    app = FastAPIOffline(title="Interview QA", version=version("interview-qa"), description=DESCRIPTION,
                         lifespan=_lifespan)
    app.state.settings = settings
    app.state.question_log = open_question_log(settings.question_log, settings.question_log_enabled,
                                               settings.question_log_days)
    app.state.loader = ServiceLoader(app.state, lambda: open_service(settings),
                                     lambda: current_generation(settings.index_dir), settings.reload_seconds)
    if service is not None:
        app.state.loader.publish(service)

    add_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    add_cors(app, settings.cors_origins)  # added last: outermost, so errors get CORS headers too
    if settings.log_requests:  # outside even CORS: it times and logs every response
        app.add_middleware(RequestLog, questions=settings.log_questions)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")

    if settings.slack_enabled:
        from api.slack import add_slack_routes
        add_slack_routes(app, settings)
    else:
        app.add_api_route(SLACK_EVENTS, _slack_not_configured, methods=["POST"], include_in_schema=False)
    return app


SLACK_EVENTS = "/slack/events"  # api.slack.ROUTE, without importing slack_sdk when the bot is off


async def _slack_not_configured() -> JSONResponse:
    return error_response(404, "slack_not_configured",
                          "the Slack bot is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
                          "(the README's \"Connect to Slack\" says where to find them) and restart the "
                          "server.")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.loader.start()  # returns at once; /readyz says when the index is in
    slack_bot = getattr(app.state, "slack", None)
    if slack_bot is not None:
        slack_bot.start()  # checks an unreachable Slack again in the background
    yield
    app.state.loader.stop()
    if slack_bot is not None:
        slack_bot.stop()  # lets the answers being posted finish, briefly
    app.state.question_log.close()  # writes what is still queued
