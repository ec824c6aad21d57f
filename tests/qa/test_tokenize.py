"""qa.tokenize: jieba with the domain dictionary, synonyms and stop words."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.tokenize import Tokenizer


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("灵雀云，陈恺，左玥", ["灵雀云", "陈恺", "左玥"]),  # names from the user dictionary stay whole
        ("K8s 是什么？", ["kubernetes", "是", "什么"]),  # synonym, lower case, punctuation dropped
        ("Helm v3 标准", ["helm", "v3", "标准"]),
        ("ＡＣＰ　２．０ 是什么", ["acp", "2.0", "是", "什么"]),  # full-width folded before cutting
        ("，。！？ ……", []),
    ],
)
def test_tokens_are_normalised_lowercase_words(tokenizer: Tokenizer, text: str, tokens: list[str]) -> None:
    assert tokenizer.tokens(text) == tokens


def test_traditional_and_simplified_give_the_same_tokens(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokens("靈雀雲的產品分幾層？") == tokenizer.tokens("灵雀云的产品分几层？")


def test_k8s_means_kubernetes(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokens("K8s") == tokenizer.tokens("k8s") == ["kubernetes"]
    assert "kubernetes" in tokenizer.tokens("我们在 k8s 上部署")


def test_service_mesh_synonym_adds_english_words(tokenizer: Tokenizer) -> None:
    assert {"service", "mesh"} <= set(tokenizer.tokens("Kubernetes 的服务网格"))


def _synonyms() -> list[tuple[str, list[str]]]:
    return sorted(Tokenizer().synonyms.items())


@pytest.mark.parametrize(
    ("word", "meaning"), _synonyms(), ids=[f"{i}-{'_'.join(m)}" for i, (_, m) in enumerate(_synonyms())]
)
def test_every_synonym_in_the_table_is_applied(tokenizer: Tokenizer, word: str, meaning: list[str]) -> None:
    # A synonym whose left side jieba never emits as one token is dead: the
    # table says 持续集成 = ci, so a passage about 持续集成 must match a question about CI.
    tokens = tokenizer.tokens(f"我们讨论{word}的问题")
    assert set(meaning) <= set(tokens), f"{word} → {meaning} not applied; tokens: {tokens}"


def test_content_tokens_drop_stop_words(tokenizer: Tokenizer) -> None:
    assert tokenizer.content_tokens("灵雀云的产品分几层？") == ["灵雀云", "产品", "分", "几层"]
    assert tokenizer.content_tokens("What is the ACP?") == ["acp"]
    assert tokenizer.content_tokens("的了吗？") == []


def test_a_word_inside_a_question_word_is_no_content_word(tokenizer: Tokenizer) -> None:
    # jieba's search mode emits 一年 inside 哪一年; 何年 and 甚麼 ask as 哪年 and 什么 do.
    assert tokenizer.content_tokens("《街角的商店》在哪一年問世?") == ["街角", "商店", "问世"]
    assert tokenizer.content_tokens("工業製造所於何年成立?")[-1] == "成立"
    assert "何年" not in tokenizer.content_tokens("工業製造所於何年成立?")
    assert tokenizer.content_tokens("廣濟橋擁有甚麼稱號?")[-2:] == ["拥有", "称号"]
    # Where it also stands on its own, it counts.
    assert tokenizer.content_tokens("一年后他去了哪一年的会议？").count("一年") == 2


def test_topic_tokens_leave_out_the_words_that_frame_a_question(tokenizer: Tokenizer) -> None:
    # What a passage must hold to answer: not 看来, 给, 最初 or 由.
    assert tokenizer.topic_tokens("在陈恺看来，统一的标准能给技术厂商带来哪些好处？") == [
        "陈恺", "统一", "标准", "技术", "厂商", "带来", "好处"]
    assert tokenizer.topic_tokens("Kubernetes 最初是由谁发明的？") == ["kubernetes", "发明"]
    # BM25 keeps them: as terms they still find passages.
    assert tokenizer.content_tokens("Kubernetes 最初是由谁发明的？") == ["kubernetes", "最初", "由", "发明"]


def test_stop_chars_are_single_characters(tokenizer: Tokenizer) -> None:
    assert {"的", "是", "哪", "几", "么"} <= tokenizer.stop_chars
    assert all(len(c) == 1 for c in tokenizer.stop_chars)


def test_user_dict_adds_words(tmp_path: Path) -> None:
    extra = tmp_path / "dict.txt"
    extra.write_text("穿山甲专访 100 n\n", encoding="utf-8")
    assert "穿山甲专访" not in Tokenizer().tokens("穿山甲专访栏目")
    assert "穿山甲专访" in Tokenizer(extra).tokens("穿山甲专访栏目")
