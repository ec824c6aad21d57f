"""An index generation's `manifest.json`: what it was built with (format,
model, dimension, settings, versions) and the size and CRC-32 of each of its
files, written by the build (`qa.build`) and checked by every load
(`qa.index`) before a file is opened."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from qa.errors import IndexDamagedError, IndexMismatchError

# 3: generations, streamed build, 8-bit vectors, hashed BM25 terms, interview turns; 4: code;
# 5: the sparse indexes as plain memory-mapped .npy files (`qa.sparse`)
FORMAT = 5
REBUILD = "qa index"  # the command that fixes a refused index


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def read_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def fingerprints(folder: Path) -> dict[str, dict[str, int]]:
    """Size and CRC-32 of every file of a generation, so that a load finds a
    file damaged since (truncated, altered, deleted) and names it."""
    return {str(path.relative_to(folder)): {"bytes": path.stat().st_size, "crc32": _crc32(path)}
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def verify_files(folder: Path, manifest: dict) -> None:
    """Refuse a generation whose files differ from those the manifest lists."""
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise IndexDamagedError(folder, f"{name} is missing")
        if path.stat().st_size != expected["bytes"]:
            raise IndexDamagedError(folder, f"{name} holds {path.stat().st_size} bytes, "
                                            f"{expected['bytes']} were written")
        if _crc32(path) != expected["crc32"]:
            raise IndexDamagedError(folder, f"{name} was altered since it was written (checksum differs)")


def check_manifest(manifest: dict, model_id: str, dim: int, fix: str = REBUILD) -> None:
    """Refuse an index whose vectors come from another model or dimension."""
    built_with = (manifest.get("model"), manifest.get("dim"))
    if built_with != (model_id, dim):
        raise IndexMismatchError(
            f"the index was built with model {built_with[0]!r} ({built_with[1]} dimensions) "
            f"but the configured model is {model_id!r} ({dim} dimensions). "
            f"Rebuild it with `{fix}`, or configure the model it was built with."
        )


def check_built_with(manifest: dict, folder: Path, model_id: str, dim: int,
                     settings_record: dict | None) -> None:
    """Refuse an index of another format, model, dimension or (unless
    `settings_record` is None) chunking and tokenizer settings."""
    if manifest.get("format") != FORMAT:
        raise IndexMismatchError(
            f"the index in {folder} has format {manifest.get('format')}, this version "
            f"reads format {FORMAT}. Rebuild it with `{REBUILD}`."
        )
    check_manifest(manifest, model_id, dim, REBUILD)
    if settings_record is not None and manifest.get("settings") != settings_record:
        raise IndexMismatchError(
            f"the index in {folder} was built with other chunking or tokenizer settings "
            f"({manifest.get('settings')}, now {settings_record}). Rebuild it with `{REBUILD}`."
        )
