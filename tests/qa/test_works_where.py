"""qa.works_where: "陈恺之前在哪里工作？" is answered where the articles name
his employer without the verb.

Through the service with the real model: test_answerable_on_top."""

from __future__ import annotations

from qa.retrieval import Hit
from qa.text import comparable
from qa.works_where import asked_verb, employer_first, implied_verb, names_employer


def test_a_question_that_asks_where_someone_works_names_its_verb() -> None:
    assert asked_verb("陈恺之前在哪里工作？") == "工作"
    assert asked_verb("陈恺在哪家公司工作？") == "工作"
    assert asked_verb("他在什么单位任职？") == "任职"


def test_other_questions_ask_something_else() -> None:
    assert asked_verb("陈恺在微软工作了多少年？") is None  # how long, not where
    assert asked_verb("云原生技术实践峰会在哪里举行？") is None  # where, but no employer
    assert asked_verb("DevOps 的工作重点转移到了哪里？") is None


QUESTION = comparable("灵雀云的创始团队之前在哪里工作？")


def test_a_sentence_names_an_employer_the_question_does_not() -> None:
    assert names_employer(comparable("他们都曾在微软 Azure 从事云计算领域的专业研究。"), QUESTION, ["他们"])
    which_company = comparable("陈恺在哪家公司工作？")
    assert names_employer(comparable("我见到了陈恺——灵雀云的 CTO。"), which_company, ["陈恺"])


def test_the_employer_the_question_names_is_no_answer() -> None:
    """灵雀云 is whose team is asked about, not where it worked before."""
    assert not names_employer(comparable("作为灵雀云的创始人之一的陈恺，我之前并没有直接接触过。"),
                              QUESTION, ["灵雀云", "陈恺"])


def test_the_employer_must_be_of_someone_the_question_asks_about() -> None:
    assert not names_employer(comparable("左玥曾在微软从事研究。"), comparable("陈恺在哪里工作？"), ["陈恺"])


PASSAGES = [
    (comparable("陈恺说，开源软件的商业版越多，获利的公司越多。"),),
    (comparable("滥觞始于云计算。"), comparable("陈恺曾在微软 Azure 从事研究。")),
    (comparable("我见到了陈恺——灵雀云的 CTO。"),),
]


def test_the_verb_counts_as_found_where_an_employer_is_named() -> None:
    assert implied_verb("陈恺在哪里工作？", ["陈恺", "工作"], PASSAGES) == ["", "工作", "工作"]
    assert implied_verb("陈恺在微软工作了多少年？", ["陈恺", "微软", "工作", "年"], PASSAGES) == ["", "", ""]


def test_the_first_passage_that_names_the_employer_comes_first() -> None:
    hits = [Hit(row=row, score=1.0 - row / 10) for row in range(4)]
    moved, implied = employer_first(hits, ["", "", "工作", "工作"])
    assert [h.row for h in moved] == [2, 0, 1, 3]
    assert [h.score for h in moved] == [1.0, 1.0, 0.9, 0.7]
    assert implied == ["工作", "", "", "工作"]


def test_nothing_moves_when_the_first_names_it_or_none_of_the_best_three_does() -> None:
    hits = [Hit(row=row, score=1.0 - row / 10) for row in range(4)]
    assert employer_first(hits, ["工作", "", "工作", ""]) == (hits, ["工作", "", "工作", ""])
    assert employer_first(hits, ["", "", "", "工作"]) == (hits, ["", "", "", "工作"])
