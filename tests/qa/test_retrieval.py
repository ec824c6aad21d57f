"""qa.retrieval: BM25, phrase, dense and hybrid retrievers behind one interface."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import l2_normalize
from embeddings.store import VectorIndex, VectorMatrix
from qa.article_names import ArticleNames
from qa.retrieval import (
    ArticlePrior,
    ArticleTopics,
    BM25Retriever,
    DenseRetriever,
    Hit,
    HybridRetriever,
    PhraseRetriever,
    Query,
    asks_for_code,
    minmax,
    top_hits,
)
from qa.sparse import SparseBuilder, SparseIndex
from qa.terms import lexical_terms, phrase_terms, query_terms, quoted_spans
from qa.tokenize import Tokenizer
from qa.turn_ranking import TurnTable

# A four-document corpus with a known ranking (terms as the tokenizer would give them).
DOCS = [
    ["kubernetes", "容器", "编排"],
    ["helm", "kubernetes", "包管理", "工具"],
    ["龙井", "绿茶", "杭州"],
    ["普洱", "茶", "云南", "茶"],
]


def _bm25_oracle(docs: list[list[str]], terms: list[str], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """Lucene BM25, written out: idf · tf / (tf + k1 · (1 − b + b · |d| / avgdl))."""
    avgdl = sum(map(len, docs)) / len(docs)
    scores = np.zeros(len(docs))
    for row, doc in enumerate(docs):
        for term in set(terms):
            df = sum(term in d for d in docs)
            if df:
                idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                tf = doc.count(term)
                scores[row] += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl))
    return scores


def _sparse(docs: list[list[str]], folder: Path) -> SparseIndex:
    builder = SparseBuilder(folder)
    builder.add(docs)
    builder.finish()
    return SparseIndex.load(folder)


@pytest.fixture(scope="module")
def bm25(tmp_path_factory: pytest.TempPathFactory) -> BM25Retriever:
    return BM25Retriever(_sparse(DOCS, tmp_path_factory.mktemp("bm25")))


@pytest.mark.parametrize(
    ("terms", "ranking"),
    [
        (["kubernetes"], [0, 1]),  # shorter document first
        (["helm"], [1]),
        (["茶"], [3]),
        (["kubernetes", "编排"], [0, 1]),
        (["kubernetes", "helm"], [1, 0]),
        (["绿茶", "茶"], [3, 2]),  # same idf: 茶 twice beats 绿茶 once
    ],
)
def test_bm25_known_ranking(bm25: BM25Retriever, terms: list[str], ranking: list[int]) -> None:
    hits = bm25.search(Query("q", terms), 4)
    assert [h.row for h in hits if h.score > 0] == ranking


@pytest.mark.parametrize(
    "terms", [["kubernetes"], ["helm"], ["茶"], ["kubernetes", "编排"], ["绿茶", "茶", "云南"]]
)
def test_bm25_scores_equal_the_formula(bm25: BM25Retriever, terms: list[str]) -> None:
    # Posting scores are stored as float16 (sparse.POSTING_SCORE): at most 2^-11 off each.
    np.testing.assert_allclose(bm25.scores(Query("q", terms)), _bm25_oracle(DOCS, terms), rtol=2.0**-11)


@pytest.mark.parametrize("terms", [[], ["unknown"], ["没有", "的词"]])
def test_bm25_query_without_known_terms_scores_zero(bm25: BM25Retriever, terms: list[str]) -> None:
    scores = bm25.scores(Query("q", terms))
    assert scores.shape == (4,)
    assert not scores.any()
    assert [h.score for h in bm25.search(Query("q", terms), 2)] == [0.0, 0.0]


def test_bm25_unknown_terms_are_ignored(bm25: BM25Retriever) -> None:
    np.testing.assert_array_equal(bm25.scores(Query("q", ["茶", "unknown"])), bm25.scores(Query("q", ["茶"])))


def test_bm25_candidates_are_the_passages_holding_a_term_best_first(bm25: BM25Retriever) -> None:
    query = Query("q", ["kubernetes", "工具"])
    assert bm25.candidates(query, 4).tolist() == [1, 0]  # 2 and 3 hold neither term
    assert bm25.candidates(query, 1).tolist() == [1]
    np.testing.assert_array_equal(bm25.score_rows(query, np.array([3, 1])), bm25.scores(query)[[3, 1]])


def test_bm25_scores_are_computed_once_per_query(bm25: BM25Retriever) -> None:
    query = Query("q", ["茶"])
    assert bm25.scores(query) is bm25.scores(query)


# --- top_hits and minmax --------------------------------------------------------------


def test_top_hits_orders_best_first() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7], dtype=np.float32)
    assert top_hits(scores, 3) == [
        Hit(1, pytest.approx(0.9)),
        Hit(3, pytest.approx(0.7)),
        Hit(2, pytest.approx(0.5)),
    ]


@pytest.mark.parametrize(("k", "rows"), [(0, []), (-2, []), (1, [1]), (4, [1, 3, 2, 0]), (100, [1, 3, 2, 0])])
def test_top_hits_clamps_k(k: int, rows: list[int]) -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7], dtype=np.float32)
    assert [h.row for h in top_hits(scores, k)] == rows


def test_top_hits_of_no_scores_is_empty() -> None:
    assert top_hits(np.zeros(0, dtype=np.float32), 5) == []


def test_top_hits_returns_python_types() -> None:
    (hit,) = top_hits(np.array([0.25], dtype=np.float32), 1)
    assert type(hit.row) is int and type(hit.score) is float


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([2.0, 4.0, 3.0], [0.0, 1.0, 0.5]),
        ([-1.0, 1.0], [0.0, 1.0]),
        ([0.7, 0.7, 0.7], [0.0, 0.0, 0.0]),  # no spread: no information
        ([], []),
    ],
)
def test_minmax(scores: list[float], expected: list[float]) -> None:
    np.testing.assert_allclose(minmax(np.array(scores, dtype=np.float32)), expected)


# --- hybrid -------------------------------------------------------------------------------


class FixedScores:
    """A retriever whose scores are given: for hand-made fusion cases. Its
    candidates are its `named` best rows (all rows by default)."""

    reads_words = False

    def __init__(self, scores: list[float], named: int | None = None):
        self._scores = np.array(scores, dtype=np.float32)
        self.size = len(scores)
        self._named = named

    def candidates(self, query: Query, k: int, within: np.ndarray | None = None) -> np.ndarray:
        rows = np.argsort(-self._scores, kind="stable")[: self._named or self.size]
        return (rows if within is None else rows[np.isin(rows, within)])[:k]

    def score_rows(self, query: Query, rows: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        return self._scores[rows]

    def search(self, query: Query, k: int) -> list[Hit]:
        return top_hits(self._scores, k)


def _fused(hybrid: HybridRetriever, query: Query, exhaustive: bool = True) -> list[float]:
    """The hybrid's score of each row it scores, in row order."""
    hits = hybrid.search(query, 1000, exhaustive=exhaustive)
    return [h.score for h in sorted(hits, key=lambda h: h.row)]


