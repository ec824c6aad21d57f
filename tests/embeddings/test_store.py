"""embeddings.store: 8-bit vector files and FAISS search (exact and HNSW),
checked against numpy brute force."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from embeddings.base import l2_normalize
from embeddings.store import (
    MatrixWriter,
    Neighbours,
    VectorIndex,
    VectorMatrix,
)

DIM = 16
SIZE = 50


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    # the values the matrix stores (8-bit codes times their scales), so that
    # scores compare with the float32 oracle
    unit = l2_normalize(np.random.default_rng(7).normal(size=(SIZE, DIM)))
    return VectorMatrix.of(unit).get(slice(None))


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return l2_normalize(np.random.default_rng(8).normal(size=(5, DIM)))


def _oracle(vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    """Brute force: inner product with every vector, best first."""
    scores = vectors @ query
    rows = np.argsort(-scores, kind="stable")[: max(k, 0)]
    return [int(r) for r in rows], scores[rows]


def _index(vectors: np.ndarray, **kwargs) -> VectorIndex:
    return VectorIndex.build(VectorMatrix.of(vectors), **kwargs)


@pytest.mark.parametrize("k", [1, 3, 10, SIZE, SIZE + 1, 1000])
def test_exact_search_matches_numpy_brute_force(vectors: np.ndarray, queries: np.ndarray, k: int) -> None:
    index = _index(vectors)
    assert index.kind == "exact"
    for query in queries:
        found = index.search(query, k)
        rows, scores = _oracle(vectors, query, k)
        assert found.rows.tolist() == rows
        np.testing.assert_allclose(found.scores, scores, rtol=0, atol=1e-3)  # FAISS keeps float16


def test_hnsw_beyond_the_exact_size_finds_the_nearest(tmp_path: Path) -> None:
    many = l2_normalize(np.random.default_rng(9).normal(size=(3000, DIM)))
    index = _index(many, exact_up_to=1000)
    assert index.kind == "hnsw"
    index.save(tmp_path / "h.faiss")
    loaded = VectorIndex.load(tmp_path / "h.faiss")
    assert loaded.kind == "hnsw"
    recall = []
    for query in l2_normalize(np.random.default_rng(10).normal(size=(50, DIM))):
        expected, _ = _oracle(many, query, 10)
        recall.append(len(set(loaded.search(query, 10).rows.tolist()) & set(expected)) / 10)
    assert np.mean(recall) >= 0.95, np.mean(recall)


@pytest.mark.parametrize("k", [0, -1])
def test_search_with_no_k_returns_nothing(vectors: np.ndarray, queries: np.ndarray, k: int) -> None:
    assert len(_index(vectors).search(queries[0], k).rows) == 0


def test_search_k_larger_than_index_is_clamped_without_padding(vectors: np.ndarray) -> None:
    found = _index(vectors[:3]).search(vectors[0], 10)
    assert sorted(found.rows.tolist()) == [0, 1, 2]
    assert found.rows[0] == 0 and found.scores[0] == pytest.approx(float(vectors[0] @ vectors[0]), abs=1e-3)


def test_empty_index_returns_nothing() -> None:
    index = _index(np.zeros((0, DIM), dtype=np.float32))
    assert index.size == 0
    assert len(index.search(np.ones(DIM, dtype=np.float32), 5).rows) == 0


def test_faiss_padding_rows_are_dropped(vectors: np.ndarray) -> None:
    # An IVF index probing one of several lists returns fewer than k results
    # and pads with row -1; the wrapper must never pass those on.
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, 8, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors)
    ivf.nprobe = 1
    ivf.add(vectors)
    _, raw_rows = ivf.search(vectors[:1], SIZE)
    assert (raw_rows == -1).any()  # the situation the wrapper guards against does occur
    found = VectorIndex(ivf).search(vectors[0], SIZE)
    assert isinstance(found, Neighbours) and len(found.rows)
    assert ((found.rows >= 0) & (found.rows < SIZE)).all()
    assert len(found.rows) == len(found.scores) == int((raw_rows >= 0).sum())


def test_query_may_be_a_row_or_a_flat_vector(vectors: np.ndarray) -> None:
    index = _index(vectors)
    assert index.search(vectors[4], 3).rows.tolist() == index.search(vectors[4:5], 3).rows.tolist()
    assert index.search(vectors[4].astype(np.float64), 3).rows[0] == 4


def test_save_and_load_round_trip(tmp_path: Path, vectors: np.ndarray, queries: np.ndarray) -> None:
    index = _index(vectors)
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert loaded.size == SIZE
    for query in queries:
        assert loaded.search(query, 7).rows.tolist() == index.search(query, 7).rows.tolist()


def test_matrix_file_round_trip_in_chunks(tmp_path: Path) -> None:
    unit = l2_normalize(np.random.default_rng(3).normal(size=(SIZE, DIM)))
    with MatrixWriter(tmp_path / "v.i8", DIM) as writer:
        writer.write(unit[:20])
        writer.write(unit[20:])
    assert writer.size == SIZE
    assert (tmp_path / "v.i8").stat().st_size == SIZE * DIM  # one byte a value, and a scale a row
    assert (tmp_path / "v.i8.scales").stat().st_size == SIZE * 4
    matrix = VectorMatrix.open(tmp_path / "v.i8", DIM)
    assert (matrix.size, matrix.dim) == (SIZE, DIM)
    np.testing.assert_allclose(matrix.get(slice(None)), unit, atol=np.abs(unit).max() / 254 + 1e-7)
    np.testing.assert_array_equal(matrix.get(np.array([7, 3])), matrix.get(slice(None))[[7, 3]])
    np.testing.assert_array_equal(np.concatenate(list(matrix.chunks(16))), matrix.get(slice(None)))


def test_matrix_cosines_are_inner_products_within_a_thousandth(queries: np.ndarray) -> None:
    unit = l2_normalize(np.random.default_rng(4).normal(size=(200, DIM)))
    matrix = VectorMatrix.of(unit)
    rows = np.array([2, 9, 150])
    np.testing.assert_allclose(matrix.cosines(queries[0], rows), matrix.get(rows) @ queries[0], atol=1e-6)
    errors = np.abs(matrix.cosines(queries[0]) - unit @ queries[0])
    assert errors.mean() < 0.002 and errors.max() < 0.006, (errors.mean(), errors.max())


def test_matrix_of_an_empty_file(tmp_path: Path) -> None:
    MatrixWriter(tmp_path / "v.i8", DIM).close()
    assert VectorMatrix.open(tmp_path / "v.i8", DIM).size == 0


def test_matrix_file_of_partial_rows_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.i8").write_bytes(b"\0" * (DIM * 2 + 3))
    with pytest.raises(ValueError, match="not whole rows of 16 codes"):
        VectorMatrix.open(tmp_path / "v.i8", DIM)

