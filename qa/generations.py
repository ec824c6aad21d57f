"""Generations of the index on disk: `index_dir` holds folders `gen-…`, and
`current`, a symbolic link to the one being served, swapped atomically when a
build finishes, so that a server reloads a whole new index or keeps its old
one, never half of each."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

from qa.errors import IndexDamagedError, IndexNotFoundError

CURRENT = "current"  # the link to the generation being served


def new_generation_name() -> str:
    return f"gen-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"


def make_current(index_dir: Path, generation: str) -> None:
    """Point `current` at `generation` atomically; drop generations older
    than the one just replaced."""
    previous = current_generation(index_dir)
    link = index_dir / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    link.symlink_to(generation)
    os.replace(link, index_dir / CURRENT)
    for old in index_dir.glob("gen-*"):
        if old.name not in (generation, previous):  # the previous one may still be loading somewhere
            shutil.rmtree(old, ignore_errors=True)


def current_generation(index_dir: Path) -> str | None:
    """The name of the generation `current` points at, or None."""
    try:
        return os.readlink(index_dir / CURRENT)
    except OSError:
        return None


def generation_folder(index_dir: Path) -> Path:
    """The folder of the current generation."""
    current = index_dir / CURRENT
    if current.is_symlink() and not current.is_dir():
        raise IndexDamagedError(index_dir, f"{CURRENT} points at {os.readlink(current)}, which is missing")
    if current.is_dir():
        return current.resolve()
    raise IndexNotFoundError(index_dir)
