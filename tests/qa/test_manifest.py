"""qa.manifest: what a generation records about how it was built, and the
checks that refuse an index of another model or dimension."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import IndexMismatchError
from qa.manifest import check_manifest, read_manifest, write_manifest

BUILT_WITH = {"model": "e5", "dim": 384}


def test_manifest_round_trip(tmp_path: Path) -> None:
    manifest = {"model": "模型", "dim": 384, "settings": {"a": [1, 2]}}
    write_manifest(tmp_path / "manifest.json", manifest)
    assert read_manifest(tmp_path / "manifest.json") == manifest
    assert "模型" in (tmp_path / "manifest.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(("model", "dim", "accepted"), [
    ("e5", 384, True),
    ("e5-large", 384, False),
    ("e5", 385, False),
])
def test_check_manifest_accepts_the_same_model_only(model: str, dim: int, accepted: bool) -> None:
    refused = None
    try:
        check_manifest(BUILT_WITH, model, dim, "qa index")
    except IndexMismatchError as exc:
        refused = exc
    assert (refused is None) == accepted, f"{model} ({dim}): {refused or 'accepted'}"


@pytest.mark.parametrize(
    ("model", "dim"),
    [("another-model", 384), ("e5", 768), ("another-model", 64)],
)
def test_check_manifest_refuses_another_model_or_dimension(model: str, dim: int) -> None:
    with pytest.raises(IndexMismatchError) as error:
        check_manifest(BUILT_WITH, model, dim, "qa index")
    assert str(error.value) == (
        f"the index was built with model 'e5' (384 dimensions) but the configured model is "
        f"{model!r} ({dim} dimensions). Rebuild it with `qa index`, or configure the model it was built with."
    )


def test_check_manifest_refuses_a_manifest_without_model() -> None:
    with pytest.raises(IndexMismatchError, match="`qa index`"):
        check_manifest({}, "e5", 384, "qa index")
