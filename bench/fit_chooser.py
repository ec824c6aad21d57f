"""Fit the answer chooser's weights (`qa.extract.WEIGHTS`): `python -m bench.fit_chooser`.

Logistic regression on CMRC 2018 trial (`../shared/bench/cmrc2018_trial.json`),
as `qa/extract.py` says: the questions whose own context the service ranks
first and which hold a gold answer in one of that passage's sentences; one
example per sentence (its `qa.extract.sentence_features`), labelled by
whether it holds a gold answer. The passages' and sentences' e5 vectors come
through the embedding cache, as `qa eval --squad` takes them
(`QA_CACHE_DIR=/work/cache/squad` holds them for this set).

Prints one JSON line: the examples, the fitted weights (in FEATURES' order,
without the intercept: a passage's sentences are compared with each other),
the committed ones beside them, and how often each set's best-scored
sentence holds a gold answer on those questions (before the neighbour rules
of `qa.extract.choose`). It does not change `WEIGHTS`.

    QA_CACHE_DIR=/work/cache/squad python -m bench.fit_chooser [--l2 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from qa import extract
from qa.evaluate import squad_service
from qa.retrieval import Hit
from qa.runtime import make_embedder, make_tokenizer
from qa.service import QAService
from qa.settings import Settings
from qa.squad import SquadSet, load_squad
from qa.text import comparable

CMRC = Path(__file__).resolve().parents[2] / "shared" / "bench" / "cmrc2018_trial.json"
NEWTON_STEPS = 50


def examples(service: QAService, squad: SquadSet) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per question whose context ranks first and holds a gold answer in a
    sentence: its sentences' features, and their labels."""
    index, rows_x, rows_y = service.index, [], []
    for (question, row), gold in zip(squad.questions, squad.answers, strict=True):
        if not question.strip() or not gold:
            continue
        answer = service.ask(question, top_k=1)
        if [index.passages.row_of(p.id) for p in answer.passages] != [row]:
            continue
        query = index.query(question)
        words = service._weights.words(question)  # the service's own inputs, not a copy of them
        asked, (passage,) = service._extraction_inputs(question, question, words, query, [Hit(row, 0.0)])
        golds = [comparable(g) for g in gold]
        labels = [any(g in sentence for g in golds) for sentence in passage.plain]
        if not any(labels):
            continue
        rows_x.append(extract.sentence_features(asked, passage))
        rows_y.append(np.array(labels, dtype=float))
    return rows_x, rows_y


def logistic_regression(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Weights (intercept last) minimising the log loss plus `l2`/2 times the
    squared weights (the intercept unpenalised), by Newton's method."""
    design = np.hstack([x, np.ones((len(x), 1))])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    w = np.zeros(design.shape[1])
    for _ in range(NEWTON_STEPS):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + penalty * w
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


def top_sentence_holds_answer(weights: np.ndarray, xs: list[np.ndarray], ys: list[np.ndarray]) -> float:
    """How often the sentence the weights score best holds a gold answer."""
    return round(float(np.mean([y[int(np.argmax(x @ weights))] for x, y in zip(xs, ys, strict=True)])), 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fit_chooser", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=CMRC, help="SQuAD-format set (default: CMRC 2018 trial)")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty on the weights (default 1.0)")
    args = parser.parse_args(argv)
    settings = Settings()
    squad = load_squad(args.set)
    service, _ = squad_service(squad, make_embedder(settings), make_tokenizer(settings), settings.cache_dir)
    xs, ys = examples(service, squad)
    y = np.concatenate(ys)
    fitted = logistic_regression(np.concatenate(xs), y, args.l2)
    committed = np.array([extract.WEIGHTS[name] for name in extract.FEATURES])
    print(json.dumps({
        "set": args.set.name, "questions": len(xs), "sentences": len(y), "holding_answer": int(y.sum()),
        "l2": args.l2,
        "fitted": {name: round(float(w), 2) for name, w in zip(extract.FEATURES, fitted, strict=False)},
        "intercept": round(float(fitted[-1]), 2),
        "committed": extract.WEIGHTS,
        "top_sentence_holds_answer": {"fitted": top_sentence_holds_answer(fitted[:-1], xs, ys),
                                      "committed": top_sentence_holds_answer(committed, xs, ys)},
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
