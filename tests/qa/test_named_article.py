"""A question whose words name one article above all others is answered from
it first (`Index.named_article`, `QAService._article_first`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.retrieval import NAMED_ARTICLE_ROWS
from qa.runtime import build_index, open_index
from qa.service import QAService
from tests.conftest import HashingEmbedder, _settings

ARTICLES = {
    # The English name is only in the file name: the text never says Caddy.
    "caddy-web-server": ("网页服务器", "这个服务器能自动申请 HTTPS 证书，配置文件只要写一行。"),
    "nginx-guide": ("反向代理", "反向代理服务器的证书要手动申请，配置文件也要写很多行。"),
    "tea-house": ("茶馆", "普洱茶产于云南，分为生茶和熟茶两类。"),
    "green-tea": ("绿茶", "龙井是产自杭州西湖的绿茶，每年清明前采摘。"),
    "bread": ("面包", "烤面包时烤箱要先预热到两百度。"),
    "bicycle": ("自行车", "自行车的链条每个月要上一次油。"),
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    tmp = tmp_path_factory.mktemp("named")
    corpus = tmp / "corpus"
    corpus.mkdir()
    for name, (title, text) in ARTICLES.items():
        # NAMED_ARTICLE_ROWS passages or more: a few make no index of their own.
        more = "".join(f"{title}的第 {i} 个话题：这一段和其余段落说的都不一样，编号 {i} 就是它的名字。\n\n"
                       for i in range(NAMED_ARTICLE_ROWS))
        (corpus / f"{name}.md").write_text(f"---\ntitle: {title}\n---\n\n{text}\n\n{more}", encoding="utf-8")
    settings = _settings(tmp, corpus)
    build_index(settings, HashingEmbedder())
    return QAService(open_index(settings, HashingEmbedder()))


def test_a_word_only_one_article_holds_names_it(service: QAService) -> None:
    assert service.index.named_article("普洱茶产于哪里？") == "tea-house"
    assert service.index.named_article("证书要怎么申请？") is None  # two articles alike


def test_an_article_of_a_few_passages_is_not_asked_alone(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (title, text) in ARTICLES.items():
        (corpus / f"{name}.md").write_text(f"---\ntitle: {title}\n---\n\n{text}\n", encoding="utf-8")
    settings = _settings(tmp_path, corpus)
    build_index(settings, HashingEmbedder())
    index = open_index(settings, HashingEmbedder())
    assert index.hybrid.articles.named(index.query("普洱茶产于哪里？", embed=False)) is not None
    assert index.named_article("普洱茶产于哪里？") is None  # one passage: the whole index sees all of it


def test_an_english_question_names_an_article_by_its_file_name(service: QAService) -> None:
    assert service.index.named_article("How does Caddy get HTTPS certificates?") == "caddy-web-server"
    answer = service.ask("How does Caddy get HTTPS certificates?")
    assert answer.passages[0].citation.article_id == "caddy-web-server"
    assert not answer.from_elsewhere  # the asker chose no article


def test_the_named_article_is_answered_from_as_if_asked_within_it(service: QAService) -> None:
    named = service.ask("普洱茶产于哪里？")
    within = service.ask("普洱茶产于哪里？", article="tea-house")
    assert named.passages[0].id == within.passages[0].id
    assert not named.from_elsewhere
