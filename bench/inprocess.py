"""What HTTP is measured against, in this process: the floor (embedding the
question alone) and the baseline (the whole service call, no HTTP)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.runtime import make_embedder, open_service
from qa.settings import Settings
from qa.text import normalize

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


def floor(settings: Settings, questions: list[str]) -> Latency:
    """Embedding one question, with the embedder the server uses."""
    embedder = make_embedder(settings)
    return timed("floor: embed one question", lambda q: embedder.embed_query(normalize(q)), questions)


def baseline(settings: Settings, questions: list[str]) -> Latency:
    """The whole service call (embed, search, highlight, cite) without HTTP."""
    service = open_service(settings)
    return timed("baseline: QAService.ask", service.ask, questions)
