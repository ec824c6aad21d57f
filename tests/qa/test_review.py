"""What editors review: grouping by wording, marks, and the export that `qa eval` reads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qa import evaluate
from qa.errors import PassageNotFoundError
from qa.questionlog import Entry, Mark, SqliteQuestionLog
from qa.review import (
    SIMILAR,
    MarkError,
    bigrams,
    eval_items,
    expect_phrase,
    export,
    group_misses,
    make_mark,
    question_key,
    similarity,
)
from qa.service import QAService


def entry(question: str, answerable: bool = False, vote=None, asked_at: float | None = None) -> Entry:
    return Entry(id=question, asked_at=asked_at or time.time(), client="api", question=question,
                 answerable=answerable, top_passage_id="a#p1", top_score=0.2, answer=None, latency_ms=1.0,
                 conversation_id=None, passage_ids=("a#p1", "a#p2"), vote=vote)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("ACP 2.0 是什么？", "acp2.0是什么", True),         # width, case, spaces, punctuation
    ("ACP 2.0 是什么？", "ＡＣＰ　２.０是什么?", True),    # full-width forms
    ("灵雀云有多少员工？", "灵雀云有多少名员工", True),     # one character more
    ("ACP 2.0 是什么？", "ACP 2.0 多少钱？", False),
    ("龙井产自哪里？", "普洱茶产自哪里？", False),
])
def test_similar_wordings_are_one_question(a, b, same):
    assert (similarity(bigrams(a), bigrams(b)) >= SIMILAR) is same


def test_groups_are_counted_and_ordered_by_count():
    entries = [entry("普洱茶产自哪里？"), entry("灵雀云有多少员工", vote="down", answerable=True),
               entry("灵雀云有多少员工？"), entry("灵雀云有多少名员工？")]

    groups = group_misses(entries)

    assert [(g.question, g.count, g.unanswered, g.down_votes) for g in groups] == [
        ("灵雀云有多少员工", 3, 2, 1), ("普洱茶产自哪里？", 1, 1, 0)]
    assert groups[0].wordings == ["灵雀云有多少员工", "灵雀云有多少员工？", "灵雀云有多少名员工？"]
    assert groups[0].passage_ids == ("a#p1", "a#p2")


def test_a_group_shows_the_mark_of_any_of_its_wordings():
    mark = Mark(question_key("灵雀云有多少名员工？"), "灵雀云有多少名员工？", "unanswerable")

    [group] = group_misses([entry("灵雀云有多少员工？"), entry("灵雀云有多少名员工？")], [mark])

    assert group.mark == mark


def test_passage_mark_takes_the_answering_sentence(fixture_service: QAService):
    mark = make_mark(fixture_service, "Helm 是什么？", "passage", "cloud-native#p2")

    assert mark.expect == "Helm 是 Kubernetes 的包管理工具。"
    record, _ = fixture_service.passage("cloud-native#p2")
    assert mark.expect in record.text


def test_passage_the_service_does_not_get_gives_its_whole_text(fixture_service: QAService):
    record, _ = fixture_service.passage("tea#p1")
    assert expect_phrase(fixture_service, "Helm 是什么？", "tea#p1") in (record.text, *[
        record.text[s:e] for s, e in record.sentences])


def test_passage_mark_needs_a_known_passage(fixture_service: QAService):
    with pytest.raises(MarkError, match="passage_id"):
        make_mark(fixture_service, "Helm 是什么？", "passage")
    with pytest.raises(PassageNotFoundError):
        make_mark(fixture_service, "Helm 是什么？", "passage", "nope#p1")


def test_eval_items_leave_ignored_questions_out():
    marks = [Mark("a", "Helm 是什么？", "passage", "cloud-native#p2", "Helm 是 Kubernetes 的包管理工具。"),
             Mark("b", "火星上有茶吗？", "unanswerable"), Mark("c", "asdf", "ignore")]

    assert eval_items(marks) == [
        {"question": "Helm 是什么？", "expect": ["Helm 是 Kubernetes 的包管理工具。"]},
        {"question": "火星上有茶吗？", "expect": []}]


def test_export_is_a_question_file_qa_eval_reads_and_counts(tmp_path: Path, fixture_service: QAService):
    log = SqliteQuestionLog(tmp_path / "q.sqlite3")
    log.mark(make_mark(fixture_service, "Helm 是什么？", "passage", "cloud-native#p2"))
    log.mark(make_mark(fixture_service, "火星上的天气怎么样？", "unanswerable"))
    log.mark(make_mark(fixture_service, "你好", "ignore"))

    assert export(log, tmp_path / "asked.yaml") == 2
    log.close()

    questions = evaluate.load_questions(tmp_path / "asked.yaml")
    metrics = evaluate.evaluate_questions(fixture_service, questions)
    assert (metrics["questions"], metrics["answerable_questions"]) == (2, 1)
    assert metrics["hit@1"] == 1.0  # the marked passage holds the expected phrase, and comes first
