"""Every kind of damage to an index's files ends in one message that names
the file and `qa index` as the fix (table-driven over the files of a real index)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.errors import IndexDamagedError, QAError
from qa.runtime import build_index, open_index
from qa.settings import Settings
from tests.conftest import FIXTURE_CORPUS, HashingEmbedder


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = b"\xff\x00garble"[: len(data) - middle]
    path.write_bytes(bytes(data))


def _delete(path: Path) -> None:
    path.unlink()


FILES = 29  # in a generation, beside its manifest
DAMAGE: dict[str, Callable[[Path], None]] = {"truncated": _truncate, "garbled": _garble, "deleted": _delete}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("pristine")
    settings = Settings(corpus_dir=FIXTURE_CORPUS, index_dir=tmp / "index", cache_dir=tmp / "cache")
    build_index(settings, HashingEmbedder())
    return settings


def _files(settings: Settings) -> list[str]:
    manifest = json.loads((settings.index_dir / "current" / "manifest.json").read_text("utf-8"))
    return sorted(manifest["files"])


def _copy(pristine: Settings, tmp_path: Path) -> tuple[Settings, Path]:
    shutil.copytree(pristine.index_dir, tmp_path / "index", symlinks=True)
    settings = Settings(**{**pristine.model_dump(), "index_dir": tmp_path / "index"})
    return settings, (tmp_path / "index" / "current").resolve()


def test_every_file_of_the_index_is_fingerprinted(pristine: Settings) -> None:
    files = _files(pristine)
    assert {"passages.jsonl", "passages.i8", "passages.faiss", "sentences.i8", "turns.asking.npy",
            "bm25/scores.npy", "bm25/lengths.npy", "phrases/indptr.npy", "articles.json"} <= set(files)
    assert len(files) == FILES


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("index", range(FILES))
def test_damaged_file_is_named_with_the_fix(pristine: Settings, tmp_path: Path, damage: str,
                                            index: int) -> None:
    name = _files(pristine)[index]
    settings, generation = _copy(pristine, tmp_path)
    DAMAGE[damage](generation / name)
    with pytest.raises(IndexDamagedError) as error:
        open_index(settings, HashingEmbedder())
    message = str(error.value)
    assert message.startswith(f"the index in {generation} is damaged: {name} ")
    assert message.endswith("Rebuild it with `qa index`.")


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_manifest_is_named_with_the_fix(pristine: Settings, tmp_path: Path, damage: str) -> None:
    settings, generation = _copy(pristine, tmp_path)
    DAMAGE[damage](generation / "manifest.json")
    with pytest.raises(QAError) as error:  # damaged, or of no known format: the fix is the same
        open_index(settings, HashingEmbedder())
    assert str(error.value).endswith("Rebuild it with `qa index`."), str(error.value)
    assert "manifest.json" in str(error.value) or "format" in str(error.value)


def test_current_link_to_a_missing_generation_is_named(pristine: Settings, tmp_path: Path) -> None:
    settings, generation = _copy(pristine, tmp_path)
    shutil.rmtree(generation)
    with pytest.raises(IndexDamagedError) as error:
        open_index(settings, HashingEmbedder())
    assert str(error.value) == (f"the index in {settings.index_dir} is damaged: current points at "
                                f"{os.readlink(settings.index_dir / 'current')}, which is missing. "
                                f"Rebuild it with `qa index`.")