def test_hybrid_is_weighted_sum_of_minmax_scores() -> None:
    lexical = FixedScores([0.0, 2.0, 4.0, 1.0])  # minmax → 0, .5, 1, .25
    dense = FixedScores([0.9, 0.7, 0.5, 0.8])  # minmax → 1, .5, 0, .75
    hybrid = HybridRetriever([(lexical, 0.25), (dense, 0.75)])
    query = Query("q", [])
    np.testing.assert_allclose(_fused(hybrid, query), [0.75, 0.5, 0.25, 0.625], rtol=1e-6)
    assert [h.row for h in hybrid.search(query, 4)] == [0, 3, 1, 2]
    even = HybridRetriever([(lexical, 0.5), (dense, 0.5)])
    np.testing.assert_allclose(_fused(even, query), [0.5, 0.5, 0.5, 0.5], rtol=1e-6)


def test_hybrid_of_three_parts() -> None:
    parts = [FixedScores([0.0, 2.0, 4.0]), FixedScores([1.0, 0.0, 0.0]), FixedScores([0.3, 0.2, 0.1])]
    hybrid = HybridRetriever(zip(parts, [0.4, 0.2, 0.4], strict=True))
    # minmax: [0, .5, 1], [1, 0, 0], [1, .5, 0]
    np.testing.assert_allclose(_fused(hybrid, Query("q", [])), [0.6, 0.4, 0.4], rtol=1e-6)


