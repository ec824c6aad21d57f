"""The `qa` command: index, ask, eval, serve.

Exit codes: 0 done; 1 failed (one line on stderr says what and how to fix
it); 2 invalid settings or arguments; 3 another `qa index` is writing the
index; 130 interrupted (Ctrl-C). No traceback reaches the user unless
QA_DEBUG=1 asks for it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml
from pydantic import ValidationError
from tqdm import tqdm

from qa.answer import MAX_TURN_CHARS, Answer, Citation, RankedPassage, Turn, said_by
from qa.errors import QAError
from qa.settings import MAX_TOP_K, Settings, settings_file

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
DEBUG = "QA_DEBUG"
# Asked once before the first real question, so that its timings leave out
# loading the model and the word dictionary.
PROMPT = "问题> "
ENDINGS = frozenset({"exit", "quit"})
KEPT_TURNS = 10  # the conversation passed with each question (the service reads the last question)
NO_ANSWER = "文章中没有找到这个问题的答案。"
TERMINAL_MARKS = ("\033[1;33m", "\033[0m")  # the answering sentence in bold yellow
PLAIN_MARKS = ("【", "】")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings()
        return args.run(settings, args)
    except KeyboardInterrupt:
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end the line ^C was typed on
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `qa ask … | head`: the reader has gone, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except QAError as exc:
        _fail(str(exc))
        return getattr(exc, "exit_code", EXIT_FAILED)
    except Exception as exc:
        if os.environ.get(DEBUG):
            raise
        _fail(f"unexpected error ({type(exc).__name__}: {exc}). Rerun with {DEBUG}=1 to see the "
              f"traceback, and report it with the command that failed")
        return EXIT_FAILED


class SettingsError(QAError):
    exit_code = EXIT_USAGE


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
                             for e in exc.errors())
        raise SettingsError(f"invalid settings (qa.yaml or QA_* variables): {problems}. Fix them and "
                            f"run the command again (the README's Configuration lists them)") from exc
    except yaml.YAMLError as exc:
        raise SettingsError(f"the settings file {settings_file()} is not valid YAML ({_one_line(exc)}): "
                            f"fix it, or move it away to use the defaults") from exc
    except (TypeError, ValueError) as exc:  # the file is YAML, but a list or a scalar
        raise SettingsError(f"the settings file {settings_file()} is not a mapping of settings: write "
                            f"one `name: value` line per setting") from exc
    except QAError as exc:
        raise SettingsError(str(exc)) from exc


def _fail(message: str) -> None:
    print(f"qa: {_one_line(message)}", file=sys.stderr)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    index = sub.add_parser("index", help="build or update the index from the corpus folder")
    index.add_argument("--strict", action="store_true",
                       help="exit 1 when any article was skipped (for checking a corpus in CI)")
    index.add_argument("--ray", metavar="ADDRESS",
                       help="embed on this Ray cluster (host:port), an engine per CPU (setting ray_address)")
    index.set_defaults(run=cmd_index)

    ask = sub.add_parser("ask", help="answer a question; without one, a conversation in the terminal")
    ask.add_argument("question", nargs="?",
                     help="the question; leave it out to ask one question after another")
    ask.add_argument("--top-k", type=_top_k, default=None,
                     help="passages to show (default: the top_k setting)")
    ask.add_argument("--json", action="store_true", help="print the /api/ask JSON response")
    _scope_arguments(ask)
    ask.add_argument("--full", action="store_true",
                     help="print every passage whole (default: the best whole, the other sources one "
                          "line each)")
    ask.set_defaults(run=cmd_ask)

    ev = sub.add_parser("eval", help="measure retrieval on a question file or a SQuAD set")
    ev.add_argument("file", type=Path)
    ev.add_argument("--squad", action="store_true", help="FILE is SQuAD-format JSON")
    ev.add_argument("--retriever", choices=("hybrid", "bm25", "dense"), default="hybrid")
    ev.add_argument("--article", metavar="ID",
                    help="ask this article first, as the widget's data-article does")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
    ev.add_argument("--exhaustive", action="store_true",
                    help="score every passage, not only each part's candidates (the reference)")
    ev.set_defaults(run=cmd_eval)

    serve = sub.add_parser("serve", help="run the HTTP service (API, widget, Slack bot)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=_port, default=None)
    serve.set_defaults(run=cmd_serve)

    from qa.log_commands import add_log_commands
    add_log_commands(sub)
    return parser


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("scope", "which articles may answer (all of them by default)")
    where.add_argument("--article", metavar="ID", help="answer from this article first; from the others "
                                                       "only when it does not answer (says so)")
    where.add_argument("--in-article", metavar="ID", action="append", default=[], dest="articles",
                       help="answer only from this article (repeat for several)")
    where.add_argument("--date-from", metavar="DATE", help="articles dated on or after (YYYY-MM-DD, YYYY-MM)")
    where.add_argument("--date-to", metavar="DATE", help="articles dated on or before")
    where.add_argument("--tag", action="append", default=[], dest="tags", help="articles with this tag")
    where.add_argument("--speaker", help="passages in which this person speaks")


def _where(args: argparse.Namespace) -> dict:
    """The scope and article of `qa ask`'s options, as `QAService.ask` takes them."""
    from qa.scope import Scope

    scope = Scope(tuple(args.articles), args.date_from, args.date_to, tuple(args.tags), args.speaker)
    return {"scope": scope, "article": args.article}


