"""Which embedder `qa index` uses: the bundled model fans out unless told not to."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.e5 import E5Embedder
from embeddings.pool import FanOutEmbedder, cores
from qa.runtime import make_index_embedder
from qa.settings import Settings


def test_the_bundled_model_fans_out_over_one_worker_per_core_by_default(tmp_path: Path) -> None:
    embedder = make_index_embedder(Settings(index_dir=tmp_path))
    if cores() == 1:
        assert isinstance(embedder, E5Embedder)
        return
    assert isinstance(embedder, FanOutEmbedder)
    assert isinstance(embedder.local, E5Embedder)  # questions stay in-process
    assert embedder._workers is None  # no process until the first batch


def test_one_worker_embeds_in_process(tmp_path: Path) -> None:
    assert isinstance(make_index_embedder(Settings(index_dir=tmp_path, embed_workers=1)), E5Embedder)


def test_ray_address_comes_from_the_setting(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("QA_RAY_ADDRESS", "127.0.0.1:8150")
    monkeypatch.setenv("QA_EMBED_WORKERS", "3")
    settings = Settings(index_dir=tmp_path)
    assert (settings.ray_address, settings.embed_workers) == ("127.0.0.1:8150", 3)
    assert isinstance(make_index_embedder(settings), FanOutEmbedder)  # joins the cluster at the first batch


def test_a_ray_address_where_nothing_listens_fails_at_once_with_what_to_do() -> None:
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install '.[ray]'")
    from embeddings.pool import WorkerError, e5_engine
    from embeddings.ray_workers import RayWorkers

    with pytest.raises(WorkerError, match=r"no Ray cluster answers at 127\.0\.0\.1:8159.*ray start --head"):
        RayWorkers("127.0.0.1:8159", e5_engine)
