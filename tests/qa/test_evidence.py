"""qa.evidence: question words in passages (the answering sentence: test_extract).

Answerability itself is checked through the service (test_service, and
test_quality with the real model)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from qa.evidence import TermWeights, asked_kind_words, topic_words
from qa.runtime import build_index, open_index
from qa.service import QAService
from qa.settings import Settings

INTERVIEWS = Path(__file__).resolve().parent.parent / "fixtures" / "interviews"


@pytest.fixture(scope="module")
def weights(fixture_service: QAService) -> TermWeights:
    return TermWeights(fixture_service.index)


def test_versioned_names_are_kept_whole(weights: TermWeights) -> None:
    assert weights.words("ACP 3.0 是什么？") == ["acp3.0"]
    assert weights.words("Helm v3 有什么新功能")[0] == "helmv3"


def test_question_words_drop_stop_words(weights: TermWeights) -> None:
    assert weights.words("灵雀云有多少员工？") == ["灵雀云", "员工"]


def test_word_no_passage_holds_weighs_most(weights: TermWeights) -> None:
    assert weights.idf("员工") > weights.idf("龙井") > weights.idf("kubernetes")


@pytest.mark.parametrize(
    ("words", "text", "share"),
    [
        (["龙井"], "龙井茶", 1.0),
        (["员工"], "龙井茶", 0.0),
        ([], "龙井茶", 0.0),
    ],
)
def test_coverage_is_the_weighted_share_of_words_found(
    weights: TermWeights, words: list[str], text: str, share: float
) -> None:
    assert weights.coverage(words, text) == share


def test_coverage_weights_rare_words_more(weights: TermWeights) -> None:
    words = ["员工", "kubernetes"]
    rare, common = weights.idf("员工"), weights.idf("kubernetes")
    assert weights.coverage(words, "员工") == pytest.approx(rare / (rare + common))
    assert weights.coverage(words, "员工") > weights.coverage(words, "kubernetes") > 0


def test_english_question_over_chinese_articles_is_cross_lingual(fixture_service: QAService) -> None:
    index = fixture_service.index
    assert index.corpus_is_cjk
    assert index.query("What is Helm?", embed=False).cross_lingual
    assert not index.query("Helm 是什么？", embed=False).cross_lingual


def test_loose_coverage_gives_a_missing_word_half_credit_per_shared_character(weights: TermWeights) -> None:
    row = next(r for r, p in enumerate(weights._index.passages) if "龙井" in p.text)
    assert "龙茶" not in weights.text(row) and "茶" in weights.text(row)
    assert weights.loose_coverage(["龙井"], row) == 1.0
    assert weights.loose_coverage(["龙茶"], row) == pytest.approx(0.5)  # 2 of 2 characters, half credit
    assert weights.loose_coverage(["员工"], row) == 0.0
    assert weights.loose_coverage(["龙井", "员工"], row) == pytest.approx(
        weights.idf("龙井") / (weights.idf("龙井") + weights.idf("员工")))
    assert weights.loose_coverage([], row) == 0.0


def test_a_word_the_passage_implies_counts_as_found(weights: TermWeights) -> None:
    """`qa.works_where`: "曾在微软……" says where someone worked without 工作."""
    row = next(r for r, p in enumerate(weights._index.passages) if "龙井" in p.text)
    assert weights.loose_coverage(["龙井", "员工"], row, implied="员工") == 1.0
    assert weights.loose_coverage(["龙井", "员工"], row, implied="工作") < 1.0


def test_a_word_with_a_digit_inside_is_not_a_versioned_name(weights: TermWeights) -> None:
    # "K8s" is one word (Kubernetes), not the name "K" at version 8
    assert weights.words("k8s 赢了编排大战") == ["kubernetes", "赢", "编排", "大战"]


@pytest.mark.parametrize(("question", "words", "kinds"), [
    ("2004年的奧運會是在哪一個城市舉行的?", ["2004", "奥运会", "城市", "举行"], {"城市"}),
    ("灵雀云的总部在哪个城市？", ["灵雀云", "总部", "城市"], {"城市"}),
    ("盲點呈現為什麼樣的形狀?", ["盲点", "呈现", "形状"], {"形状"}),
    ("陈恺毕业于哪所大学？", ["陈恺", "毕业", "大学"], {"大学"}),
    ("城市里最高的楼是哪座？", ["城市", "最高", "楼"], set()),  # the subject, not the kind asked
    ("ACP 2.0 是什么？", ["acp 2.0"], set()),
])
def test_the_word_after_which_names_the_kind_of_answer(question: str, words: list[str],
                                                        kinds: set[str]) -> None:
    assert asked_kind_words(question, words) == kinds


@pytest.mark.parametrize(("question", "words", "topic"), [
    ("k8s 赢了编排大战靠的是啥", ["kubernetes", "赢", "编排", "大战", "靠"],
     ["kubernetes", "赢", "编排", "大战"]),
    ("项目失败是什么原因？", ["项目", "失败", "原因"], ["项目", "失败"]),
    ("灵雀云的产品分几层？", ["灵雀云", "产品", "几层"], ["灵雀云", "产品"]),
    ("灵雀云有多少员工？", ["灵雀云", "员工"], ["灵雀云", "员工"]),  # 多少 asks, 员工 is the topic
    ("原因？", ["原因"], ["原因"]),  # nothing else is left
])
def test_the_words_that_ask_are_not_topic_words(question: str, words: list[str], topic: list[str]) -> None:
    assert topic_words(question, words) == topic


def test_an_interviewees_own_words_hold_his_name(tmp_path_factory: pytest.TempPathFactory,
                                                 pytestconfig: pytest.Config) -> None:
    """林晓峰's "我们在 2019 年把核心引擎换成了 Flink" never says 林晓峰, yet
    it is what "林晓峰的团队把引擎换成了什么？" asks about: the passage's
    speaker counts as a word it holds. A narrator's passage gains nothing."""
    # HashingEmbedder of tests/conftest.py (see test_index.py for why not `from conftest import`)
    root = pytestconfig.pluginmanager.get_plugin(str(INTERVIEWS.parents[1] / "conftest.py"))
    hashing = root.HashingEmbedder
    tmp = tmp_path_factory.mktemp("interviews")
    settings = Settings(corpus_dir=INTERVIEWS, index_dir=tmp / "index", cache_dir=tmp / "cache")
    build_index(settings, hashing())
    weights = TermWeights(open_index(settings, hashing()))
    passages = weights._index.passages
    spoken = next(r for r in range(weights._index.size) if passages[r].text.startswith("我们在 2019 年"))
    assert passages[spoken].speaker == "林晓峰" and "林晓峰" not in passages[spoken].text
    assert weights.loose_coverage(["林晓峰", "flink"], spoken) == 1.0
    narrated = next(r for r in range(weights._index.size) if passages[r].speaker is None)
    assert "林晓峰" not in weights.text(narrated)


