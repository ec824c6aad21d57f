"""qa.passage_store: passage records written once and read one at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.passage_store import PassageStore, PassageWriter
from qa.records import PassageRecord


def _record(n: int, article: str = "a") -> PassageRecord:
    text = f"第{n}段。“引号”与 English 混排。"
    return PassageRecord(f"{article}#p{n}", article, text, "节" if n % 2 else None, n, (n * 10, n * 10 + 9),
                         ((0, 4), (4, len(text))), ("https://example.org",) if n == 2 else ())


@pytest.fixture
def store(tmp_path: Path) -> PassageStore:
    writer = PassageWriter(tmp_path)
    for n in range(1, 51):
        writer.write(_record(n))
    writer.close()
    return PassageStore(tmp_path)


def test_records_read_back_equal_those_written(store: PassageStore) -> None:
    assert len(store) == 50
    assert store[0] == _record(1)
    assert store[49] == _record(50)
    assert list(store) == [_record(n) for n in range(1, 51)]


def test_row_of_an_id(store: PassageStore) -> None:
    assert [store.row_of(f"a#p{n}") for n in (1, 17, 50)] == [0, 16, 49]
    assert store.row_of("a#p51") is None
    assert store.row_of("b#p1") is None


@pytest.mark.parametrize("row", [-1, 50])
def test_a_row_outside_the_store_is_an_index_error(store: PassageStore, row: int) -> None:
    with pytest.raises(IndexError, match=r"outside 0\.\.49"):
        store[row]


def test_an_empty_store(tmp_path: Path) -> None:
    PassageWriter(tmp_path).close()
    empty = PassageStore(tmp_path)
    assert len(empty) == 0 and list(empty) == [] and empty.row_of("a#p1") is None


def test_article_text_before_a_passage(tmp_path: Path) -> None:
    writer = PassageWriter(tmp_path)
    for record in (_record(1, "a"), _record(2, "a"), _record(1, "b"), _record(2, "b"), _record(3, "b")):
        writer.write(record)
    writer.close()
    store = PassageStore(tmp_path)
    assert "a#p" not in store.article_text_before(0) and "第" not in store.article_text_before(0)
    assert "第1段" in store.article_text_before(1) and "a#p1" in store.article_text_before(1)
    before = store.article_text_before(4)  # b#p3: b's p1 and p2, nothing of a
    assert "b#p1" in before and "b#p2" in before and "a#p" not in before
    short = store.article_text_before(4, limit=50)  # the last 50 bytes at most
    raw = (tmp_path / "passages.jsonl").read_bytes()
    end = raw.index(b'"b#p3"') - len(b'{"id": ')  # where b#p3's line begins
    assert raw[end - 30 : end].decode(errors="ignore") in short
    assert raw[end - 60 : end].decode(errors="ignore") not in short
    assert "b#p1" not in short
