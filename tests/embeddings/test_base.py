"""embeddings.base: the embedder interface and L2 normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.base import Embedder, Kind, l2_normalize


class Constant(Embedder):
    """Unnormalised vectors, different for queries and documents."""

    model_id = "constant"
    dim = 2

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        row = [3.0, 4.0] if kind == "query" else [0.0, 2.0]
        return np.array([row] * len(texts), dtype=np.float64)


def test_l2_normalize_gives_unit_rows() -> None:
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.5]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 1.0]], rtol=1e-6)


def test_l2_normalize_leaves_zero_rows_zero() -> None:
    out = l2_normalize(np.zeros((2, 3)))
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out, np.zeros((2, 3)))


def test_l2_normalize_output_is_contiguous_float32_matrix() -> None:
    strided = np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2]
    out = l2_normalize(strided)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    assert l2_normalize(np.array([3.0, 4.0])).shape == (1, 2)


def test_embed_query_and_documents_are_normalised_separately() -> None:
    embedder = Constant()
    np.testing.assert_allclose(embedder.embed_query("q"), [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(embedder.embed_documents(["a", "b"]), [[0.0, 1.0], [0.0, 1.0]])
    assert embedder.embed_query("q").shape == (2,)


def test_no_documents_give_an_empty_matrix() -> None:
    empty = Constant().embed_documents([])
    assert empty.shape == (0, 2) and empty.dtype == np.float32


def test_encode_is_the_one_required_method() -> None:
    class Incomplete(Embedder):
        model_id, dim = "x", 1

    with pytest.raises(TypeError, match="encode"):
        Incomplete()  # type: ignore[abstract]