def test_hybrid_scores_only_the_union_of_the_candidates() -> None:
    first = FixedScores([5.0, 4.0, 0.0, 0.0, 1.0], named=2)  # names rows 0, 1
    second = FixedScores([0.0, 0.0, 0.0, 3.0, 2.0], named=1)  # names row 3
    hybrid = HybridRetriever([(first, 0.5), (second, 0.5)], candidates=10)
    query = Query("q", [])
    assert hybrid.rows(query).tolist() == [0, 1, 3]
    assert sorted(h.row for h in hybrid.search(query, 10)) == [0, 1, 3]
    # normalised over the union: first [5, 4, 0] → [1, .8, 0]; second [0, 0, 3] → [0, 0, 1]
    np.testing.assert_allclose(_fused(hybrid, query, exhaustive=False), [0.5, 0.4, 0.5], rtol=1e-6)
    assert hybrid.rows(query, exhaustive=True).tolist() == [0, 1, 2, 3, 4]


def test_hybrid_asks_each_part_for_its_number_of_candidates() -> None:
    part = FixedScores([0.1, 0.5, 0.3, 0.9])
    assert HybridRetriever([(part, 1.0)], candidates=2).rows(Query("q", [])).tolist() == [1, 3]


def test_hybrid_puts_an_answer_above_the_question_that_asks_it() -> None:
    # row 0 asks, row 1 answers it; only row 0 and row 2 are candidates
    part = FixedScores([1.0, 0.5, 0.7, 0.0], named=2)
    turns = TurnTable(np.array([True, False, False, False]), np.array([1, -1, -1, -1]))
    hybrid = HybridRetriever([(part, 1.0)], turns)
    assert hybrid.rows(Query("q", [])).tolist() == [0, 1, 2]  # the answer joins its question
    assert [h.row for h in hybrid.search(Query("q", []), 3)] == [1, 0, 2]


def test_cross_lingual_query_leaves_out_the_parts_that_read_words(bm25: BM25Retriever) -> None:
    dense = FixedScores([0.9, 0.7, 0.5, 0.8])  # minmax → 1, .5, 0, .75
    hybrid = HybridRetriever([(bm25, 0.5), (dense, 0.5)])
    query = Query("kubernetes", ["kubernetes"], cross_lingual=True)
    np.testing.assert_allclose(_fused(hybrid, query), [1.0, 0.5, 0.0, 0.75], rtol=1e-6)
    same_language = Query("kubernetes", ["kubernetes"])
    assert not np.allclose(_fused(hybrid, same_language), _fused(hybrid, query))


def test_hybrid_with_no_lexical_match_follows_dense() -> None:
    hybrid = HybridRetriever([(FixedScores([0, 0, 0]), 0.5), (FixedScores([0.2, 0.6, 0.4]), 0.5)])
    np.testing.assert_allclose(_fused(hybrid, Query("q", [])), [0.0, 0.5, 0.25])
    assert [h.row for h in hybrid.search(Query("q", []), 2)] == [1, 2]


# --- dense --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dense_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    passages = _stored(l2_normalize(rng.normal(size=(12, 8))))
    sentences = _stored(l2_normalize(rng.normal(size=(20, 8))))
    owners = np.sort(rng.choice(np.arange(9), size=20))  # passages 9–11 have no embedded sentence
    queries = l2_normalize(rng.normal(size=(6, 8)))
    return passages, sentences, owners, queries


def _stored(vectors: np.ndarray) -> np.ndarray:
    """Vectors as the index stores them (8-bit codes times a scale per row),
    so that the oracle sees the same numbers (storing them again changes nothing)."""
    return VectorMatrix.of(vectors).get(slice(None))


