"""No refusal when the answer is on top (issue 21, item 2), with the real
bundled model over the seed interview.

Each question below is pinned to what it should get."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer import Answer
from qa.evaluate import _matcher, load_questions
from qa.service import QAService

pytestmark = pytest.mark.model

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
OWN_SETS = ("questions.yaml", "questions-extra.yaml", "questions-heldout.yaml")

# Answerable questions whose top passage holds the answer and that are still
# refused: paraphrases whose words the interview does not use (帮忙拍 / 帮我们照,
# 一统江湖, 吃苦头), the overlap with unanswerable questions that the README's
# "Answerable" describes. The list may shrink, never grow, but for a question
# whose right passage reaches the top through a ranking change: the fourth
# came with BM25's title-word inheritance (p5 now outranks p2), and is the same
# kind of paraphrase (起初把容器看成 / 早期……觉得容器就像是).
STILL_REFUSED = {
    "作者和陈恺的合影是谁帮忙拍的？",
    "在 K8s 一统江湖之前，编排领域是怎样的竞争局面？",
    "为什么微服务刚开始推广时企业普遍吃了不少苦头？",
    "灵雀云创始团队起初把容器看成一种什么东西？",
}

# Unanswerable questions of the own sets that were answered before this change.
ANSWERED_BEFORE = {
    "云原生技术实践峰会在哪个场馆举行？",
    "灵雀云的 Kubernetes 发行版叫什么名字？",
    "Kube-OVN 项目在 GitHub 上有多少个 star？",
}


def _answer_text(answer: Answer) -> str:
    return answer.answer.text if answer.answer else ""


def test_who_the_interviewee_is_comes_from_where_the_article_introduces_him(seed_service: QAService) -> None:
    answer = seed_service.ask("陈恺是谁？")
    assert answer.answerable
    assert "陈恺——灵雀云的 CTO" in _answer_text(answer), _answer_text(answer)
    assert answer.passages[0].id.endswith("#p1")
    english = seed_service.ask("Who is Chen Kai?")
    assert "陈恺——灵雀云的 CTO" in _answer_text(english), _answer_text(english)


def test_the_words_that_ask_need_not_be_in_the_passage(seed_service: QAService) -> None:
    """"靠的是啥" asks for a reason: 靠 is no topic the passage must hold."""
    answer = seed_service.ask("k8s 赢了编排大战靠的是啥")
    assert answer.answerable
    assert "商业版" in answer.passages[0].text


def test_where_the_interviewee_worked_before(seed_service: QAService) -> None:
    """工作 is never said: "曾在微软 Azure 从事……研究" names where he worked (`qa.works_where`)."""
    answer = seed_service.ask("陈恺之前在哪里工作？")
    assert answer.answerable
    assert "微软 Azure" in _answer_text(answer)


def test_how_long_he_worked_there_is_not_where(seed_service: QAService) -> None:
    """The passage that names his employer does not say how long he worked
    there: 工作 counts as found only for a question that asks where."""
    answer = seed_service.ask("陈恺在微软工作了多少年？")
    assert not answer.answerable, _answer_text(answer)


def test_which_company_the_interviewee_works_for(seed_service: QAService) -> None:
    """p1's "陈恺——灵雀云的 CTO" ranks third, below a quote on 公司 that profit from open source."""
    answer = seed_service.ask("陈恺在哪家公司工作？")
    assert answer.answerable
    assert "灵雀云的 CTO" in _answer_text(answer) or "灵雀云的创始人" in _answer_text(answer)


def test_where_the_founding_team_worked_before(seed_service: QAService) -> None:
    """The author's "……灵雀云的创始人之一的陈恺，我之前并没有直接接触过" ranks
    first; it names 灵雀云, which the question names, as his employer."""
    answer = seed_service.ask("灵雀云的创始团队之前在哪里工作？")
    assert answer.answerable
    assert "微软 Azure" in _answer_text(answer), _answer_text(answer)


@pytest.fixture(scope="module")
def own_questions(seed_service: QAService) -> list[tuple[str, list[str], Answer]]:
    items = [q for name in OWN_SETS for q in load_questions(CORPUS / name)]
    return [(q.question, q.expect, seed_service.ask(q.question)) for q in items]


def test_no_question_is_refused_when_its_top_passage_holds_the_answer(own_questions) -> None:
    refused = {question for question, expect, answer in own_questions
               if expect and _matcher(expect)(answer.passages[0].text) and not answer.answerable}
    assert refused <= STILL_REFUSED, sorted(refused - STILL_REFUSED)


def test_the_own_unanswerable_questions_stay_refused(own_questions) -> None:
    """Those the interview does not answer and the service refused before this
    change stay refused: three were answered then, and may still be."""
    answered = {question for question, expect, answer in own_questions if not expect and answer.answerable}
    assert answered <= ANSWERED_BEFORE, sorted(answered - ANSWERED_BEFORE)
