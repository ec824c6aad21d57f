"""qa.records: what the index stores about articles and passages."""

from __future__ import annotations

import json
from pathlib import Path

from qa.ingest.articles import parse_article
from qa.ingest.documents import article_info
from qa.records import ArticleInfo, PassageRecord


def test_passage_record_json_round_trip() -> None:
    record = PassageRecord(
        "a#p1", "a", "第一句。第二句。", "节", 1, (10, 30), ((0, 4), (4, 8)), ("https://e.org",)
    )
    data = json.loads(json.dumps(record.to_json(), ensure_ascii=False))
    assert data["span"] == [10, 30]  # JSON has lists...
    assert PassageRecord.from_json(data) == record  # ...and they come back as tuples


def test_passage_record_keeps_its_interview_turn() -> None:
    record = PassageRecord("a#p2", "a", "陈恺说，“开源。”", None, 2, (0, 9), ((0, 9),),
                           speaker="陈恺", role="answers", answered_by=None)
    asking = PassageRecord("a#p1", "a", "如何看？", None, 1, (0, 4), ((0, 4),),
                           role="asks", answered_by="a#p2")
    for r in (record, asking):
        assert PassageRecord.from_json(json.loads(json.dumps(r.to_json(), ensure_ascii=False))) == r


def test_passage_record_without_links_loads() -> None:
    data = {
        "id": "a#p1",
        "article_id": "a",
        "text": "文",
        "section": None,
        "paragraph": 1,
        "span": [0, 1],
        "sentences": [[0, 1]],
    }
    assert PassageRecord.from_json(data).links == ()
    assert (PassageRecord.from_json(data).speaker, PassageRecord.from_json(data).role) == (None, "narrates")


def test_article_info_of_an_article() -> None:
    source = "---\ntitle: 标题\nauthor: 作者\ndate: 2020-01-02\npermalink: /a.html\ntags: [x, y]\n---\n正文\n"
    article = parse_article(Path("corpus/a.md"), source, "https://linux.cn")
    assert article_info(article) == ArticleInfo(
        "a", "标题", "作者", "2020-01-02", "https://linux.cn/a.html", ("x", "y"), "corpus/a.md"
    )