def _dense(passages: np.ndarray, sentences: np.ndarray, owners: np.ndarray, weight: float = 0.5,
           exact_up_to: int = 1000) -> DenseRetriever:
    start = np.searchsorted(owners, np.arange(len(passages) + 1))  # sentences are stored by passage
    matrix = VectorMatrix.of(passages)
    return DenseRetriever(matrix, VectorIndex.build(matrix, exact_up_to), VectorMatrix.of(sentences),
                          start, weight)


def _dense_oracle(
    passages: np.ndarray, sentences: np.ndarray, owners: np.ndarray, query: np.ndarray, weight: float
) -> np.ndarray:
    """(1 − w) · cos(q, passage) + w · max(cos(q, passage), cos(q, its best sentence))."""
    passage = passages @ query
    best = passage.copy()
    for s, row in enumerate(owners):
        best[row] = max(best[row], sentences[s] @ query)
    return (1 - weight) * passage + weight * best


@pytest.mark.parametrize("weight", [0.5, 0.3, 0.0, 1.0])
def test_dense_scores_equal_numpy_brute_force(dense_data, weight: float) -> None:
    passages, sentences, owners, queries = dense_data
    dense = _dense(passages, sentences, owners, weight)
    every = np.arange(12)
    for vector in queries:
        query = Query("q", [], vector)
        expected = _dense_oracle(passages, sentences, owners, vector, weight)
        np.testing.assert_allclose(dense.score_rows(query, every), expected, atol=1e-5)
        np.testing.assert_allclose(dense.score_rows(query, np.array([7, 2])), expected[[7, 2]], atol=1e-5)
        assert [h.row for h in dense.search(query, 5)] == list(np.argsort(-expected, kind="stable")[:5])


def test_dense_candidates_are_the_nearest_passages(dense_data) -> None:
    passages, sentences, owners, queries = dense_data
    dense = _dense(passages, sentences, owners)
    cosines = passages @ queries[2]
    assert dense.candidates(Query("q", [], queries[2]), 3).tolist() == list(np.argsort(-cosines)[:3])


def test_dense_sentence_cosines_are_those_of_the_passages_sentences(dense_data) -> None:
    passages, sentences, owners, queries = dense_data
    dense = _dense(passages, sentences, owners)
    query = Query("q", [], queries[0])
    for row, cosines in enumerate(dense.sentence_cosines(query, np.arange(12))):
        np.testing.assert_allclose(cosines, sentences[owners == row] @ queries[0], atol=1e-5)
    assert len(dense.sentence_cosines(query, np.array([10]))[0]) == 0


def test_dense_without_sentences_is_passage_cosine(dense_data) -> None:
    passages, _, _, queries = dense_data
    dense = _dense(passages, np.zeros((0, 8), dtype=np.float32), np.zeros(0, dtype=np.int64))
    np.testing.assert_allclose(dense.score_rows(Query("q", [], queries[1]), np.arange(12)),
                               passages @ queries[1], atol=1e-5)


def test_dense_needs_the_query_vector(dense_data) -> None:
    passages, sentences, owners, _ = dense_data
    with pytest.raises(ValueError, match="embed it first"):
        _dense(passages, sentences, owners).candidates(Query("q", ["词"]), 3)


def test_hybrid_of_real_parts_is_their_normalised_mix(dense_data, bm25: BM25Retriever) -> None:
    passages, sentences, owners, queries = dense_data
    dense = _dense(passages[:4], sentences[:0], owners[:0])
    query = Query("q", ["kubernetes", "茶"], queries[3])
    hybrid = HybridRetriever([(bm25, 0.4), (dense, 0.6)])
    expected = 0.4 * minmax(bm25.scores(query)) + 0.6 * minmax(passages[:4] @ queries[3])
    np.testing.assert_allclose(_fused(hybrid, query), expected, atol=1e-5)


# --- query terms ----------------------------------------------------------------------------


def test_lexical_terms_are_content_words_then_their_cjk_grams(tokenizer: Tokenizer) -> None:
    assert lexical_terms(tokenizer, "灵雀云的产品分几层？") == [
        "灵雀云",
        "产品",
        "分",
        "几层",
        "灵",
        "雀",
        "云",
        "灵雀",
        "雀云",  # inside 灵雀云
        "产",
        "品",
        "产品",  # inside 产品
        # 几层: 几 is a stop character, 层 alone makes no gram
    ]


