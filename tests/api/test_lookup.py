"""GET /api/articles and GET /api/passages/… over the fixture corpus."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

TEA_P1 = {
    "id": "tea#p1",
    "article_id": "tea",
    "text": "龙井是产自杭州西湖的绿茶，以色绿、香郁、味甘、形美四绝著称。每年清明前采摘的明前龙井最为珍贵。",
    "section": "茶的种类",
    "paragraph": 1,
    "citation": {"article_id": "tea", "title": "茶馆访谈", "author": "老张", "date": "2020-05-06",
                 "url": "https://example.org/tea", "article_url": "https://example.org/tea",
                 "section": "茶的种类", "paragraph": 1, "speaker": None},
}


def test_articles_lists_every_indexed_article(client: TestClient):
    response = client.get("/api/articles")

    assert response.status_code == 200
    assert response.json() == [
        {"id": "cloud-native", "title": "云原生入门", "author": "小李", "date": "2021-03-04",
         "url": "https://linux.cn/article-1-1.html", "tags": ["云原生", "Kubernetes"]},
        {"id": "tea", "title": "茶馆访谈", "author": "老张", "date": "2020-05-06",
         "url": "https://example.org/tea", "tags": []},
    ]


def test_passage_by_id_with_encoded_hash(client: TestClient):
    response = client.get("/api/passages/tea%23p1")

    assert response.status_code == 200
    assert response.json() == TEA_P1


def test_passage_by_path_form(client: TestClient):
    response = client.get("/api/passages/tea/p1")

    assert response.status_code == 200
    assert response.json() == TEA_P1


@pytest.mark.parametrize(("path", "passage_id"), [
    ("/api/passages/tea%23p99", "tea#p99"),
    ("/api/passages/coffee/p1", "coffee#p1"),  # the path form
], ids=["encoded-hash", "path-form"])
def test_unknown_passage_is_404(client: TestClient, error_body, path: str, passage_id: str):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == error_body(404, "passage_not_found", (
        f"no passage with id '{passage_id}'. Ids look like 'article-id#p3'; "
        "GET /api/articles lists the articles."))


def test_unencoded_hash_404_says_how_to_encode_it(client: TestClient, error_body):
    # The client sent /api/passages/tea#p1: '#p1' stayed behind as the URL fragment.
    response = client.get("/api/passages/tea#p1")

    assert response.status_code == 404
    assert response.json() == error_body(404, "passage_not_found", (
        "no passage with id 'tea'. Ids look like 'article-id#p3'; GET /api/articles lists the "
        "articles. In a URL, write '#' as %23: /api/passages/article-id%23p3."))
