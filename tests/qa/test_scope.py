"""qa.scope and the service's scope: which passages may answer a question."""

from __future__ import annotations

import numpy as np
import pytest

from qa.errors import InvalidQuestionError
from qa.records import ArticleInfo
from qa.scope import Scope, ScopeTable
from qa.service import QAService

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
