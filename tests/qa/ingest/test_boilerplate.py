"""qa.ingest.boilerplate: what a publisher repeats across articles is found
from the corpus and left out of passages, whoever the publisher is."""

from __future__ import annotations

from pathlib import Path

from qa.errors import ArticleError
from qa.ingest.boilerplate import Boilerplate, line_shape
from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_documents, corpus_files, learn_boilerplate

PUBLISHER = Path(__file__).resolve().parents[2] / "fixtures" / "publisher"


def test_a_made_up_publishers_footer_is_found_and_left_out() -> None:
    boilerplate = learn_boilerplate(corpus_files(PUBLISHER), "https://example.org")
    errors: list[ArticleError] = []
    documents = list(corpus_documents(PUBLISHER, "https://example.org", ChunkSettings(), errors, boilerplate))
    assert errors == []
    texts = [record.text for _, records in documents for record in records]
    assert len(texts) == 12  # two paragraphs an article, nothing of the footer
    assert not any("公众号" in t or "分享到" in t or "版权所有" in t for t in texts)
    assert boilerplate.blocks_left_out == 18
    assert "left out 18 block(s)" in boilerplate.summary()


def test_shapes_mask_links_urls_numbers_and_spacing() -> None:
    assert line_shape("作者：[Logix][a]") == line_shape("作者: [Two-Bit History](https://x.org)") == "作者:<>"
    assert line_shape("via: https://example.org/2019/a") == "via:<>"
    assert line_shape("![](https://img.example.org/a.png)") is None  # an image alone says nothing
    assert line_shape("") is None


def test_lines_in_fewer_than_five_articles_are_content() -> None:
    bodies = [f"{topic}的正文。\n\n感谢阅读，欢迎订阅。\n" for topic in "春夏秋冬雪"]
    assert Boilerplate.learn(bodies[:4]).shapes == {}
    assert Boilerplate.learn(bodies).shapes == {"感谢阅读,欢迎订阅。": 5}


def test_code_is_never_counted_as_boilerplate() -> None:
    code = "```\nsudo apt update\n```\n\n    make install\n"
    bodies = [f"{topic}的正文。\n\n{code}" for topic in "春夏秋冬雪雨风云"]
    assert Boilerplate.learn(bodies).shapes == {}