def test_query_terms_are_distinct(tokenizer: Tokenizer) -> None:
    terms = query_terms(tokenizer, "灵雀云的产品分几层？灵雀云")
    assert terms == ["灵雀云", "产品", "分", "几层", "灵", "雀", "云", "灵雀", "雀云", "产", "品"]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("K8s 是什么？", ["kubernetes"]),
        ("What is the ACP?", ["acp"]),
        ("的了吗？", []),
        ("靈雀雲", ["灵雀云", "灵", "雀", "云", "灵雀", "雀云"]),
    ],
)
def test_query_terms_drop_question_words(tokenizer: Tokenizer, text: str, terms: list[str]) -> None:
    assert query_terms(tokenizer, text) == terms


# --- phrases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("最早的技术", ["最早", "早的", "的技", "技术", "最早的", "早的技", "的技术"]),
        # A Latin word is one unit; quotes end a run, so a quoted name is a
        # phrase of its own.
        ("什么是“后 Kubernetes”？", ["什么", "么是", "什么是", "后kubernetes"]),
        ("ACP 2.0 和 Kube-OVN", ["acp2.0", "2.0和", "和kube-ovn", "acp2.0和", "2.0和kube-ovn"]),
        # White space separates Latin words: "container platform" is a phrase of two.
        ("Alauda Container Platform", ["alaudacontainer", "containerplatform", "alaudacontainerplatform"]),
        # Punctuation ends a run; traditional and full-width forms are normalised.
        ("雲原生，ＤｅｖＯｐｓ", ["云原", "原生", "云原生"]),
        ("", []),
        ("？！", []),
    ],
)
def test_phrase_terms(text: str, terms: list[str]) -> None:
    assert phrase_terms(text) == terms


# The same characters: in the question's order, scattered, absent.
PHRASE_DOCS = ["灵雀云最早的技术选型是 Mesos 技术栈。", "技术选型最早是灵雀云的。", "今天的天气很好。"]


def test_phrase_retriever_prefers_the_words_in_question_order(tmp_path: Path) -> None:
    phrases = PhraseRetriever(_sparse([phrase_terms(d) for d in PHRASE_DOCS], tmp_path))
    query = Query("灵雀云最早的技术选型是什么？", [], phrases=phrase_terms("灵雀云最早的技术选型是什么？"))
    scores = phrases.scores(query)
    assert [h.row for h in phrases.search(query, 3)] == [0, 1, 2]
    assert scores[0] > 1.5 * scores[1] > 0
    assert scores[2] == 0


def test_phrase_retriever_rescores_the_other_parts_candidates(tmp_path: Path) -> None:
    """It names no candidates (the words part finds the passages that hold
    the question's phrases) and scores any row exactly as full scoring does."""
    phrases = PhraseRetriever(_sparse([phrase_terms(d) for d in PHRASE_DOCS], tmp_path))
    query = Query("灵雀云最早的技术选型是什么？", [], phrases=phrase_terms("灵雀云最早的技术选型是什么？"))
    assert phrases.candidates(query, 5).tolist() == []
    rows = np.array([2, 0, 1, 0])
    np.testing.assert_allclose(phrases.score_rows(query, rows), phrases.scores(query)[rows], rtol=1e-6)


def test_phrase_retriever_of_passages_without_phrases(tmp_path: Path) -> None:
    phrases = PhraseRetriever(_sparse([phrase_terms("ls"), phrase_terms("！")], tmp_path))  # one unit, none
    query = Query("ls", [], phrases=phrase_terms("ls -la 命令"))
    np.testing.assert_allclose(phrases.scores(query), [0.0, 0.0])
    assert phrases.candidates(query, 5).tolist() == []


def test_passages_of_code_alone_are_left_out_unless_the_question_asks_for_code() -> None:
    part = FixedScores([0.9, 0.5, 0.7])
    hybrid = HybridRetriever([(part, 1.0)], code_only=np.array([True, False, False]))
    assert [h.row for h in hybrid.search(Query("ss 显示什么？", []), 3)] == [2, 1]
    assert [h.row for h in hybrid.search(Query("用什么命令？", [], wants_code=True), 3)] == [0, 2, 1]
    only_code = HybridRetriever([(part, 1.0)], code_only=np.array([True, True, True]))
    assert len(only_code.search(Query("q", []), 3)) == 3  # nothing else to show


