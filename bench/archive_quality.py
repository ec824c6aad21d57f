"""Quality with an archive beside the seed: `make eval-archive`.

Indexes the seed interview (`corpus/*.md`) together with the real archive
`../shared/bench/lctt-2019/` (all of it, or the months of `--months`), with
the embedding cache kept in `var/cache` so that a second run embeds nothing
(with `--months`, those months and the 66 articles the archive's question
sets ask about),
then runs `qa eval`'s measure on the own question files (`corpus/questions*.yaml`),
on each again with the interview asked first (the widget's `data-article`),
on the archive's own question set (`bench/data/lctt-2019-questions.yaml`),
and on the held-out English sets (`bench/data/lctt-2019-english.yaml`,
`bench/data/interview-english.yaml`).
Prints one JSON line per set.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import yaml

from qa.evaluate import evaluate_questions, load_questions
from qa.runtime import build_index, open_service
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "bench" / "lctt-2019"
SEED = "alauda-chenkai-interview"
OWN_SETS = ("questions.yaml", "questions-extra.yaml", "questions-heldout.yaml")
ARCHIVE_SET = ROOT / "bench" / "data" / "lctt-2019-questions.yaml"
EXTRA_SETS = (ROOT / "bench" / "data" / "lctt-2019-english.yaml",
              ROOT / "bench" / "data" / "interview-english.yaml")
SHOWN = ("hit@1", "hit@5", "mrr", "answer@1", "answer@1_given_passage", "no_answer_recall",
         "false_no_answer", "latency_ms")


def lay_out(folder: Path, months: list[str] | None) -> int:
    """A corpus folder of links: the seed's articles and the archive's (its
    month folders kept: they date the articles); with `months`, those months
    and the articles the archive's question set asks about. Returns the
    article count."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for article in sorted((ROOT / "corpus").glob("*.md")):
        (folder / article.name).symlink_to(article)
    questions = [item for path in (ARCHIVE_SET, *EXTRA_SETS)
                 for item in yaml.safe_load(path.read_text("utf-8"))]
    asked = {item["article"] for item in questions if item.get("article")}
    for article in sorted(ARCHIVE.glob("*/*.md")):
        relative = article.relative_to(ARCHIVE)
        if months and article.parent.name not in months and str(relative) not in asked:
            continue
        (folder / "lctt-2019" / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / "lctt-2019" / relative).symlink_to(article)
    return len(list(folder.rglob("*.md")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", nargs="*", help="archive months to index (default: all), e.g. 201911")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "archive", help="corpus links and index")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "cache", help="embedding cache folder")
    args = parser.parse_args()
    files = lay_out(args.work / "corpus", args.months)
    settings = Settings(corpus_dir=args.work / "corpus", index_dir=args.work / "index", cache_dir=args.cache)
    report = build_index(settings)
    print(json.dumps({"articles": report.articles, "files": files, "passages": report.passages,
                      "embedded": report.embedded, "build_s": round(report.seconds, 1),
                      "skipped": [str(e) for e in report.errors]}, ensure_ascii=False), flush=True)
    service = open_service(settings)
    service.warm_up()
    runs = [(name, ROOT / "corpus" / name, None) for name in OWN_SETS]
    runs += [(f"{name} (interview first)", ROOT / "corpus" / name, SEED) for name in OWN_SETS]
    runs.append((ARCHIVE_SET.name, ARCHIVE_SET, None))
    runs += [(path.name, path, None) for path in EXTRA_SETS]
    for name, path, article in runs:
        service.forget_answers()  # a set asked before would answer from the cache, in no time
        metrics = evaluate_questions(service, load_questions(path), article=article)
        print(json.dumps({"set": name, **{k: metrics[k] for k in SHOWN},
                          "misses": metrics["failures"]}, ensure_ascii=False), flush=True)
    print(json.dumps(latency(service, [q.question for q in load_questions(ARCHIVE_SET)])), flush=True)


def latency(service, questions: list[str]) -> dict:
    """A question's cost over the archive against its floor, the model's
    embedding of it, taken in turns in this process (the answer cache emptied)."""
    asked, embedded = [], []
    for question in questions:
        service.forget_answers()
        started = time.perf_counter()
        service.index.embed_query(question)
        embedded.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        service.ask(question)
        asked.append((time.perf_counter() - started) * 1000)
    ask_p50, floor_p50 = float(np.median(asked)), float(np.median(embedded))
    return {"ask_p50_ms": round(ask_p50, 1), "ask_p99_ms": round(float(np.percentile(asked, 99)), 1),
            "embed_p50_ms": round(floor_p50, 1), "ask_over_floor": round(ask_p50 / floor_p50, 2)}


if __name__ == "__main__":
    main()