def test_a_title_word_weighs_halfway_to_its_weight_inside_the_article(fixture_service: QAService) -> None:
    # 茶 is in the tea interview's title (茶馆访谈) and in most of its paragraphs:
    # beside other articles it is rare, inside its own article it says little.
    index, weights = fixture_service.index, TermWeights(fixture_service.index)
    tea = next(row for row in range(index.size) if index.passages[row].article_id == "tea")
    start, end = index.article_rows(tea)
    assert index.passages[start].article_id == index.passages[end - 1].article_id == "tea"
    inside = math.log(1 + (end - start) / (index.document_frequencies(["茶"], (start, end))[0] + 0.5))
    title_word, other = weights.weights_in(["茶", "龙井"], tea)
    assert title_word == pytest.approx((weights.idf("茶") + inside) / 2)
    assert title_word < weights.idf("茶")
    assert other == weights.idf("龙井")  # not a word of the title
    cloud = next(row for row in range(index.size) if index.passages[row].article_id == "cloud-native")
    assert weights.weights_in(["茶"], cloud) == [weights.idf("茶")]  # not that article's title


def test_weights_in_a_scope_are_those_over_its_passages_alone(fixture_service: QAService) -> None:
    index, weights = fixture_service.index, TermWeights(fixture_service.index)
    assert weights.in_scope(None) is weights
    tea = next(row for row in range(index.size) if index.passages[row].article_id == "tea")
    start, end = index.article_rows(tea)
    scoped = weights.in_scope(np.arange(start, end))
    held = sum("茶" in weights.text(row) for row in range(start, end))
    assert scoped.idf("茶") == pytest.approx(math.log(1 + (end - start) / (held + 0.5)))
    assert scoped.idf("茶") < weights.idf("茶")  # in every other paragraph of the interview, rare beside
    assert scoped.idf("员工") == pytest.approx(math.log(1 + (end - start) / 0.5))  # held by none
    everywhere = index.document_frequencies(["茶"])[0]
    assert weights.idf("茶") == pytest.approx(math.log(1 + index.size / (everywhere + 0.5)))
    # a title word inside its own article weighs by the article alone
    assert scoped.weights_in(["茶"], tea) == [pytest.approx(scoped.idf("茶"))]