@pytest.mark.parametrize(("question", "wants"), [
    ("用什么命令列出端口？", True), ("How do I list open ports?", True), ("如何安装 autoplank？", True),
    ("What does the --force option do?", True), ("autoplank 是用什么语言写的？", False),
    ("Why did Microsoft ignore Linux?", False), ("ACP 2.0 是什么？", False),
])
def test_asks_for_code(question: str, wants: bool) -> None:
    assert asks_for_code(question) is wants


def test_a_passage_inherits_its_articles_title_words(tmp_path: Path) -> None:
    # Article 0 ("灵雀云专访", rows 0-2), then an archive where 容器 and 看成 are
    # common. Inside article 0 the rare title word 灵雀云 no longer picks the
    # paragraph; across articles it still counts.
    docs = [["灵雀云", "灵雀云", "产品"], ["容器", "看成", "工具"], ["灵雀云", "客户"],
            *[["容器", "看成", f"话题{i}"] for i in range(6)]]
    index = _sparse(docs, tmp_path)
    topics = ArticleTopics(np.array([0, 3]), ["灵雀云专访", "其他文章"])
    query = Query("灵雀云把容器看成什么？", ["灵雀云", "容器", "看成"])
    plain, inherited = BM25Retriever(index), BM25Retriever(index, topics)
    rows = np.arange(len(docs))
    assert int(np.argmax(plain.score_rows(query, rows)[:3])) == 0  # the row that repeats the name
    scores = inherited.score_rows(query, rows)
    assert int(np.argmax(scores[:3])) == 1  # the row about the question's own words
    assert scores[1] > scores[3]  # the same words, in the article the title names


# Article 0 (rows 0-2) is about 陈恺, and its answer (row 2) does not name him;
# article 1 (row 3) holds the question's common words, article 2 (row 4) the
# same words as the answer; articles 3-9 are others, all holding 其他.
ARCHIVE = [["陈恺", "灵雀云"], ["陈恺", "创业"], ["之前", "微软"], ["之前", "工作", "公司"], ["之前", "微软"],
           *[[f"话题{i}", "其他"] for i in range(7)]]


@pytest.fixture()
def prior(tmp_path: Path) -> ArticlePrior:
    return ArticlePrior(_sparse(ARCHIVE, tmp_path), np.array([0, *range(3, 12)]))


def test_article_prior_points_to_the_article_that_names_the_subject(prior: ArticlePrior) -> None:
    scores = prior.scores(Query("陈恺之前在哪里工作？", ["陈恺", "之前", "工作"]))
    assert int(np.argmax(scores)) == 0
    assert scores[0] > scores[1] > 0
    assert not scores[3:].any()
    np.testing.assert_allclose(prior.weights(Query("q", ["陈恺", "之前", "工作"]), np.array([2, 3, 5])),
                               scores[[0, 1, 3]] / scores[0])


def test_a_word_most_articles_hold_names_none(prior: ArticlePrior) -> None:
    assert not prior.scores(Query("其他", ["其他"])).any()


def test_a_cross_lingual_question_counts_its_names_and_the_renderings_of_its_words(tmp_path: Path) -> None:
    docs = [["freedos", "项目"], ["宣布", "日期"], ["before", "work"], *[[f"话题{i}"] for i in range(6)]]
    prior = ArticlePrior(_sparse(docs, tmp_path), np.arange(9))
    english = Query("When was FreeDOS announced before work?", ["freedos", "announced", "before", "work"],
                    cross_lingual=True)
    scores = prior.scores(english)
    assert int(np.argmax(scores)) == 0  # the name, as written
    assert 0 < scores[1] < scores[0]  # 宣布 renders "announced", one of its several renderings
    assert scores[2] == 0  # common English words name no article: code and untranslated lines hold them


