"""The `qa` command: index, ask, eval, serve."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError
from tqdm import tqdm

from qa.errors import QAError
from qa.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"qa: invalid settings (qa.yaml or QA_* variables):\n{exc}", file=sys.stderr)
        return 2
    except QAError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 2
    try:
        return args.run(settings, args)
    except QAError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    index = sub.add_parser("index", help="build or update the index from the corpus folder")
    index.set_defaults(run=cmd_index)

    ask = sub.add_parser("ask", help="answer a question in the terminal")
    ask.add_argument("question")
    ask.add_argument("--top-k", type=int, default=None)
    ask.add_argument("--json", action="store_true", help="print the /api/ask JSON response")
    ask.set_defaults(run=cmd_ask)

    ev = sub.add_parser("eval", help="measure retrieval on a question file or a SQuAD set")
    ev.add_argument("file", type=Path)
    ev.add_argument("--squad", action="store_true", help="FILE is SQuAD-format JSON")
    ev.add_argument("--retriever", choices=("hybrid", "bm25", "dense"), default="hybrid")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
    ev.add_argument("--exhaustive", action="store_true",
                    help="score every passage, not only each part's candidates (the reference)")
    ev.set_defaults(run=cmd_eval)

    serve = sub.add_parser("serve", help="run the HTTP service (API, widget, Slack bot)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(run=cmd_serve)
    return parser


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    from qa.runtime import build_index

    bar = tqdm(total=0, unit="text", desc="embedding", file=sys.stderr, disable=None)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    report = build_index(settings, progress=progress)
    bar.close()
    for error in report.errors:
        print(f"skipped {error}", file=sys.stderr)
    print(
        f"indexed {report.articles} article(s), {report.passages} passages, "
        f"{report.sentences} sentences into {settings.index_dir} in {report.seconds:.1f} s; "
        f"embedded {report.embedded} new text(s), the rest came from the cache"
    )
    if report.articles == 0:
        print(f"qa: no readable article in {settings.corpus_dir}: add Markdown files "
              f"(.md) with YAML front matter", file=sys.stderr)
        return 1
    return 1 if report.errors else 0


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from qa.runtime import open_service

    answer = open_service(settings).ask(args.question, top_k=args.top_k)
    if args.json:
        print(answer.model_dump_json(indent=2))
        return 0
    if not answer.answerable:
        print("文章中没有找到这个问题的答案。最接近的段落：\n")
    elif answer.answer:
        print(f"{answer.answer.text}\n")
    for p in answer.passages:
        c = p.citation
        marked = _mark(p.text, p.highlights)
        print(f"[{p.rank}] {marked}\n    — {c.title} · {c.section or ''} · 第 {c.paragraph} 段 · "
              f"{c.url or c.article_id}  (score {p.score:.3f})\n")
    return 0


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    on, off = ("\033[1;33m", "\033[0m") if sys.stdout.isatty() else ("【", "】")
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + on + text[start:end] + off + text[end:]
    return text


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from qa import evaluate
    from qa.runtime import make_embedder, make_tokenizer, open_service

    if args.squad:
        squad = evaluate.load_squad(args.file)
        with tqdm(total=len(squad.questions), desc="questions", file=sys.stderr, disable=None) as bar:
            metrics = evaluate.evaluate_squad(squad, make_embedder(settings), make_tokenizer(settings),
                                              settings.cache_dir, args.retriever, bar.update,
                                              exhaustive=args.exhaustive)
    else:
        questions = evaluate.load_questions(args.file)
        with tqdm(total=len(questions), desc="questions", file=sys.stderr, disable=None) as bar:
            service = open_service(settings)
            service.exhaustive = args.exhaustive
            metrics = evaluate.evaluate_questions(service, questions, args.retriever, bar.update)
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
    import uvicorn

    from api.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    # No access log: one line per request costs 12-16% of throughput on repeated questions.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
