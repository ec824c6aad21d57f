"""`qa log prune`, `qa log export FILE`, and the question log of `qa ask`
(client `cli`). Kept apart from `qa.cli` so that it only gains a few lines."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from qa.answer import Answer, Turn
from qa.questionlog import DisabledQuestionLog, Entry, QuestionLog, SqliteQuestionLog, open_question_log
from qa.settings import Settings


def add_log_commands(sub: argparse._SubParsersAction) -> None:
    log = sub.add_parser("log", help="the question log: prune old questions, export marked ones")
    commands = log.add_subparsers(required=True, metavar="ACTION")
    prune = commands.add_parser("prune", help="delete questions older than question_log_days")
    prune.set_defaults(run=cmd_prune)
    export = commands.add_parser("export", help="write the questions editors marked as a `qa eval` file")
    export.add_argument("file", type=Path)
    export.set_defaults(run=cmd_export)


def _open(settings: Settings) -> QuestionLog:
    """The log file, whether or not logging is on now (it may hold older questions)."""
    if not settings.question_log.is_file():
        return DisabledQuestionLog()
    return SqliteQuestionLog(settings.question_log)


def cmd_prune(settings: Settings, args: argparse.Namespace) -> int:
    log = _open(settings)
    try:
        removed = log.prune(settings.question_log_days)
    finally:
        log.close()
    print(f"removed {removed} question(s) older than {settings.question_log_days:g} days from "
          f"{settings.question_log}")
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from qa.review import export

    log = _open(settings)
    try:
        written = export(log, args.file)
    finally:
        log.close()
    print(f"wrote {written} marked question(s) from {settings.question_log} to {args.file}; "
          f"measure with: qa eval {args.file}")
    return 0


class LoggedAsks:
    """The service, each of whose answers is recorded in the log (client `cli`),
    all in one conversation."""

    def __init__(self, service, log: QuestionLog):
        self.service, self.log = service, log
        self.conversation_id = f"cli-{uuid.uuid4().hex[:12]}"

    def ask(self, question: str, top_k: int | None = None, history: Sequence[Turn] = (),
            **where: object) -> Answer:
        """`QAService.ask`; `where` is its scope and article."""
        answer = self.service.ask(question, top_k=top_k, history=history, **where)
        self.log.record(Entry.of(answer, "cli", self.conversation_id))
        return answer

    def __getattr__(self, name: str):
        return getattr(self.service, name)


@contextmanager
def logged(settings: Settings, service) -> Iterator[LoggedAsks]:
    """`service`, logging what `qa ask` answers; the log is written on the way out."""
    log = open_question_log(settings.question_log, settings.question_log_enabled,
                            settings.question_log_days)
    try:
        yield LoggedAsks(service, log)
    finally:
        log.close()
