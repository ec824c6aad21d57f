"""One index writer at a time: an exclusive lock on `index_dir/.lock`.

The lock is `flock`, so the kernel releases it when its process ends, however
it ends (`kill -9` included); a lock file left on disk holds nothing. The
file keeps the holder's pid and start time, for the message the next writer
shows. Under the lock, staging folders that a killed writer left behind are
removed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import QAError

LOCK_NAME = ".lock"
STAGING_PREFIX = ".building-"  # write_index stages a new generation in such a folder of index_dir
EXIT_LOCKED = 3


class IndexLockedError(QAError):
    """Another writer holds the index's lock."""

    exit_code = EXIT_LOCKED

    def __init__(self, index_dir: Path, holder: str):
        super().__init__(
            f"another `qa index` ({holder}) is writing the index in {index_dir}: wait for it to finish "
            f"and run `qa index` again if the corpus changed since it started"
        )


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold the writer's lock on `index_dir` (created if missing), or raise
    IndexLockedError at once, naming the holder."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = _acquire(index_dir / LOCK_NAME)
    except OSError as exc:
        raise QAError(f"cannot lock {index_dir / LOCK_NAME} ({exc.strerror}): make the folder writable, "
                      f"or set QA_INDEX_DIR to one that is") from exc
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays, so that its inode stays the one to lock


def _acquire(path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise IndexLockedError(path.parent, _holder(path)) from None
        if _same_file(fd, path):
            return fd
        # The file was removed or replaced (with the old index folder) after we
        # opened it: a lock on it excludes no one. Lock the one there now.
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _holder(path: Path) -> str:
    """What the holder wrote: its pid and start time. It writes just after
    taking the lock, so an empty file is read again for a moment."""
    for _ in range(10):
        try:
            text = path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            text = ""
        if text:
            return text
        time.sleep(0.02)
    return "pid unknown"


def remove_stale_staging(index_dir: Path) -> list[Path]:
    """Remove the staging folders a killed writer left in `index_dir`. Call it
    only while holding the lock: a live writer's staging folder looks the same."""
    removed = []
    for path in sorted(index_dir.glob(f"{STAGING_PREFIX}*")):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
