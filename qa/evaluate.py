"""`qa eval`: retrieval quality on a question file or a SQuAD-format set."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from embeddings.base import Embedder
from embeddings.cache import EmbeddingCache
from qa.answer import Answer
from qa.build import BuildReport, write_index
from qa.errors import EvalFileError
from qa.index import Index
from qa.service import QAService
from qa.squad import SquadSet, load_squad  # noqa: F401 (qa.cli calls evaluate.load_squad)
from qa.text import comparable
from qa.tokenize import Tokenizer


class TestQuestion(BaseModel):
    question: str
    expect: list[str]


def load_questions(path: Path) -> list[TestQuestion]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TypeAdapter(list[TestQuestion]).validate_python(data)
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise EvalFileError(f"{path}: not valid YAML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise EvalFileError(
            f"{path}: entry {first['loc'][0] if first['loc'] else '?'} is not "
            f"`- question: …` with `expect: [ … ]` ({first['msg']})"
        ) from exc


def _matcher(expect: list[str]) -> Callable[[str], bool]:
    needles = [comparable(e) for e in expect]
    return lambda text: any(n in comparable(text) for n in needles)


def _rank(index: Index, retriever: str, question: str, k: int) -> list[int]:
    """Passage rows, best first, as the chosen retriever orders them."""
    query = index.query(question, embed=retriever != "bm25")
    return [h.row for h in getattr(index, retriever).search(query, k)]


def answer_holds(answer: Answer, relevant: Callable[[str], bool]) -> bool:
    """Whether the answer text (what a reader is shown first) holds a gold phrase."""
    return bool(answer.answerable and answer.answer and relevant(answer.answer.text))


def answer_metrics(answers: list[tuple[bool, bool]], digits: int) -> dict[str, float | None]:
    """`answer@1` over all answerable questions, and `answer@1_given_passage`
    over those whose top passage is right. Each item is (answer right, passage right)."""
    given = [right for right, passage_right in answers if passage_right]
    return {
        "answer@1": round(sum(right for right, _ in answers) / len(answers), digits) if answers else None,
        "answer@1_given_passage": round(sum(given) / len(given), digits) if given else None,
    }


def percentiles(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"p50": 0.0, "p95": 0.0}
    return {"p50": round(float(np.percentile(latencies, 50)), 2),
            "p95": round(float(np.percentile(latencies, 95)), 2)}


def evaluate_questions(service: QAService, questions: list[TestQuestion],
                       retriever: str = "hybrid", progress=None, article: str | None = None) -> dict:
    """hit@1/3/5 and mrr over answerable questions, no-answer recall over the
    others, false no-answer rate, and latency of the full service call;
    with `article`, each question asks that article first (as the widget's
    `data-article` does)."""
    index = service.index
    ranks, no_answer_hits, false_no_answer, latencies = [], [], [], []
    answers: list[tuple[bool, bool]] = []  # (answer text holds an expect string, top passage right)
    failures = []
    for item in questions:
        started = time.perf_counter()
        answer = service.ask(item.question, top_k=5, article=article)
        latencies.append((time.perf_counter() - started) * 1000)
        if not item.expect:
            no_answer_hits.append(not answer.answerable)
            if answer.answerable:
                failures.append({"question": item.question, "problem": "answered, should not be"})
        else:
            relevant = _matcher(item.expect)
            if retriever == "hybrid":
                texts = [p.text for p in answer.passages]
            else:
                texts = [index.passages[r].text for r in _rank(index, retriever, item.question, 5)]
            rank = next((i for i, t in enumerate(texts) if relevant(t)), None)
            ranks.append(rank)
            answered = answer_holds(answer, relevant)
            answers.append((answered, rank == 0))
            false_no_answer.append(not answer.answerable)
            if rank != 0 or not answer.answerable or not answered:
                failures.append({"question": item.question, "rank": None if rank is None else rank + 1,
                                 "answerable": answer.answerable,
                                 "answer": answer.answer.text if answer.answer else None})
        if progress:
            progress()
    found = [r for r in ranks if r is not None]
    n = max(len(ranks), 1)
    return {
        "questions": len(questions),
        "answerable_questions": len(ranks),
        "retriever": retriever,
        "hit@1": round(sum(r < 1 for r in found) / n, 3),
        "hit@3": round(sum(r < 3 for r in found) / n, 3),
        "hit@5": round(sum(r < 5 for r in found) / n, 3),
        "mrr": round(sum(1 / (r + 1) for r in found) / n, 3),
        **answer_metrics(answers, digits=3),
        "no_answer_recall": round(float(np.mean(no_answer_hits)), 3) if no_answer_hits else None,
        "false_no_answer": round(float(np.mean(false_no_answer)), 3) if false_no_answer else None,
        "latency_ms": percentiles(latencies),
        "failures": failures,
    }


def squad_service(squad: SquadSet, embedder: Embedder, tokenizer: Tokenizer, cache_dir: Path,
                  exhaustive: bool = False) -> tuple[QAService, BuildReport]:
    """The service over a temporary index of the set's contexts, one passage
    each, embedded through the cache in `cache_dir`; and the build's report."""
    cache = EmbeddingCache(cache_dir / "embeddings.sqlite")
    with tempfile.TemporaryDirectory(prefix="qa-squad-") as tmp:
        report = write_index(Path(tmp) / "index", squad.documents(), embedder, tokenizer,
                             cache, {"squad": True})
        index = Index.load(Path(tmp) / "index", embedder, tokenizer)
    cache.close()
    return QAService(index, exhaustive=exhaustive), report