def _top_k(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_TOP_K:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of passages: give a number from 1 to "
                                         f"{MAX_TOP_K}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 1 to 65535")
    return int(text)


# --- qa index ---------------------------------------------------------------------------------


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    from embeddings.pool import WorkerError
    from qa.ingest.articles import NothingToIndexError
    from qa.progress import ProgressLines
    from qa.runtime import build_index

    if args.ray:
        settings = settings.model_copy(update={"ray_address": args.ray})
    bars: list[tqdm] = []  # made at the first progress: none when the lock is refused

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="article", desc="indexing", file=sys.stderr))
        bars[0].total, bars[0].n = total, done
        bars[0].refresh()

    # On a terminal a bar; in a log a line every 30 s (qa.progress).
    lines = None if sys.stderr.isatty() else ProgressLines(sys.stderr).start()
    try:
        if lines is None:
            report = build_index(settings, progress=progress)
        else:
            report = build_index(settings, progress=lines.on_articles, text_progress=lines.on_texts)
    except NothingToIndexError as exc:
        _warn_skipped(exc.skipped)
        raise
    except WorkerError as exc:  # the embedding workers or the Ray cluster
        raise QAError(str(exc)) from exc
    finally:
        for bar in bars:
            bar.close()
        if lines is not None:
            lines.stop()
    for folder in report.removed_staging:
        print(f"qa: removed {folder}, left by an interrupted `qa index`", file=sys.stderr)
    _warn_skipped(report.errors)
    if report.boilerplate and report.boilerplate.blocks_left_out:
        print(f"qa: {report.boilerplate.summary()}", file=sys.stderr)
    print(f"indexed {report.articles} article(s), {report.passages} passages, {report.sentences} "
          f"sentences into {settings.index_dir} in {report.seconds:.1f} s; embedded {report.embedded} "
          f"text(s), {report.cached} came from the cache")
    if args.strict and report.errors:
        _fail(f"{len(report.errors)} article(s) skipped and --strict is set: fix or remove them")
        return EXIT_FAILED
    return 0


def _warn_skipped(errors: list[QAError]) -> None:
    for error in errors:
        print(f"qa: warning: skipped {_one_line(error)}", file=sys.stderr)


# --- qa ask -----------------------------------------------------------------------------------


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from qa.log_commands import logged

    with logged(settings, _open_service(settings)) as service:  # the question log (client cli)
        if args.question is not None:
            _print_answer(service.ask(args.question, top_k=args.top_k, **_where(args)), args.json,
                          full=args.full)
            return 0
        return Conversation(service, args.top_k, args.json, args.full, _where(args)).run()


def _open_service(settings: Settings):
    """The service over the index on disk, warmed up: model and dictionary loaded."""
    from qa.runtime import open_service

    try:
        service = open_service(settings)
    except QAError:
        raise
    except Exception as exc:  # a file of the index is missing, truncated or not its format
        raise QAError(f"the index in {settings.index_dir} cannot be read ({type(exc).__name__}: "
                      f"{exc}): rebuild it with `qa index`") from exc
    service.warm_up()
    return service


class Conversation:
    """Questions one after another, each read with the conversation so far:
    typed at a prompt (line editing and history by readline), or one a line
    from a pipe. An empty line (at the prompt), `exit`, `quit` or the end of
    the input ends it."""

    def __init__(self, service, top_k: int | None, as_json: bool, full: bool = False,
                 where: dict | None = None):
        self.service, self.top_k, self.as_json, self.full = service, top_k, as_json, full
        self.where = where or {}  # the scope and article every question is asked in
        self.history: list[Turn] = []
        self.failures = 0

    def run(self) -> int:
        typed = sys.stdin.isatty()
        if typed:
            import readline  # noqa: F401  (gives input() line editing and history)

            print(f"{len(self.service.articles())} 篇文章。输入问题；空行、exit 或 Ctrl-D 结束。")
        for question in self._typed() if typed else self._piped():
            self.answer(question, echo=not typed)
        return EXIT_FAILED if self.failures else 0

    def answer(self, question: str, echo: bool) -> None:
        try:
            answer = self.service.ask(question, top_k=self.top_k, history=self.history, **self.where)
        except QAError as exc:  # a question too long, …: say so and go on
            _fail(str(exc))
            self.failures += 1
            return
        if echo and not self.as_json:
            print(f"问：{question}")
        _print_answer(answer, self.as_json, compact=True, full=self.full)
        reply = answer.answer.text if answer.answer else NO_ANSWER
        self.history += [Turn(role="user", content=question),
                         Turn(role="assistant", content=reply[:MAX_TURN_CHARS])]
        self.history = self.history[-KEPT_TURNS:]

    def _typed(self) -> Iterator[str]:
        while True:
            try:
                question = input(PROMPT).strip()
            except EOFError:  # Ctrl-D
                print()
                return
            if not question or question.lower() in ENDINGS:
                return
            yield question

    def _piped(self) -> Iterator[str]:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        for number, line in enumerate(stream, start=1):
            try:
                question = line.decode("utf-8") if isinstance(line, bytes) else line
            except UnicodeDecodeError as exc:
                _fail(f"line {number} of the input is not UTF-8 text ({exc.reason} at byte {exc.start}): "
                      f"skipped it; send questions as UTF-8")
                self.failures += 1
                continue
            question = question.strip()
            if question.lower() in ENDINGS:
                return
            if question:  # blank lines between questions are skipped
                yield question


