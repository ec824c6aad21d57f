"""embeddings.store: exact FAISS search, checked against numpy brute force."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from embeddings.base import l2_normalize
from embeddings.store import VectorHit, VectorIndex, check_manifest, read_manifest, write_manifest
from qa.errors import IndexMismatchError

DIM = 16
SIZE = 50


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return l2_normalize(np.random.default_rng(7).normal(size=(SIZE, DIM)))


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return l2_normalize(np.random.default_rng(8).normal(size=(5, DIM)))


def _oracle(vectors: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Brute force: inner product with every vector, best first."""
    scores = vectors @ query
    rows = np.argsort(-scores, kind="stable")[: max(k, 0)]
    return [(int(r), float(scores[r])) for r in rows]


@pytest.mark.parametrize("k", [1, 3, 10, SIZE, SIZE + 1, 1000])
def test_search_matches_numpy_brute_force(vectors: np.ndarray, queries: np.ndarray, k: int) -> None:
    index = VectorIndex.build(vectors)
    for query in queries:
        hits = index.search(query, k)
        expected = _oracle(vectors, query, k)
        assert len(hits) == min(k, SIZE)
        assert [h.row for h in hits] == [row for row, _ in expected]
        np.testing.assert_allclose([h.score for h in hits], [s for _, s in expected], rtol=0, atol=1e-5)


@pytest.mark.parametrize("k", [0, -1])
def test_search_with_no_k_returns_nothing(vectors: np.ndarray, queries: np.ndarray, k: int) -> None:
    assert VectorIndex.build(vectors).search(queries[0], k) == []


def test_search_k_larger_than_index_is_clamped_without_padding(vectors: np.ndarray) -> None:
    index = VectorIndex.build(vectors[:3])
    hits = index.search(vectors[0], 10)
    assert sorted(h.row for h in hits) == [0, 1, 2]
    assert hits[0] == VectorHit(0, pytest.approx(1.0, abs=1e-5))


def test_empty_index_returns_nothing() -> None:
    index = VectorIndex.build(np.zeros((0, DIM), dtype=np.float32))
    assert index.size == 0
    assert index.dim == DIM
    assert index.search(np.ones(DIM, dtype=np.float32), 5) == []


def test_faiss_padding_rows_are_dropped(vectors: np.ndarray) -> None:
    # An IVF index probing one of several lists returns fewer than k results
    # and pads with row -1; the wrapper must never pass those on.
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, 8, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors)
    ivf.nprobe = 1
    with_ids = faiss.IndexIDMap(ivf)
    with_ids.add_with_ids(vectors, np.arange(SIZE, dtype=np.int64))
    _, raw_rows = with_ids.search(vectors[:1], SIZE)
    assert (raw_rows == -1).any()  # the situation the wrapper guards against does occur
    index = VectorIndex(with_ids)
    hits = index.search(vectors[0], SIZE)
    assert hits
    assert all(0 <= h.row < SIZE for h in hits)
    assert len(hits) == int((raw_rows >= 0).sum())


def test_query_may_be_a_row_or_a_flat_vector(vectors: np.ndarray) -> None:
    index = VectorIndex.build(vectors)
    assert index.search(vectors[4], 3) == index.search(vectors[4:5], 3)
    assert index.search(vectors[4].astype(np.float64), 3)[0].row == 4


def test_save_and_load_round_trip(tmp_path: Path, vectors: np.ndarray, queries: np.ndarray) -> None:
    index = VectorIndex.build(vectors)
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert (loaded.size, loaded.dim) == (SIZE, DIM)
    np.testing.assert_array_equal(loaded.vectors(), vectors)
    for query in queries:
        assert loaded.search(query, 7) == index.search(query, 7)


def test_vectors_returns_rows_in_order(vectors: np.ndarray) -> None:
    np.testing.assert_array_equal(VectorIndex.build(vectors).vectors(), vectors)


def test_manifest_round_trip(tmp_path: Path) -> None:
    manifest = {"model": "模型", "dim": 384, "settings": {"a": [1, 2]}}
    write_manifest(tmp_path / "manifest.json", manifest)
    assert read_manifest(tmp_path / "manifest.json") == manifest
    assert "模型" in (tmp_path / "manifest.json").read_text(encoding="utf-8")


def test_check_manifest_accepts_the_same_model() -> None:
    check_manifest({"model": "e5", "dim": 384}, "e5", 384, "qa index")


@pytest.mark.parametrize(
    ("model", "dim"),
    [("another-model", 384), ("e5", 768), ("another-model", 64)],
)
def test_check_manifest_refuses_another_model_or_dimension(model: str, dim: int) -> None:
    with pytest.raises(IndexMismatchError) as error:
        check_manifest({"model": "e5", "dim": 384}, model, dim, "qa index")
    assert str(error.value) == (
        f"the index was built with model 'e5' (384 dimensions) but the configured model is "
        f"{model!r} ({dim} dimensions). Rebuild it with `qa index`, or configure the model it was built with."
    )


def test_check_manifest_refuses_a_manifest_without_model() -> None:
    with pytest.raises(IndexMismatchError, match="`qa index`"):
        check_manifest({}, "e5", 384, "qa index")
