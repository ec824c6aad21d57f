"""qa.service: the one call every client uses (fixture corpus, hashing embedder)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from qa.answer import Answer, Citation, Turn
from qa.citations import cited_url
from qa.errors import InvalidQuestionError, PassageNotFoundError
from qa.service import FOLLOW_UP_CHARS, QAService


def _ids(answer: Answer) -> list[str]:
    return [p.id for p in answer.passages]


# --- invalid input -----------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t　"])
def test_blank_question_is_refused(fixture_service: QAService, question: str) -> None:
    with pytest.raises(InvalidQuestionError) as error:
        fixture_service.ask(question)
    assert str(error.value).startswith("the question is empty")


def test_question_over_500_characters_is_refused(fixture_service: QAService) -> None:
    with pytest.raises(InvalidQuestionError) as error:
        fixture_service.ask("茶" * 501)
    assert str(error.value) == "the question is 501 characters long; the limit is 500. Shorten it."


def test_question_of_500_characters_after_trimming_is_accepted(fixture_service: QAService) -> None:
    answer = fixture_service.ask("  " + "龙井" * 250 + "  ")
    assert answer.question == "龙井" * 250
    assert answer.passages


@pytest.mark.parametrize("top_k", [0, 21, -1])
def test_top_k_out_of_range_is_refused(fixture_service: QAService, top_k: int) -> None:
    with pytest.raises(InvalidQuestionError) as error:
        fixture_service.ask("龙井产自哪里？", top_k=top_k)
    assert str(error.value) == f"top_k is {top_k}; it must be between 1 and 20"


@pytest.mark.parametrize(("top_k", "count"), [(1, 1), (3, 3), (None, 5), (20, 6)])
def test_top_k_limits_the_passages(fixture_service: QAService, top_k: int | None, count: int) -> None:
    # the fixture corpus has 6 passages; the default top_k is 5
    assert len(fixture_service.ask("龙井产自哪里？", top_k=top_k).passages) == count


# --- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "best"),
    [
        ("龙井产自哪里？", "tea#p1"),
        ("Helm 是什么？", "cloud-native#p2"),
        ("K8s 由谁维护？", "cloud-native#p1"),
        ("Istio 是什么？", "cloud-native#p3"),
        ("泡绿茶的水温是多少？", "tea#p3"),
    ],
)
def test_answerable_question_ranks_its_passage_first(
    fixture_service: QAService, question: str, best: str
) -> None:
    answer = fixture_service.ask(question)
    assert answer.answerable
    assert _ids(answer)[0] == best


def test_unanswerable_question_says_so(fixture_service: QAService) -> None:
    answer = fixture_service.ask("灵雀云有多少员工？")
    assert not answer.answerable
    assert answer.passages  # the nearest material is still returned


def test_passages_are_ranked_best_first(fixture_service: QAService) -> None:
    answer = fixture_service.ask("普洱茶怎么分类？", top_k=6)
    assert [p.rank for p in answer.passages] == [1, 2, 3, 4, 5, 6]
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)
    assert len(set(_ids(answer))) == 6


@pytest.mark.parametrize(
    "question", ["龙井产自哪里？", "Helm 是什么？", "灵雀云有多少员工？", "熟茶口感怎么样？"]
)
def test_highlights_are_spans_inside_each_passage(fixture_service: QAService, question: str) -> None:
    answer = fixture_service.ask(question, top_k=6)
    assert len(answer.passages) == 6  # the loop below checks every one of them
    for passage in answer.passages:
        assert passage.highlights
        for start, end in passage.highlights:
            assert 0 <= start < end <= len(passage.text)
        assert passage.highlights == sorted(passage.highlights)
        assert all(a[1] <= b[0] for a, b in pairwise(passage.highlights))


@pytest.mark.parametrize("question", ["龙井产自哪里？", "Helm 是什么？", "K8s 由谁维护？"])
def test_answer_text_is_the_highlighted_text_of_passage_one(
    fixture_service: QAService, question: str
) -> None:
    answer = fixture_service.ask(question)
    best = answer.passages[0]
    assert answer.answer is not None
    assert answer.answer.passage == 1
    assert answer.answer.text == "".join(best.text[s:e] for s, e in best.highlights)


def test_highlight_marks_the_answering_sentence(fixture_service: QAService) -> None:
    answer = fixture_service.ask("龙井产自哪里？")
    best = answer.passages[0]
    start, end = best.highlights[0]
    assert best.text[start:end] == "龙井是产自杭州西湖的绿茶，以色绿、香郁、味甘、形美四绝著称。"


# --- conversation -------------------------------------------------------------------------


def test_follow_up_with_pronoun_is_searched_with_previous_question(fixture_service: QAService) -> None:
    history = [Turn(role="user", content="龙井产自哪里？"), Turn(role="assistant", content="杭州西湖。")]
    follow_up = fixture_service.ask("它有什么特点？", history=history)
    alone = fixture_service.ask("它有什么特点？")
    assert follow_up.question == "它有什么特点？"
    assert _ids(follow_up)[0] == "tea#p1"
    assert _ids(alone) != _ids(follow_up)
    assert follow_up.answerable and not alone.answerable


def test_follow_up_uses_the_latest_user_turn(fixture_service: QAService) -> None:
    history = [
        Turn(role="user", content="Helm 是什么？"),
        Turn(role="assistant", content="包管理工具。"),
        Turn(role="user", content="普洱茶是什么？"),
        Turn(role="assistant", content="云南的茶。"),
    ]
    follow_up = fixture_service.ask("它怎么分类？", history=history)
    assert _ids(follow_up)[0] == "tea#p2"


def test_question_without_pronoun_ignores_history(fixture_service: QAService) -> None:
    history = [Turn(role="user", content="Helm 是什么？")]
    with_history = fixture_service.ask("龙井产自哪里？", history=history)
    assert _ids(with_history) == _ids(fixture_service.ask("龙井产自哪里？"))


@pytest.mark.parametrize(
    "question",
    ["泡绿茶的水温应该是多少？", "除了龙井还有其他绿茶吗？", "熟茶为何适合存放？因此口感如何？"],
    ids=["yinggai", "qita", "yinci"],
)
def test_pronoun_character_inside_a_word_is_not_a_follow_up(
    fixture_service: QAService, question: str
) -> None:
    # 该 in 应该, 其 in 其他, 此 in 因此 do not point back: the question stands alone.
    history = [Turn(role="user", content="Helm 是什么？")]
    assert _ids(fixture_service.ask(question, history=history)) == _ids(fixture_service.ask(question))


def test_history_without_user_turns_is_ignored(fixture_service: QAService) -> None:
    history = [Turn(role="assistant", content="龙井产自杭州。"), Turn(role="user", content="   ")]
    assert _ids(fixture_service.ask("它有什么用？", history=history)) == _ids(
        fixture_service.ask("它有什么用？")
    )


# --- cache ----------------------------------------------------------------------------------


def test_repeated_question_is_served_from_cache(fixture_service: QAService) -> None:
    question = "熟茶为什么适合长期存放？"  # asked by no other test: the cache is per service
    first = fixture_service.ask(question, top_k=2)
    again = fixture_service.ask(question, top_k=2)
    assert set(first.timings_ms) == {"embed", "search", "answer", "total"}
    assert set(again.timings_ms) == {"cache", "total"}
    assert again.timings_ms["cache"] == again.timings_ms["total"]
    assert again.model_dump(exclude={"timings_ms"}) == first.model_dump(exclude={"timings_ms"})


def test_forgotten_answers_are_computed_again(fixture_service: QAService) -> None:
    question = "生茶和熟茶有什么不同？"
    fixture_service.ask(question)
    fixture_service.forget_answers()
    assert "cache" not in fixture_service.ask(question).timings_ms


def test_other_top_k_is_not_served_from_cache(fixture_service: QAService) -> None:
    question = "渥堆发酵是什么？"
    fixture_service.ask(question, top_k=2)
    other = fixture_service.ask(question, top_k=3)
    assert "cache" not in other.timings_ms
    assert len(other.passages) == 3


# --- lookups and citations ---------------------------------------------------------------

TEA_P1 = Citation(
    article_id="tea",
    title="茶馆访谈",
    author="老张",
    date="2020-05-06",
    url="https://example.org/tea",
    article_url="https://example.org/tea",
    section="茶的种类",
    paragraph=1,
)


def test_citations_carry_article_and_place(fixture_service: QAService) -> None:
    answer = fixture_service.ask("龙井产自哪里？")
    assert answer.passages[0].citation == TEA_P1.model_copy(update={"url": cited_url(
        TEA_P1.url, "龙井是产自杭州西湖的绿茶，以色绿、香郁、味甘、形美四绝著称。")})
    helm = fixture_service.ask("Helm 是什么？").passages[0]
    assert helm.citation == Citation(
        article_id="cloud-native",
        title="云原生入门",
        author="小李",
        date="2021-03-04",
        url=cited_url("https://linux.cn/article-1-1.html", "Helm 是 Kubernetes 的包管理工具。"),
        article_url="https://linux.cn/article-1-1.html",
        section="什么是 Kubernetes",
        paragraph=2,
    )


def test_passage_by_id(fixture_service: QAService) -> None:
    record, citation = fixture_service.passage("tea#p1")
    assert record.id == "tea#p1"
    assert record.text.startswith("龙井是产自杭州西湖的绿茶")
    assert citation == TEA_P1


@pytest.mark.parametrize("passage_id", ["tea#p99", "nope", "", "tea"])
def test_unknown_passage_id_is_not_found(fixture_service: QAService, passage_id: str) -> None:
    with pytest.raises(PassageNotFoundError) as error:
        fixture_service.passage(passage_id)
    assert error.value.passage_id == passage_id
    assert str(error.value) == (
        f"no passage with id {passage_id!r}. Ids look like 'article-id#p3'; "
        "GET /api/articles lists the articles."
    )


def test_articles_lists_the_indexed_articles(fixture_service: QAService) -> None:
    articles = fixture_service.articles()
    assert [(a.id, a.title, a.author, a.date, a.url) for a in articles] == [
        ("cloud-native", "云原生入门", "小李", "2021-03-04", "https://linux.cn/article-1-1.html"),
        ("tea", "茶馆访谈", "老张", "2020-05-06", "https://example.org/tea"),
    ]
    assert articles[0].tags == ("云原生", "Kubernetes")


# --- what a request may cost ---------------------------------------------------------------


class RecordingEmbedder:
    """Records the texts the service embeds for its questions."""

    def __init__(self, embedder):
        self.inner, self.texts = embedder, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_query(self, text: str):
        self.texts.append(text)
        return self.inner.embed_query(text)


def test_a_follow_up_embeds_the_subject_of_its_history_not_the_history(fixture_service: QAService) -> None:
    service = QAService(fixture_service.index)
    recording = RecordingEmbedder(service.index.embedder)
    service.index = type(service.index)(**{**vars(service.index), "embedder": recording})
    long_turn = "龙井产自哪里？" + "很长的上文，说了很多别的事情。" * 260  # 3,907 characters
    service.ask("它有什么特点？", history=[Turn(role="user", content=long_turn)])
    [embedded] = recording.texts
    assert len(embedded) <= FOLLOW_UP_CHARS + 1 + len("它有什么特点？")
    assert embedded.startswith("龙井") and "它有什么特点" in embedded


@pytest.mark.parametrize(
    ("question", "history", "what"),
    [("\ud800 ACP", [], "the question"),
     ("它是什么？", [Turn.model_construct(role="user", content="ACP\udfff")], "history turn 0")],
    ids=["question", "history"],
)
def test_a_lone_surrogate_is_refused(fixture_service: QAService, question: str, history: list,
                                    what: str) -> None:
    with pytest.raises(InvalidQuestionError) as error:
        fixture_service.ask(question, history=history)
    assert str(error.value).startswith(f"{what} holds an invalid character (a lone surrogate, U+")
    assert str(error.value).endswith("): send valid Unicode text")
