"""qa.scope and the service's scope: which passages may answer a question."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from qa.errors import InvalidQuestionError
from qa.records import ArticleInfo
from qa.runtime import build_index, open_index
from qa.scope import Scope, ScopeTable
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import FIXTURE_CORPUS, HashingEmbedder

TABLE = ScopeTable(
    [ArticleInfo("a", "A", None, "2019-11-11", None, ("k8s",)),
     ArticleInfo("b", "B", None, "2019-12", None, ("linux", "k8s")),
     ArticleInfo("c", "C", None, None, None)],
    np.array([0, 3, 5, 9]), ["陈恺", "老王"], np.array([0, 1, 0, -1, -1, -1, 1, -1, -1], dtype=np.int32))


@pytest.mark.parametrize(("scope", "rows"), [
    (Scope(articles=("b",)), [3, 4]),
    (Scope(date_from="2019-12-01"), [3, 4]),  # a month is in a range that starts inside it
    (Scope(date_to="2019-11"), [0, 1, 2]),
    (Scope(date_from="2019"), [0, 1, 2, 3, 4]),  # an undated article is in no range
    (Scope(tags=("linux",)), [3, 4]),
    (Scope(tags=("k8s",), speaker="陈恺"), [0, 2]),
    (Scope(speaker="老王"), [1, 6]),
])
def test_scope_rows(scope: Scope, rows: list[int]) -> None:
    assert TABLE.rows(scope).tolist() == rows


@pytest.mark.parametrize(("scope", "message"), [
    (Scope(articles=("nope",)), "no article with id 'nope' in the index: GET /api/articles lists the ids"),
    (Scope(date_from="2020"), "no article matches the scope (from 2020): widen it"),
    (Scope(speaker="张三"), "nobody called '张三' speaks in the indexed articles"),
    (Scope(articles=("b",), speaker="陈恺"), "陈恺 speaks in no passage of the articles in scope"),
])
def test_a_scope_that_matches_nothing_says_what_to_change(scope: Scope, message: str) -> None:
    with pytest.raises(InvalidQuestionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TABLE.rows(scope)


def test_an_article_scope_answers_from_that_article_only(fixture_service: QAService) -> None:
    answer = fixture_service.ask("普洱茶产于哪里？", scope=Scope(articles=("cloud-native",)))
    assert {p.citation.article_id for p in answer.passages} == {"cloud-native"}
    assert not answer.from_elsewhere


def test_an_article_asked_first_gives_way_when_it_does_not_answer(fixture_service: QAService) -> None:
    first = fixture_service.ask("普洱茶产于哪里？", article="tea")
    assert first.answerable and not first.from_elsewhere
    assert first.passages[0].citation.article_id == "tea"
    elsewhere = fixture_service.ask("普洱茶产于哪里？", article="cloud-native")
    assert elsewhere.answerable and elsewhere.from_elsewhere
    assert elsewhere.passages[0].citation.article_id == "tea"


@pytest.fixture(scope="module")
def tea_alone(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    """A service over an index of the tea interview alone."""
    tmp = tmp_path_factory.mktemp("tea-alone")
    shutil.copy(FIXTURE_CORPUS / "tea.md", tmp / "tea.md")
    settings = Settings(corpus_dir=tmp, index_dir=tmp / "index", cache_dir=tmp / "cache",
                        question_log=tmp / "questions.sqlite3")
    build_index(settings, HashingEmbedder())
    return QAService(open_index(settings, HashingEmbedder()))


@pytest.mark.parametrize("question", ["普洱茶产于哪里？", "泡绿茶的水温多少度？", "Kubernetes 是什么？",
                                      "茶馆访谈里的龙井产自哪里？", "明前龙井为什么珍贵",
                                      # glossed with the words the article holds (`qa.gloss`)
                                      "How hot should the water be for green tea?",
                                      "Why is Longjing picked before Qingming precious?"])
def test_a_question_within_an_article_is_answered_as_over_that_article_alone(
        fixture_service: QAService, tea_alone: QAService, question: str) -> None:
    # Beside the other articles 茶 is rare; inside the tea interview it is in
    # every paragraph. Scoped, the words weigh as in an index of the article alone.
    scoped = fixture_service.ask(question, scope=Scope(articles=("tea",)))
    alone = tea_alone.ask(question)
    assert [p.id for p in scoped.passages] == [p.id for p in alone.passages]
    assert [p.score for p in scoped.passages] == pytest.approx([p.score for p in alone.passages], abs=2e-3)
    assert scoped.answerable == alone.answerable
    assert [p.highlights for p in scoped.passages] == [p.highlights for p in alone.passages]


@pytest.mark.parametrize(("best_elsewhere", "from_elsewhere"), [("cloud-native", True), ("tea", False)])
def test_an_article_that_does_not_answer_gives_way_to_another_article_only(
        fixture_service: QAService, best_elsewhere: str, from_elsewhere: bool) -> None:
    # The whole index's answer to a question the article does not answer
    # may come from that article itself, its own names being rare beside the
    # others: that is no answer from elsewhere.
    cloud = Scope(articles=("cloud-native",))
    answers = {"tea": fixture_service.ask("普洱茶产于哪里？"),
               "cloud-native": fixture_service.ask("Kubernetes 是什么？", scope=cloud)}
    assert all(a.answerable and a.passages[0].citation.article_id == k for k, a in answers.items())
    service = QAService(fixture_service.index)

    def answer(question: str, search_text: str, top_k: int, scope: Scope):
        if scope.articles:  # within the article: no answer
            return answers["tea"].model_copy(update={"answerable": False, "answer": None})
        return answers[best_elsewhere]

    service._answer = answer
    asked = service.ask("普洱茶产于哪里？", article="tea")
    assert asked.answerable is from_elsewhere and asked.from_elsewhere is from_elsewhere