@pytest.mark.parametrize(("question", "spans"), [
    ("什么是“后 Kubernetes”？", ["后 Kubernetes"]),
    ("《大众电子》在哪一期推出了 Altair？", ["大众电子"]),
    ("「小米」和\"ACP\"是什么", ["小米", "ACP"]),
    ("“a”不算", []),  # one character cites nothing
    ("Kubernetes 是什么？", []),
])
def test_quoted_spans(question: str, spans: list[str]) -> None:
    assert quoted_spans(question) == spans


def test_a_quoted_coinage_names_the_article_that_coins_it(tmp_path: Path) -> None:
    # 后 and kubernetes are in every article; only the interview holds them as one phrase.
    words = [["后", "kubernetes"]] * 10
    phrases = [["后kubernetes"], *[["kubernetes后"]] * 9]
    prior = ArticlePrior(_sparse(words, tmp_path / "words"), np.arange(10),
                         phrases=_sparse(phrases, tmp_path / "phrases"))
    query = Query("什么是“后 Kubernetes”？", ["后", "kubernetes"])
    assert prior.named(query) == 0
    assert ArticlePrior(prior.index, np.arange(10)).named(query) is None  # without the phrase index


def test_an_english_question_finds_an_article_by_its_english_name(tmp_path: Path) -> None:
    docs = [["灵雀云", "cto"], ["fugue", "cto"], *[[f"话题{i}"] for i in range(8)]]
    names = ArticleNames.of([{"alauda", "interview"}, {"emacs", "cto"}, *[{f"topic{i}"} for i in range(8)]])
    prior = ArticlePrior(_sparse(docs, tmp_path), np.arange(10), names)
    english = Query("Who is the CTO of Alauda?", ["cto", "alauda"], cross_lingual=True)
    scores = prior.scores(english)
    # CTO is in both articles' text (and in the second's name: counted once);
    # Alauda only in the first's name.
    assert int(np.argmax(scores)) == 0
    assert scores[0] > scores[1] > 0
    without_names = ArticlePrior(prior.index, np.arange(10)).scores(english)
    assert without_names[0] == without_names[1]
    assert prior.named(english) == 0


def test_an_english_questions_names_add_up(tmp_path: Path) -> None:
    docs = [["freedos", "项目"], ["altair", "电脑"], *[[f"话题{i}"] for i in range(8)]]
    prior = ArticlePrior(_sparse(docs, tmp_path), np.arange(10), ArticleNames.of([set()] * 10))

    def scores(text: str, terms: list[str]) -> np.ndarray:
        return prior.scores(Query(text, terms, cross_lingual=True))

    both = scores("Did FreeDOS run on the Altair?", ["freedos", "altair"])
    apart = scores("Did FreeDOS run?", ["freedos"]) + scores("On the Altair?", ["altair"])
    np.testing.assert_allclose(both, apart)
    assert both[0] == both[1] > 0


def test_the_article_a_question_names_above_all_others(prior: ArticlePrior) -> None:
    assert prior.named(Query("陈恺是谁？", ["陈恺"])) == 0
    assert prior.named(Query("之前", ["之前"])) is None  # three articles alike: none named
    assert prior.named(Query("其他", ["其他"])) is None  # a word most articles hold


def test_the_best_articles_give_all_their_passages_as_candidates(prior: ArticlePrior) -> None:
    query = Query("陈恺之前在哪里工作？", ["陈恺", "之前", "工作"])
    rows = prior.leading_rows(query).tolist()
    # Whole: the articles of 陈恺 and of 工作; 之前 is in 3 of the 10 articles,
    # past ARTICLE_WORD_SHARE, and names none, so article 2 (row 4) is no candidate.
    assert rows == [0, 1, 2, 3]
    assert len(prior.leading_rows(Query("q", ["陈恺"]))) == 3
    assert prior.leading_rows(Query("q", ["unknown"])).tolist() == []


def test_the_prior_lifts_the_named_articles_answer_over_the_same_words_elsewhere(prior: ArticlePrior) -> None:
    bm25 = BM25Retriever(prior.index)
    query = Query("陈恺之前在哪里工作？", ["陈恺", "之前", "工作"])
    plain = bm25.score_rows(query, np.array([2, 4]))
    assert plain[0] == plain[1]  # the answer and its twin in article 2
    scores = {h.row: h.score for h in HybridRetriever([(bm25, 1.0)], articles=prior).search(query, 5)}
    assert scores[2] > scores[4]
    assert HybridRetriever([(bm25, 1.0)], candidates=1, articles=prior).rows(query).tolist() == [0, 1, 2, 3]


