"""Soak test of `qa serve`: `make soak` (python -m bench.soak).

Starts the real server on 127.0.0.1 over the index `qa index` built and
drives it with wrk at 32 connections for 60 s with distinct questions (no
answer comes from the cache), sampling the server's memory every second. It
prints the errors and the server's RSS at the start, half way and at the
end, and PASS/FAIL for: no errors, and RSS growth over the last 30 s of at
most 10% (a leak grows steadily; a warm-up does not).

    python -m bench.soak [--seconds 60] [--connections 32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time

from bench.load import QUESTIONS, bodies, server_memory, start_server
from bench.questions import QuestionPool, corpus_questions, variations
from bench.wrk import Phase, ensure_wrk, run


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    wrk = ensure_wrk()
    pool = QuestionPool(variations(corpus_questions(QUESTIONS)))
    with tempfile.TemporaryFile(mode="w+") as log:
        server, base_url = start_server(log)
        samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB)
        stop = threading.Event()
        sampler = threading.Thread(target=_sample, args=(server.pid, samples, stop), daemon=True)
        try:
            phase = Phase(f"soak c={args.connections}", args.connections, 2, bodies(pool.take(args.bodies)),
                          10**9, args.seconds)
            sampler.start()
            result = run(wrk, base_url, phase)
        finally:
            stop.set()
            sampler.join()
            server.terminate()
            server.wait(timeout=30)
    return _report(result, samples, args.seconds)


def _sample(pid: int, samples: list[tuple[float, float]], stop: threading.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        samples.append((time.monotonic() - started, server_memory(pid)["VmRSS"]))
        stop.wait(1.0)


def _rss_at(samples: list[tuple[float, float]], second: float) -> float:
    return min(samples, key=lambda s: abs(s[0] - second))[1]


def _report(result, samples: list[tuple[float, float]], seconds: float) -> int:
    start, half, end = _rss_at(samples, 0), _rss_at(samples, seconds / 2), samples[-1][1]
    growth = (end - half) / half
    print(f"{result.phase.name}: {result.requests} requests in {result.seconds:.0f} s "
          f"({result.rps:.1f} req/s), {result.errors} errors, p50 {result.p50_ms:.0f} ms, "
          f"p99 {result.p99_ms:.0f} ms, {result.cache_hits} from the cache")
    print(f"server RSS: start {start:.0f} MB, at {seconds / 2:.0f} s {half:.0f} MB, end {end:.0f} MB "
          f"(last {seconds / 2:.0f} s: {growth:+.1%})")
    checks = [("zero errors", result.errors == 0, f"{result.errors} errors"),
              ("RSS growth over the second half <= 10%", growth <= 0.10, f"{growth:+.1%}")]
    for name, ok, measured in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<40} {measured}")
    return 0 if all(ok for _, ok, _ in checks) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--bodies", type=int, default=12000, help="distinct questions to cycle through")
    return parser


if __name__ == "__main__":
    sys.exit(main())
