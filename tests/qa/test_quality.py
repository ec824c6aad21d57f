"""Retrieval quality on the seed interview with the real bundled model.

The floors guard against regressions; measured values are in the assertion
messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluate import evaluate_questions, load_questions
from qa.service import QAService

pytestmark = pytest.mark.model

QUESTIONS = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "questions.yaml"
SEED_URL = "https://linux.cn/article-11563-1.html"


@pytest.fixture(scope="module")
def metrics(seed_service: QAService) -> dict[str, dict]:
    questions = load_questions(QUESTIONS)
    return {name: evaluate_questions(seed_service, questions, name) for name in ("hybrid", "bm25", "dense")}


def test_acp_question_finds_its_passage_with_citation_and_highlight(seed_service: QAService) -> None:
    answer = seed_service.ask("ACP 2.0 是什么？")
    assert answer.answerable
    found = [p for p in answer.passages[:2] if "ACP 2.0 是把整个平台都做成" in p.text]
    assert found, [p.text[:40] for p in answer.passages[:2]]
    passage = found[0]
    assert passage.citation.article_url == SEED_URL
    assert passage.citation.url.startswith(f"{SEED_URL}#:~:text=")  # lands on the answering sentence
    assert passage.citation.title == "酌一杯云之酒，以开源佐之 ——专访灵雀云陈恺"
    assert (passage.citation.author, passage.citation.date) == ("老王", "2019-11-11")
    marked = [passage.text[s:e] for s, e in passage.highlights]
    assert any("ACP 2.0 是把整个平台都做成" in m for m in marked), marked


def test_unanswerable_seed_question_is_marked(seed_service: QAService) -> None:
    assert not seed_service.ask("灵雀云有多少员工？").answerable


@pytest.mark.parametrize(
    "question",
    [
        "跟 k8s 不沾边的就不算云原生了？",  # colloquial: 沾边, 不算
        "他们那个发行版要是开源了，社区的人能拿来干嘛？",  # colloquial: 拿来干嘛
    ],
)
def test_paraphrased_question_whose_words_the_article_lacks_is_answered(
    seed_service: QAService, question: str
) -> None:
    assert seed_service.ask(question).answerable


@pytest.mark.parametrize(
    "question",
    [
        "灵雀云的 CEO 是谁？",
        "灵雀云的客户里有哪些银行？",
        "陈恺在微软工作了多少年？",  # 陈恺, 微软 and 工作 are all in the article
        "Kube-OVN 在 GitHub 上有多少 star？",
    ],
)
def test_question_about_what_the_article_never_names_is_not_answered(
    seed_service: QAService, question: str
) -> None:
    assert not seed_service.ask(question).answerable


def test_hybrid_meets_the_quality_floors(metrics: dict[str, dict]) -> None:
    hybrid = metrics["hybrid"]
    measured = {k: hybrid[k] for k in ("hit@1", "hit@5", "mrr", "no_answer_recall", "false_no_answer")}
    assert hybrid["hit@5"] >= 0.95, measured
    assert hybrid["mrr"] >= 0.85, measured
    assert hybrid["no_answer_recall"] >= 0.8, measured
    assert hybrid["false_no_answer"] <= 0.05, measured


@pytest.mark.parametrize("part", ["bm25", "dense"])
def test_hybrid_mrr_is_at_least_each_part(metrics: dict[str, dict], part: str) -> None:
    assert metrics["hybrid"]["mrr"] >= metrics[part]["mrr"], {n: m["mrr"] for n, m in metrics.items()}