def _print_answer(answer: Answer, as_json: bool, compact: bool = False, full: bool = False) -> None:
    if as_json:
        print(answer.model_dump_json(indent=None if compact else 2))
    else:
        print(format_answer(answer, TERMINAL_MARKS if sys.stdout.isatty() else PLAIN_MARKS, full))
    sys.stdout.flush()


def format_answer(answer: Answer, marks: tuple[str, str] = PLAIN_MARKS, full: bool = False) -> str:
    """The answer sentence (after its speaker, where known); the passage it
    comes from whole, its answering sentence between `marks`, with its
    citation; then the other sources (`answer.sources`: passages far below
    the best are left out) one line each. Without an answer, the closest
    passages the same way. `full`: every passage whole."""
    lines = []
    if not answer.answerable:
        lines.append(f"{NO_ANSWER}最接近的段落：\n")
    elif answer.answer:
        source = answer.passages[answer.answer.passage - 1]
        lines.append(f"{said_by(source.speaker, answer.answer.text)}{answer.answer.text}\n")
    if full:
        return "\n".join(lines + [_whole(p, marks) for p in answer.passages])
    if answer.answerable and answer.answer is not None:
        shown, best = answer.sources, answer.answer.passage
    else:
        shown = [p.rank for p in answer.passages]
        best = shown[0] if shown else None
    lines += [_whole(p, marks) for p in answer.passages if p.rank == best]
    others = [_source_line(p) for p in answer.passages if p.rank in shown and p.rank != best]
    if others:
        lines.append("\n".join(others) + "\n")
    return "\n".join(lines)


def _whole(p: RankedPassage, marks: tuple[str, str]) -> str:
    return (f"[{p.rank}] {said_by(p.speaker, p.text)}{_mark(p.text, p.highlights, marks)}\n"
            f"    — {_cite(p.citation)}  (score {p.score:.3f})\n")


def _source_line(p: RankedPassage) -> str:
    where = (p.citation.title, p.citation.section, f"第 {p.citation.paragraph} 段")
    return f"[{p.rank}] {' · '.join(part for part in where if part)}  (score {p.score:.3f})"


def _cite(citation: Citation) -> str:
    # The page's plain address: a terminal shows the text fragment as a long
    # run of percent-escapes (`--json` gives the landing URL).
    parts = (citation.title, citation.section, f"第 {citation.paragraph} 段",
             citation.article_url or citation.article_id)
    return " · ".join(part for part in parts if part)


def _mark(text: str, spans: list[tuple[int, int]], marks: tuple[str, str]) -> str:
    on, off = marks
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + on + text[start:end] + off + text[end:]
    return text


# --- qa eval, qa serve --------------------------------------------------------------------------


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from qa import evaluate
    from qa.runtime import make_embedder, make_tokenizer

    if args.squad:
        squad = evaluate.load_squad(args.file)
        with tqdm(total=len(squad.questions), desc="questions", file=sys.stderr, disable=None) as bar:
            metrics = evaluate.evaluate_squad(squad, make_embedder(settings), make_tokenizer(settings),
                                              settings.cache_dir, args.retriever, bar.update,
                                              exhaustive=args.exhaustive)
    else:
        questions = evaluate.load_questions(args.file)
        service = _open_service(settings)
        service.exhaustive = args.exhaustive
        with tqdm(total=len(questions), desc="questions", file=sys.stderr, disable=None) as bar:
            metrics = evaluate.evaluate_questions(service, questions, args.retriever, bar.update,
                                                  article=args.article)
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False, indent=2))
    else:
        _print_table(metrics)
    return 0


def _print_table(metrics: dict) -> None:
    for key, value in metrics.items():
        if key == "failures":
            continue
        if isinstance(value, dict):
            value = "  ".join(f"{k} {v}" for k, v in value.items())
        print(f"{key:>34}  {value}")
    for failure in metrics.get("failures", []):
        print(f"  miss: {failure}")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from api.serve import serve

    serve(settings, args.host or settings.host, args.port or settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
