"""qa.sparse: BM25 built chunk by chunk, checked against bm25s's own indexer."""

from __future__ import annotations

import mmap
import random
from pathlib import Path

import bm25s
import numpy as np
import pytest

from qa.sparse import SparseBuilder, SparseIndex, idf, term_hash

WORDS = [f"w{i}" for i in range(300)] + ["龙井", "茶", "云原生"]


@pytest.fixture(scope="module")
def docs() -> list[list[str]]:
    rng = random.Random(3)
    return [[rng.choice(WORDS[: rng.randint(5, len(WORDS))]) for _ in range(rng.randint(1, 40))]
            for _ in range(500)]


def _build(folder: Path, docs: list[list[str]], chunk: int, run_entries: int) -> SparseIndex:
    builder = SparseBuilder(folder, run_entries=run_entries)
    for start in range(0, len(docs), chunk):
        builder.add(docs[start : start + chunk])
    builder.finish()
    return SparseIndex.load(folder)


@pytest.mark.parametrize(("chunk", "run_entries"), [(500, 10**9), (37, 500), (1, 1)],
                         ids=["one run", "several runs", "a run per passage"])
def test_scores_equal_those_of_bm25s_own_index(tmp_path: Path, docs: list[list[str]], chunk: int,
                                                run_entries: int) -> None:
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(docs, show_progress=False)
    index = _build(tmp_path, docs, chunk, run_entries)
    for terms in (["w1"], ["w3", "w200", "龙井"], WORDS[:40], ["茶", "茶"]):
        known = [t for t in terms if t in reference.vocab_dict]
        expected = reference.get_scores(known) if known else np.zeros(len(docs))
        # Posting scores are stored as float16 (sparse.POSTING_SCORE): at most 2^-11 off each.
        np.testing.assert_allclose(index.scores(terms), expected, rtol=2.0**-11, atol=1e-6)
    assert not (tmp_path / "runs").exists()  # the sorted runs are removed once merged


def test_unknown_terms_score_nothing(tmp_path: Path, docs: list[list[str]]) -> None:
    index = _build(tmp_path, docs, 100, 10**9)
    assert index.columns(["nowhere", "也没有"]) == []
    scores = index.scores(["nowhere"])
    assert scores.shape == (500,) and not scores.any()
    np.testing.assert_array_equal(index.scores(["w1", "nowhere"]), index.scores(["w1"]))


def test_document_frequency_counts_passages_not_occurrences(tmp_path: Path) -> None:
    index = _build(tmp_path, [["茶", "茶", "茶"], ["茶", "龙井"], ["云南"]], 2, 10**9)
    assert index.document_frequencies(["茶", "龙井", "咖啡"]) == [2, 1, 0]
    assert idf(2, 3) == pytest.approx(np.log1p((3 - 2 + 0.5) / 2.5))


def test_passages_without_terms_and_an_empty_index(tmp_path: Path) -> None:
    index = _build(tmp_path / "a", [[], ["茶"], []], 3, 10**9)
    np.testing.assert_array_equal(index.scores(["茶"]) > 0, [False, True, False])
    empty = _build(tmp_path / "b", [], 3, 10**9)
    assert empty.size == 0 and empty.columns(["茶"]) == []


def test_term_hashes_are_stable_across_processes() -> None:
    # Python's own hash() of a str changes from process to process; the index must not.
    assert term_hash("龙井") == 0x0BAC5C5133A0EA9A
    assert term_hash("龙井") != term_hash("龙井茶")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, docs: list[list[str]]) -> SparseIndex:
    return _build(tmp_path_factory.mktemp("sparse"), docs, 100, 10**9)


@pytest.mark.parametrize("budget", [10**9, 50, 1])
@pytest.mark.parametrize("terms", [["w1"], ["w3", "w200", "龙井", "nowhere"], WORDS[:40], ["茶"], []])
def test_scores_of_some_rows_equal_those_of_every_row(built: SparseIndex, terms: list[str],
                                                      budget: int) -> None:
    rows = np.array([0, 7, 499, 3, 250, 7])
    match = built.match(terms, budget)
    np.testing.assert_allclose(match.score_rows(rows), built.scores(terms)[rows], rtol=1e-6)


@pytest.mark.parametrize("terms", [["w1"], ["w3", "w200", "龙井", "nowhere"], WORDS[:40], []])
def test_scores_of_rows_read_from_the_postings_equal_those_of_every_row(built: SparseIndex,
                                                                        terms: list[str]) -> None:
    rows = np.array([0, 7, 499, 3, 250, 7])
    np.testing.assert_allclose(built.score_rows(terms, rows), built.scores(terms)[rows], rtol=1e-6)


