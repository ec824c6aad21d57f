"""Typed dependencies: how routes reach the service that the lifespan loaded."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.loading import ServiceLoader
from qa.questionlog import QuestionLog
from qa.service import QAService


async def get_service(request: Request) -> QAService:
    """The loaded service, or a 503 that says why there is none.

    `async` on purpose: it only reads app state, and a plain `def` would cost
    every request a hop through the thread pool.
    """
    loader: ServiceLoader = request.app.state.loader
    return loader.require()


ServiceDep = Annotated[QAService, Depends(get_service)]


async def get_question_log(request: Request) -> QuestionLog:
    return request.app.state.question_log


QuestionLogDep = Annotated[QuestionLog, Depends(get_question_log)]

