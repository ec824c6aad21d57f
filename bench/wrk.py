"""Running wrk (Debian's package) with bench/ask.lua, and reading its results."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("ask.lua")


@dataclass
class Phase:
    name: str
    connections: int
    threads: int
    bodies: list[str]    # JSON request bodies; each thread takes every `threads`-th one
    limit: int           # responses per thread, then the thread stops
    max_seconds: float   # the run ends by then in any case


@dataclass
class Result:
    phase: Phase
    requests: int
    errors: int
    cache_hits: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    sent: int = 0  # requests made; more than `requests` by those in flight when a thread stopped

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian when missing (the bench runs as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing it with apt-get", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: cannot install wrk; install it with `apt-get install -y wrk`")
    return found


def run(wrk: str, base_url: str, phase: Phase) -> Result:
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        bodies, done_dir = Path(tmp) / "bodies.jsonl", Path(tmp) / "done"
        bodies.write_text("\n".join(phase.bodies) + "\n", encoding="utf-8")
        done_dir.mkdir()
        command = [wrk, f"-t{phase.threads}", f"-c{phase.connections}", f"-d{int(phase.max_seconds)}s",
                   "--timeout", "10s", "-s", str(SCRIPT), base_url, "--",
                   str(bodies), str(phase.threads), str(phase.limit), str(done_dir)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _end_when_threads_are_done(process, done_dir, phase.threads)
        out, err = process.communicate(timeout=30)
    if process.returncode != 0:
        raise SystemExit(f"bench: wrk failed ({process.returncode}): {err.strip()}")
    return _parse(phase, out)


def _end_when_threads_are_done(process: subprocess.Popen, done_dir: Path, threads: int) -> None:
    """wrk sleeps for the whole -d even when every thread has stopped; SIGINT
    makes it report at once."""
    while process.poll() is None:
        if len(list(done_dir.iterdir())) >= threads:
            process.send_signal(signal.SIGINT)
            return
        time.sleep(0.05)


def _parse(phase: Phase, out: str) -> Result:
    line = next((raw for raw in out.splitlines() if raw.startswith("{")), None)
    if line is None:
        raise SystemExit(f"bench: no result from wrk:\n{out}")
    data = json.loads(line)
    return Result(phase, data["requests"], data["errors"], data["cache_hits"], data["span_us"] / 1e6,
                  data["p50_us"] / 1000, data["p95_us"] / 1000, data["p99_us"] / 1000, data["max_us"] / 1000,
                  data.get("sent", data["requests"]))
