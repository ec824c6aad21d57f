"""qa.citations: text fragments that land a citation on its sentence."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from qa.citations import cited_url, text_fragment


@pytest.mark.parametrize(
    ("sentence", "start", "end"),
    [
        ("灵雀云诞生了。", "灵雀云诞生了。", None),  # one clause: the whole sentence
        # "陈恺说" alone recurs all over an interview: the start takes the next clause too
        ("陈恺说，“我们走的比这个更深一步，这就是 ACP 2.0。”", "陈恺说，“我们走的比这个更深一步",
         "这就是 ACP 2.0。”"),
        # a short last clause takes the ones before it, up to the start's
        ("灵雀云从 2017 年底决定这样做，后来，首先，试了。", "灵雀云从 2017 年底决定这样做",
         "后来，首先，试了。"),
        ("技术栈分为三层：最底层是发行版；上面是 ACP。", "技术栈分为三层：最底层是发行版", "上面是 ACP。"),
        ("  ACP,  Kube-OVN 和 Captain。 ", "ACP", "Kube-OVN 和 Captain。"),
    ],
)
def test_fragment_is_the_first_and_last_clauses_long_enough(sentence: str, start: str,
                                                             end: str | None) -> None:
    fragment = text_fragment(sentence)
    assert fragment is not None and fragment.startswith(":~:text=")
    terms = fragment.removeprefix(":~:text=").split(",")
    assert [unquote(t) for t in terms] == [start] + ([end] if end else [])


def test_syntax_characters_inside_a_term_are_escaped() -> None:
    fragment = text_fragment("Kube-OVN & Captain，A-B。")
    assert fragment == ":~:text=Kube%2DOVN%20%26%20Captain,A%2DB%E3%80%82"


@pytest.mark.parametrize("sentence", ["", "  ", "，，"])
def test_no_text_no_fragment(sentence: str) -> None:
    assert text_fragment(sentence) is None
    assert cited_url("https://linux.cn/a.html", sentence) == "https://linux.cn/a.html"


def test_cited_url_appends_the_fragment() -> None:
    assert cited_url("https://linux.cn/a.html", "灵雀云诞生了。") == (
        "https://linux.cn/a.html#:~:text=%E7%81%B5%E9%9B%80%E4%BA%91%E8%AF%9E%E7%94%9F%E4%BA%86%E3%80%82")


def test_a_url_with_its_own_fragment_or_none_is_left_alone() -> None:
    assert cited_url("https://linux.cn/a.html#top", "灵雀云诞生了。") == "https://linux.cn/a.html#top"
    assert cited_url(None, "灵雀云诞生了。") is None


def test_start_grows_until_the_article_before_it_does_not_hold_it() -> None:
    sentence = "陈恺说，我们走的比这个更深一步，把平台做成原生的，这就是 ACP 2.0。"
    before = "陈恺说，我们走的比这个更深一步。然后……"  # the first two clauses occur earlier
    terms = text_fragment(sentence, before).removeprefix(":~:text=").split(",")
    assert unquote(terms[0]) == "陈恺说，我们走的比这个更深一步，把平台做成原生的"


def test_end_grows_until_it_occurs_once_after_the_start() -> None:
    sentence = "灵雀云做了很多的事情，这就是差异化的地方。，云原生产品，这就是差异化的地方。"
    terms = text_fragment(sentence).removeprefix(":~:text=").split(",")
    assert unquote(terms[1]) == "云原生产品，这就是差异化的地方。"  # its last clause occurs twice