@pytest.mark.parametrize("terms", [["w1"], ["w3", "w200"], WORDS[:40]])
def test_best_within_the_budget_is_the_top_of_all_scores(built: SparseIndex, terms: list[str]) -> None:
    scores = built.scores(terms)
    best = built.match(terms).best(10)
    assert (scores[best] > 0).all()
    np.testing.assert_allclose(scores[best], np.sort(scores)[::-1][: len(best)], rtol=1e-6)


def test_best_over_the_budget_counts_the_rarest_terms_only(built: SparseIndex) -> None:
    terms = ["w0", "w5", "w250"]  # w250 is in few passages, w0 in many
    frequencies = dict(zip(terms, built.document_frequencies(terms), strict=True))
    rarest = min(terms, key=frequencies.get)
    match = built.match(terms, budget=frequencies[rarest])
    assert len(match.common) == 2
    rare_scores = built.scores([rarest])
    best = match.best(10)
    assert set(best) <= set(np.flatnonzero(rare_scores))
    np.testing.assert_allclose(rare_scores[best], np.sort(rare_scores)[::-1][: len(best)], rtol=1e-6)


def test_the_files_are_plain_npy_read_memory_mapped(tmp_path: Path, docs: list[list[str]]) -> None:
    index = _build(tmp_path, docs, 100, 10**9)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "indptr.npy", "lengths.npy", "params.json", "rows.npy", "scores.npy", "terms.u64.npy"]
    arrays = {"scores.npy": index.data, "rows.npy": index.indices, "indptr.npy": index.indptr,
              "lengths.npy": index.lengths}
    for name, array in arrays.items():
        np.testing.assert_array_equal(array, np.load(tmp_path / name))  # numpy reads them as they are
        assert isinstance(array.base.obj, mmap.mmap) and not array.flags.writeable  # mapped, not copied


def test_document_frequency_within_a_range_of_rows(tmp_path: Path) -> None:
    index = _build(tmp_path, [["茶"], ["茶", "龙井"], ["云南"], ["茶"]], 2, 10**9)
    assert index.document_frequencies(["茶", "龙井", "咖啡"], (1, 3)) == [1, 1, 0]
    assert index.document_frequencies(["茶"], (0, 4)) == index.document_frequencies(["茶"]) == [3]
    assert index.document_frequencies(["茶"], (2, 3)) == [0]


def test_document_frequency_among_given_rows(built: SparseIndex, docs: list[list[str]]) -> None:
    within = np.array([3, 10, 11, 12, 200, 499])
    terms = ["w1", "w3", "茶", "nowhere"]
    expected = [sum(term in docs[row] for row in within) for term in terms]
    assert built.document_frequencies(terms, within) == expected
    run = np.arange(40, 90)  # consecutive rows: two searches a term
    assert built.document_frequencies(terms, run) == built.document_frequencies(terms, (40, 90))


@pytest.mark.parametrize("within", [np.arange(120, 160), np.array([0, 5, 9, 77, 78, 300, 498])],
                         ids=["an article", "scattered rows"])
@pytest.mark.parametrize("terms", [["w1"], ["w3", "w200", "龙井", "nowhere"], WORDS[:40], ["茶"]])
def test_scores_within_rows_are_those_of_an_index_of_them_alone(
        tmp_path: Path, built: SparseIndex, docs: list[list[str]], within: np.ndarray,
        terms: list[str]) -> None:
    alone = _build(tmp_path, [docs[row] for row in within], 100, 10**9)
    rows = within[[2, 0, 5, 2]]
    expected = alone.scores(terms)[np.searchsorted(within, rows)]
    # Both sides are read from float16 postings (sparse.POSTING_SCORE).
    np.testing.assert_allclose(built.score_rows(terms, rows, within), expected, rtol=2.0**-9, atol=1e-4)
    assert not np.allclose(built.score_rows(WORDS[:40], within), alone.scores(WORDS[:40]), rtol=0.01)


def test_an_index_without_lengths_rescales_the_idf_only(tmp_path: Path, docs: list[list[str]]) -> None:
    index = _build(tmp_path / "new", docs, 100, 10**9)
    old = _build(tmp_path / "old", docs, 100, 10**9)
    (tmp_path / "old" / "lengths.npy").unlink()  # as built before the lengths were kept
    old = SparseIndex.load(tmp_path / "old")
    assert old.lengths is None and index.lengths is not None
    within, terms = np.arange(120, 160), ["w3", "w200", "龙井"]
    ratio = [idf(df, len(within)) / idf(total, index.size) for df, total in
             zip(index.document_frequencies(terms, within), index.document_frequencies(terms), strict=True)]
    expected = sum(r * index.score_rows([t], within) for r, t in zip(ratio, terms, strict=True))
    np.testing.assert_allclose(old.score_rows(terms, within, within), expected, rtol=1e-5)
