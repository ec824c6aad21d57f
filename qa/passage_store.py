"""Passage records on disk, read one at a time.

An archive's passages do not belong in every server process as Python
objects (400,000 of them cost gigabytes). They are written once, as JSON
lines, with the offset of each line and a sorted table of id hashes beside
them; all three are memory-mapped, so reading passage `row` or finding the
row of an id touches a few pages, and server processes share one copy.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.records import PassageRecord
from qa.sparse import term_hash

_LINES, _OFFSETS, _IDS = "passages.jsonl", "passages.offsets.npy", "passages.ids.npy"
_ARTICLE_STARTS = "passages.article_starts.npy"  # the row where each row's article begins
_ID_DTYPE = np.dtype([("hash", "<u8"), ("row", "<i8")])


class PassageWriter:
    """Appends records in row order; `close` writes the offsets and the id table."""

    def __init__(self, folder: Path):
        self._folder = folder
        self._file = (folder / _LINES).open("wb")
        self._offsets = [0]
        self._hashes: list[int] = []
        self._article_starts: list[int] = []
        self._article: str | None = None
        self._start = 0

    def write(self, record: PassageRecord) -> None:
        line = json.dumps(record.to_json(), ensure_ascii=False).encode() + b"\n"
        self._file.write(line)
        if record.article_id != self._article:
            self._article, self._start = record.article_id, self.size
        self._article_starts.append(self._start)
        self._offsets.append(self._offsets[-1] + len(line))
        self._hashes.append(term_hash(record.id))

    @property
    def size(self) -> int:
        return len(self._hashes)

    def close(self) -> None:
        self._file.close()
        np.save(self._folder / _OFFSETS, np.array(self._offsets, dtype=np.int64))
        np.save(self._folder / _ARTICLE_STARTS, np.array(self._article_starts, dtype=np.int64))
        ids = np.empty(len(self._hashes), dtype=_ID_DTYPE)
        ids["hash"], ids["row"] = self._hashes, np.arange(len(self._hashes))
        np.save(self._folder / _IDS, np.sort(ids, order=["hash", "row"]))


class PassageStore:
    """Read-only access to the records a `PassageWriter` wrote."""

    def __init__(self, folder: Path, cached: int = 4096):
        # Plain views of the mapped files: np.memmap's own indexing costs microseconds a call.
        self._offsets = np.load(folder / _OFFSETS, mmap_mode="r").view(np.ndarray)
        self._ids = np.load(folder / _IDS, mmap_mode="r").view(np.ndarray)
        self._article_starts = np.load(folder / _ARTICLE_STARTS, mmap_mode="r").view(np.ndarray)
        with (folder / _LINES).open("rb") as file:
            self._lines = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if self.size else b""
        if self.size:  # records are read a few at a time: no read-ahead around them
            self._lines.madvise(mmap.MADV_RANDOM)
        self.get = lru_cache(maxsize=cached)(self._read)

    @property
    def size(self) -> int:
        return len(self._offsets) - 1

    def _read(self, row: int) -> PassageRecord:
        if not 0 <= row < self.size:
            raise IndexError(f"passage row {row} is outside 0..{self.size - 1}")
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        return PassageRecord.from_json(json.loads(self._lines[start:end]))

    def article_text_before(self, row: int, limit: int = 200_000) -> RawText:
        """The raw records of the passages of row's article before it (at most
        `limit` bytes back), searched in place: to tell whether words occur
        earlier in the article, without decoding or parsing a record."""
        start = max(int(self._offsets[self._article_starts[row]]), int(self._offsets[row]) - limit)
        return RawText(self._lines, start, int(self._offsets[row]))

    def row_of(self, passage_id: str) -> int | None:
        """The row of the passage with this id, or None."""
        wanted = term_hash(passage_id)
        at = int(np.searchsorted(self._ids["hash"], wanted))
        while at < len(self._ids) and int(self._ids["hash"][at]) == wanted:
            row = int(self._ids["row"][at])
            if self.get(row).id == passage_id:
                return row
            at += 1
        return None

    def __getitem__(self, row: int) -> PassageRecord:
        return self.get(int(row))

    def __iter__(self) -> Iterator[PassageRecord]:
        return (self._read(row) for row in range(self.size))

    def __len__(self) -> int:
        return self.size


class RawText:
    """A stretch of the records file; `text in raw` searches its UTF-8 bytes."""

    def __init__(self, lines: mmap.mmap | bytes, start: int, end: int):
        self._lines, self._start, self._end = lines, start, end

    def __contains__(self, text: str) -> bool:
        return self._lines.find(text.encode(), self._start, self._end) != -1
