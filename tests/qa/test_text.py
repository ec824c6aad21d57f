"""qa.text: one normalisation, one sentence splitter."""

from __future__ import annotations

from itertools import pairwise

import pytest

from qa.text import is_question, mostly_cjk, normalize, sentence_spans, split_sentences, squash_whitespace


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｈｅｌｌｏ　１２３", "Hello 123"),  # full-width letters, digits, ideographic space
        ("ＡＣＰ　２．０", "ACP 2.0"),
        ("灵雀雲的產品分幾層？", "灵雀云的产品分几层?"),  # Traditional → Simplified, full-width ？ → ?
        ("靈雀雲", "灵雀云"),
        ("Kubernetes 是什么", "Kubernetes 是什么"),  # already normal: unchanged
        ("", ""),
    ],
)
def test_normalize_folds_width_and_traditional_characters(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_is_idempotent() -> None:
    text = "靈雀雲的ＡＣＰ　２．０（容器平台）"
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("真的吗！」她问。", ["真的吗！」", "她问。"]),
        ("书名是《云》。』下一句。", ["书名是《云》。』", "下一句。"]),
        ("（括号里的话。）外面的话。", ["（括号里的话。）", "外面的话。"]),
        ("等等……然后呢？", ["等等……", "然后呢？"]),
        ("一；二；三", ["一；", "二；", "三"]),
        ("好！！真的？？", ["好！！", "真的？？"]),
    ],
)
def test_split_keeps_closing_quote_with_sentence(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_split_dash_does_not_end_a_sentence() -> None:
    assert split_sentences("这是——一个破折号。下一句。") == ["这是——一个破折号。", "下一句。"]


def test_split_english_full_stop_only_before_whitespace() -> None:
    text = "ACP 2.0 很好. Next one. v3.1 ok"
    assert split_sentences(text) == ["ACP 2.0 很好.", "Next one.", "v3.1 ok"]


def test_split_keeps_version_numbers_whole() -> None:
    assert split_sentences("升级到 Helm v3.1.2 之后。ACP 2.0 上线。") == [
        "升级到 Helm v3.1.2 之后。",
        "ACP 2.0 上线。",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_split_blank_text_has_no_sentences(text: str) -> None:
    assert sentence_spans(text) == []


def test_split_text_without_end_is_one_sentence() -> None:
    assert split_sentences("结尾没有标点") == ["结尾没有标点"]


def test_sentence_spans_trim_whitespace_and_index_the_text() -> None:
    text = "  第一句。  Second one.  第三句  "
    spans = sentence_spans(text)
    assert spans == [(2, 6), (8, 19), (21, 24)]
    assert [text[s:e] for s, e in spans] == ["第一句。", "Second one.", "第三句"]


def test_a_line_end_ends_a_sentence() -> None:
    # Paragraphs joined into one passage keep their ends (`qa.ingest.chunker`), full stop or not.
    text = "她帮我们照的。 :D\n滥觞始于云计算。"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["她帮我们照的。", ":D", "滥觞始于云计算。"]


def test_sentence_spans_cover_every_non_blank_character_once() -> None:
    text = "他说：“ACP 2.0 是平台。”她问：“真的吗？」\n好……走吧——再见；Bye. 最后"
    spans = sentence_spans(text)
    bounds = [0, *(x for span in spans for x in span), len(text)]
    gaps = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    assert all(start < end for start, end in spans)
    assert all(a[1] <= b[0] for a, b in pairwise(spans))  # ordered, no overlap
    assert all(not gap.strip() for gap in gaps)  # only white space falls between sentences
    assert len(spans) == 6


def test_squash_whitespace_removes_all_whitespace() -> None:
    assert squash_whitespace(" ACP  2.0\n是\t平台 ") == "ACP2.0是平台"


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [
        ("灵雀云是如何看待的？", True),
        ("他问：“为什么是 Kubernetes？”", True),
        ("Why Kubernetes? ", True),
        ("真的吗？！", True),
        ("是吗？ ”", True),
        ("好！", False),
        ("这就是 ACP 2.0。", False),
        ("谁？其实不重要。", False),
        ("", False),
    ],
)
def test_is_question(sentence: str, asks: bool) -> None:
    assert is_question(sentence) is asks


@pytest.mark.parametrize(("text", "chinese"), [
    ("ACP 2.0 是什么？", True),
    ("Kube-OVN 项目在 GitHub 上有多少个 star？", True),
    ("Who is the CTO of Alauda (灵雀云)?", False),
    ("What is ACP 2.0?", False),
    ("🍕🍕🍕", False),
])
def test_a_question_is_read_as_chinese_when_cjk_outweighs_latin_words(text: str, chinese: bool) -> None:
    assert mostly_cjk(text) is chinese