def evaluate_squad(squad: SquadSet, embedder: Embedder, tokenizer: Tokenizer, cache_dir: Path,
                   retriever: str = "hybrid", progress=None, exhaustive: bool = False) -> dict:
    """Every context a passage in a temporary index; every question scored
    against its own context. `exhaustive` scores every passage instead of the
    candidates (the reference for the candidate path)."""
    service, report = squad_service(squad, embedder, tokenizer, cache_dir, exhaustive)
    index = service.index
    ranks, latencies, answers = [], [], []
    skipped = 0
    for (question, row), gold in zip(squad.questions, squad.answers, strict=True):
        if not question.strip():  # CMRC's trial set has two blank questions: nothing to ask
            skipped += 1
            continue
        started = time.perf_counter()
        if retriever == "hybrid":  # the whole service call, as the API makes it
            answer = service.ask(question, top_k=10)
            rows = [index.passages.row_of(p.id) for p in answer.passages]
        else:
            query = index.query(question, embed=retriever != "bm25")
            rows = [h.row for h in getattr(index, retriever).search(query, 10)]
        latencies.append((time.perf_counter() - started) * 1000)
        ranks.append(rows.index(row) if row in rows else None)
        if retriever == "hybrid" and gold:
            answers.append((answer_holds(answer, _matcher(gold)), rows[:1] == [row]))
        if progress:
            progress()
    n = len(ranks)
    found = [r for r in ranks if r is not None]
    return {
        "questions": n,
        "skipped_blank_questions": skipped,
        "passages": len(squad.passages),
        "retriever": retriever,
        "exhaustive": exhaustive,
        "recall@1": round(sum(r < 1 for r in found) / n, 4),
        "recall@5": round(sum(r < 5 for r in found) / n, 4),
        "mrr@10": round(sum(1 / (r + 1) for r in found) / n, 4),
        **(answer_metrics(answers, digits=4) if answers else {}),
        "index_build_s": round(report.seconds, 2),
        "embedded_passages_and_sentences": report.embedded,
        "passages_per_s": round(len(squad.passages) / report.seconds, 1) if report.seconds else None,
        "latency_ms": percentiles(latencies),
    }
