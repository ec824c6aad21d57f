"""embeddings.cache: document vectors cached by model and text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.base import Embedder, Kind
from embeddings.cache import EmbeddingCache, embed_with_cache


class CountingEmbedder(Embedder):
    """Wraps an embedder and records every text it is asked to encode."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.model_id, self.dim = inner.model_id, inner.dim
        self.batches: list[list[str]] = []

    @property
    def texts(self) -> list[str]:
        return [t for batch in self.batches for t in batch]

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        self.batches.append(list(texts))
        return self.inner.encode(texts, kind)


@pytest.fixture
def embedder(pytestconfig: pytest.Config) -> CountingEmbedder:
    # The HashingEmbedder of tests/conftest.py, taken from the registered
    # plugin: `from conftest import` would get whichever conftest.py pytest
    # imported last (tests/api has one too).
    root = pytestconfig.pluginmanager.get_plugin(str(Path(__file__).parents[1] / "conftest.py"))
    return CountingEmbedder(root.HashingEmbedder())


@pytest.fixture
def cache(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite")
    yield cache
    cache.close()


TEXTS = ["灵雀云是做什么的", "ACP 2.0 是什么", "龙井产自杭州", "普洱茶产于云南"]


def test_put_and_get_round_trip(cache: EmbeddingCache) -> None:
    vector = np.arange(4, dtype=np.float32)
    cache.put({"a": vector})
    found = cache.get(["a", "missing"])
    assert list(found) == ["a"]
    np.testing.assert_array_equal(found["a"], vector)
    assert found["a"].dtype == np.float32


def test_cache_persists_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "embeddings.sqlite"
    first = EmbeddingCache(path)
    first.put({"k": np.ones(3, dtype=np.float32)})
    first.close()
    again = EmbeddingCache(path)
    np.testing.assert_array_equal(again.get(["k"])["k"], np.ones(3, dtype=np.float32))
    again.close()


def test_key_depends_on_model_and_text() -> None:
    key = EmbeddingCache.key("m", "文本")
    assert key == EmbeddingCache.key("m", "文本")
    assert key != EmbeddingCache.key("other", "文本")
    assert key != EmbeddingCache.key("m", "文本 ")


def test_get_more_keys_than_sqlite_binds(cache: EmbeddingCache) -> None:
    items = {f"k{i}": np.full(2, i, dtype=np.float32) for i in range(1200)}
    cache.put(items)
    found = cache.get(list(items))
    assert len(found) == 1200
    assert found["k1199"][0] == 1199


def test_first_embedding_computes_every_distinct_text(
    cache: EmbeddingCache, embedder: CountingEmbedder
) -> None:
    vectors, computed = embed_with_cache(embedder, TEXTS + TEXTS[:2], cache)
    assert computed == 4
    assert sorted(embedder.texts) == sorted(TEXTS)  # duplicates encoded once
    assert vectors.shape == (6, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors[4:], vectors[:2])


def test_second_embedding_computes_nothing(cache: EmbeddingCache, embedder: CountingEmbedder) -> None:
    first, _ = embed_with_cache(embedder, TEXTS, cache)
    embedder.batches.clear()
    again, computed = embed_with_cache(embedder, TEXTS, cache)
    assert computed == 0
    assert embedder.texts == []
    np.testing.assert_array_equal(again, first)


def test_only_new_texts_are_computed(cache: EmbeddingCache, embedder: CountingEmbedder) -> None:
    embed_with_cache(embedder, TEXTS, cache)
    embedder.batches.clear()
    vectors, computed = embed_with_cache(embedder, [*TEXTS, "新文章的一段话"], cache)
    assert computed == 1
    assert embedder.texts == ["新文章的一段话"]
    np.testing.assert_array_equal(vectors[-1], embedder.inner.embed_documents(["新文章的一段话"])[0])


def test_vectors_of_another_model_are_not_reused(cache: EmbeddingCache, embedder: CountingEmbedder) -> None:
    embed_with_cache(embedder, TEXTS, cache)
    other = CountingEmbedder(embedder.inner)
    other.model_id = "another-model"
    _, computed = embed_with_cache(other, TEXTS, cache)
    assert computed == 4


def test_without_cache_everything_is_computed(embedder: CountingEmbedder) -> None:
    embed_with_cache(embedder, TEXTS, None)
    vectors, computed = embed_with_cache(embedder, TEXTS, None)
    assert computed == 4
    assert len(embedder.texts) == 8
    np.testing.assert_array_equal(vectors, embedder.inner.embed_documents(TEXTS))


def test_no_texts_gives_an_empty_matrix(cache: EmbeddingCache, embedder: CountingEmbedder) -> None:
    vectors, computed = embed_with_cache(embedder, [], cache)
    assert vectors.shape == (0, embedder.dim)
    assert vectors.dtype == np.float32
    assert computed == 0


def test_texts_are_embedded_in_batches_with_progress(
    cache: EmbeddingCache, embedder: CountingEmbedder
) -> None:
    texts = [f"第{i}段话" for i in range(40)]
    embed_with_cache(embedder, texts[:5], cache)
    embedder.batches.clear()
    done: list[int] = []
    _, computed = embed_with_cache(embedder, texts, cache, done.append)
    assert computed == 35
    assert [len(b) for b in embedder.batches] == [16, 16, 3]
    assert done == [21, 37, 40]