def test_with_one_article_the_prior_changes_no_ranking(tmp_path: Path) -> None:
    index = _sparse(DOCS, tmp_path)
    bm25 = BM25Retriever(index)
    query = Query("q", ["kubernetes", "工具"])
    with_prior = HybridRetriever([(bm25, 1.0)], articles=ArticlePrior(index, np.array([0])))
    without = HybridRetriever([(bm25, 1.0)])
    assert [h.row for h in with_prior.search(query, 4)] == [h.row for h in without.search(query, 4)]


def test_within_one_article_the_prior_is_nothing(prior: ArticlePrior) -> None:
    # An index of that article alone: no word names fewer than all its articles.
    query = Query("陈恺之前在哪里工作？", ["陈恺", "之前", "工作"])
    article = np.array([0, 1, 2])
    assert prior.weights(query, article).all()  # beside the archive, 陈恺 names it
    assert not prior.weights(query, article, within=article).any()
    assert prior.leading_rows(query, within=article).tolist() == []
    assert not prior.weights(query, np.array([0, 3]), within=np.array([0, 3])).any()  # two: the same
    six = np.arange(8)  # six articles: a word in one of them names it
    np.testing.assert_allclose(prior.weights(query, six, within=six), [1, 1, 1, 0.75, 0, 0, 0, 0])
    assert prior.leading_rows(query, within=six[1:]).tolist() == [1, 2, 3]


def test_within_a_scope_each_part_names_its_best_of_the_scope(tmp_path: Path, dense_data) -> None:
    bm25 = BM25Retriever(_sparse(ARCHIVE, tmp_path))
    query = Query("陈恺之前在哪里工作？", ["陈恺", "之前", "工作"])
    within = np.array([1, 2, 3, 6])
    named = bm25.candidates(query, 2, within)
    scores = bm25.score_rows(query, within, within)
    assert named.tolist() == within[np.argsort(-scores, kind="stable")][:2].tolist()
    assert set(bm25.candidates(query, 10, within)) == {1, 2, 3}  # row 6 holds none of the words
    passages, sentences, owners, queries = dense_data
    dense = _dense(passages, sentences, owners)
    rows = np.array([0, 2, 3, 5, 7, 8, 10, 11])
    dense_query = Query("q", [], queries[0])
    best = dense.candidates(dense_query, 4, rows)
    assert set(best) <= set(rows) and len(best) == 4
    assert dense.score_rows(dense_query, best).min() >= np.sort(dense.score_rows(dense_query, rows))[-4]


def test_a_small_scope_ranks_as_an_index_of_its_passages_alone(tmp_path: Path) -> None:
    # The interview (rows 0-3) names 灵雀云 in every paragraph; beside an
    # archive that never does, 灵雀云 outweighs 客户 and the paragraph that
    # repeats the name would lead. Within the interview it ranks as alone.
    interview = [["灵雀云", "灵雀云", "产品"], ["灵雀云", "客户", "产品"],
                 ["灵雀云", "团队"], ["灵雀云", "融资"]]
    archive = interview + [["客户", f"话题{i}"] for i in range(8)]
    query = Query("灵雀云的客户", ["灵雀云", "客户"])
    whole = _sparse(archive, tmp_path / "whole")
    alone = _sparse(interview, tmp_path / "alone")
    hybrid = HybridRetriever([(BM25Retriever(whole), 1.0)],
                             articles=ArticlePrior(whole, np.array([0, *range(4, 12)])))
    by_itself = HybridRetriever([(BM25Retriever(alone), 1.0)], articles=ArticlePrior(alone, np.array([0])))
    scoped = hybrid.search(query, 4, within=np.arange(4))
    expected = by_itself.search(query, 4)
    assert [h.row for h in scoped] == [h.row for h in expected] and expected[0].row == 1
    np.testing.assert_allclose([h.score for h in scoped], [h.score for h in expected], atol=1e-3)

