"""qa.extract: which sentence (or two) of a passage answers, and how it reads.

Pure inputs (text, sentence spans, cosines, question words), no index; the
service's use of it is tested in test_service, its accuracy by `qa eval`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qa.evaluate import load_questions
from qa.extract import (
    FEATURES,
    Passage,
    Question,
    answer_text,
    asked_kinds,
    balanced,
    choose,
    expected_kind,
    holds_kind,
    sentence_features,
)
from qa.service import QAService
from qa.text import comparable, sentence_spans
from qa.tokenize import Tokenizer


def _question(tokenizer: Tokenizer, text: str) -> Question:
    words = tuple(dict.fromkeys(tokenizer.content_tokens(text)))
    return Question(text, words, (1.0,) * len(words), tokenizer.stop_chars)


def _passage(text: str, cosines: list[float] | None = None, topic: str = "") -> Passage:
    spans = tuple(sentence_spans(text))
    return Passage(text, spans, tuple(comparable(text[s:e]) for s, e in spans),
                   tuple(cosines or [0.9] * len(spans)), comparable(topic))


def _answer(tokenizer: Tokenizer, question: str, text: str, **passage) -> str:
    return answer_text(text, choose(_question(tokenizer, question), _passage(text, **passage)))


# --- what is asked -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("灵雀云的 CTO 是谁？", "person"),
        ("Who is the CTO of Alauda?", "person"),
        ("灵雀云什么时候决定转向 Kubernetes 原生架构？", "time"),
        ("Kube-OVN 是哪一年开源的？", "time"),
        ("When was ACP 2.0 released?", "time"),
        ("灵雀云有多少员工？", "number"),
        ("靈雀雲的產品分幾層？", "number"),
        ("陳愷在哪裡工作？", "place"),
        ("Where did the founders work?", "place"),
        ("為什麼 ACP 要開源？", "reason"),
        ("Why does Chen Kai like Kubernetes?", "reason"),
        ("ACP 2.0 是什么？", "definition"),
        ("什麼是 Kube-OVN？", "definition"),
        ("What is ACP 2.0?", "definition"),
        ("灵雀云开源了哪些项目？", "other"),
    ],
)
def test_expected_kind_reads_the_question_word(question: str, kind: str) -> None:
    assert expected_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("more 分页器最早是谁在什么时候写的？", ("person", "time")),
        ("灵雀云什么时候决定转向 Kubernetes 原生架构？", ("time",)),
        ("灵雀云开源了哪些项目？", ("other",)),
    ],
)
def test_asked_kinds_reads_every_question_word(question: str, kinds: tuple[str, ...]) -> None:
    assert asked_kinds(question) == kinds


def test_the_kind_given_comes_first_among_the_kinds_asked(tokenizer: Tokenizer) -> None:
    question = dataclasses.replace(_question(tokenizer, "谁在什么时候写的？"), kind="time")
    assert question.kinds == ("time", "person")


def test_an_employer_is_where_someone_works() -> None:
    question = comparable("陈恺之前在哪里工作？")
    assert holds_kind(comparable("他们都曾在微软 Azure 从事云计算领域的专业研究。"), "place", question)
    assert holds_kind(comparable("她毕业后任职于一家咨询公司。"), "place", question)
    assert not holds_kind(comparable("那时他们也在想象云里面的应用应该长什么样子。"), "place", question)


def test_a_time_the_question_already_holds_is_no_answer() -> None:
    question = comparable("灵雀云 2017 年做了什么决定？")
    assert not holds_kind(comparable("2017 年，灵雀云决定转向。"), "time", question)
    assert holds_kind(comparable("2019 年，灵雀云发布了 ACP 2.0。"), "time", question)


# --- the choice -----------------------------------------------------------------------------

TEA_GARDEN = ("四月初，我们来到海拔一千二百米的云雾山茶园。园主王建国先生已经在这里种了三十年茶。"
              "他说今年的春茶比往年晚了十天，好在品质不差。")
WEI_WAN = ("魏玩，字玉汝，北宋襄阳邓城人，著名女词人，人称魏夫人。自幼博览群书，以诗词见长，嫁曾布为妻。"
           "曾布官至宰相，魏玩随往京城汴梁。魏氏著有《魏夫人集》，词作多写闺情及吟咏景物。")


def test_person_asked_after_the_sentence_that_names_the_place_comes_from_the_next(
    tokenizer: Tokenizer,
) -> None:
    answer = _answer(tokenizer, "云雾山茶园的主人是谁？", TEA_GARDEN)
    assert "王建国" in answer
    assert answer.startswith("四月初")  # the sentence that names the garden comes with it


def test_time_question_picks_the_sentence_that_holds_a_time(tokenizer: Tokenizer) -> None:
    text = ("灵雀云决定转向 Kubernetes 原生架构，从 2017 年底开始。中间隔着一句无关的话。"
            "灵雀云决定转向 Kubernetes 原生架构，于是有了 ACP 2.0。")
    answer = _answer(tokenizer, "灵雀云什么时候决定转向 Kubernetes 原生架构？", text)
    assert answer == "灵雀云决定转向 Kubernetes 原生架构，从 2017 年底开始。"


def test_time_asked_comes_from_the_sentence_before_when_the_best_holds_none(tokenizer: Tokenizer) -> None:
    text = "普法戰爭爆發。1870年9月2日，他在色當會戰中被普軍俘虜。不久，戰敗的消息傳到巴黎，第二帝國覆亡。"
    answer = _answer(tokenizer, "第二帝國在哪一年滅亡?", text)
    assert answer == "1870年9月2日，他在色當會戰中被普軍俘虜。不久，戰敗的消息傳到巴黎，第二帝國覆亡。"


TEA_MOVE = "老王前年把茶园搬到了云雾山。因为山上常年有雾，茶叶长得慢，味道更浓。如今茶园有三十亩。"


def test_reason_asked_comes_from_the_next_sentence_when_the_best_only_repeats_the_question(
    tokenizer: Tokenizer,
) -> None:
    answer = _answer(tokenizer, "为什么老王把茶园搬到了云雾山？", TEA_MOVE, cosines=[0.95, 0.80, 0.75])
    assert answer == "老王前年把茶园搬到了云雾山。因为山上常年有雾，茶叶长得慢，味道更浓。"


def test_a_second_kind_asked_brings_the_sentence_that_holds_it(tokenizer: Tokenizer) -> None:
    # 谁 and 什么时候: the best sentence holds neither, the next holds the time
    text = "《山居笔记》是最早写云雾山的书之一。初稿由王建国写于 1978 年。后来再版三次。"
    answer = _answer(tokenizer, "《山居笔记》最早是谁在什么时候写的？", text, cosines=[0.95, 0.80, 0.75])
    assert answer == "《山居笔记》是最早写云雾山的书之一。初稿由王建国写于 1978 年。"


def test_the_kind_asked_next_door_comes_before_the_sentence_a_connective_goes_on_from(
    tokenizer: Tokenizer,
) -> None:
    text = "茶园明年还要扩建。另外老王也打算把茶园搬到云雾山。因为山上常年有雾，味道更浓。"
    answer = _answer(tokenizer, "为什么老王要把茶园搬到云雾山？", text, cosines=[0.80, 0.95, 0.75])
    assert answer == "另外老王也打算把茶园搬到云雾山。因为山上常年有雾，味道更浓。"


def test_the_sentence_a_pronoun_points_back_to_comes_before_the_kind_asked(tokenizer: Tokenizer) -> None:
    # 他 is who is asked about; the next sentence's 总统 is the kind asked, but not the answer
    text = "联邦总理是政府首脑。他指派联邦部长，并确定政治方针。总统由议会选举产生。"
    answer = _answer(tokenizer, "谁负责指派联邦部长？", text, cosines=[0.80, 0.95, 0.75])
    assert answer == "联邦总理是政府首脑。他指派联邦部长，并确定政治方针。"


def test_words_of_the_title_do_not_choose_the_sentence(tokenizer: Tokenizer) -> None:
    # 魏玩 names the topic (the title); the answer holds what is asked about her
    answer = _answer(tokenizer, "魏玩的著作有哪些？", WEI_WAN, topic="魏玩")
    assert "《魏夫人集》" in answer


def test_focus_words_leave_out_the_topic(tokenizer: Tokenizer) -> None:
    features = sentence_features(_question(tokenizer, "魏玩的著作有哪些？"), _passage(WEI_WAN, topic="魏玩"))
    assert features.shape == (4, len(FEATURES))
    assert features[0, FEATURES.index("focus_words")] == 0  # 魏玩 alone
    assert features[3, FEATURES.index("focus_chars")] > 0  # 著


def test_sentence_that_points_back_comes_with_the_one_before(tokenizer: Tokenizer) -> None:
    text = "一条兼定攻打元亲，元亲命全军渡河突击，一条军溃败。此战奠定了元亲在土佐的霸权。后来元亲统一四国。"
    answer = _answer(tokenizer, "为什么此战奠定了元亲在土佐的霸权？", text)
    assert answer == "一条兼定攻打元亲，元亲命全军渡河突击，一条军溃败。此战奠定了元亲在土佐的霸权。"


def test_sentence_cut_at_a_semicolon_comes_with_the_next(tokenizer: Tokenizer) -> None:
    text = "龙井产于杭州。中医上以全草入药，主治感冒发热、疟疾、痢疾等症；近年也用于乳糜尿。普洱产于云南。"
    answer = _answer(tokenizer, "这种草主治哪些病症？", text)
    assert answer == "中医上以全草入药，主治感冒发热、疟疾、痢疾等症；近年也用于乳糜尿。"


def test_cosine_decides_between_sentences_with_the_same_words(tokenizer: Tokenizer) -> None:
    text = "龙井是绿茶，产于杭州。普洱茶是云南的黑茶。龙井是绿茶，清明前采摘。"
    question = _question(tokenizer, "龙井是什么茶？")
    assert choose(question, _passage(text, cosines=[0.80, 0.70, 0.95])) == ((21, 33),)
    assert choose(question, _passage(text, cosines=[0.95, 0.70, 0.80]))[0] == (0, 11)


@pytest.mark.parametrize("question", ["云雾山茶园的主人是谁？", "今年的春茶怎么样？", "What is this?", "？"])
def test_answer_is_one_or_two_consecutive_sentences(tokenizer: Tokenizer, question: str) -> None:
    passage = _passage(TEA_GARDEN)
    spans = choose(_question(tokenizer, question), passage)
    assert 1 <= len(spans) <= 2
    first = passage.sentences.index(spans[0])
    assert spans == passage.sentences[first : first + len(spans)]


def test_passage_without_sentences_gives_no_answer(tokenizer: Tokenizer) -> None:
    passage = Passage("", (), (), ())
    assert choose(_question(tokenizer, "谁？"), passage) == ()
    assert answer_text("", ()) == ""


# --- how it reads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("陈恺说，“我们走的比这个更深一步……", "陈恺说，“我们走的比这个更深一步……”"),
        ("甚至吸收一些外部的贡献者参与进来。”", "甚至吸收一些外部的贡献者参与进来。"),
        ("他说：“‘云原生’不是一个特定的技术。”", "他说：“‘云原生’不是一个特定的技术。”"),
        ("这是《Kubernetes 编排一切", "这是《Kubernetes 编排一切》"),
        ("这就是 ACP 2.0。", "这就是 ACP 2.0。"),
    ],
)
def test_quotation_marks_are_balanced(text: str, shown: str) -> None:
    assert balanced(text) == shown


def test_answer_text_is_the_chosen_sentences_with_quotes_closed() -> None:
    text = "记者问起原生。陈恺说，“我们走的比这个更深一步。我很赞同这个观点。”"
    spans = tuple(sentence_spans(text))
    assert answer_text(text, spans[1:2]) == "陈恺说，“我们走的比这个更深一步。”"
    assert answer_text(text, spans[1:3]) == "陈恺说，“我们走的比这个更深一步。我很赞同这个观点。”"


# --- through the service, on the seed interview, with the real model ---------------------

QUESTIONS = Path(__file__).resolve().parents[1] / "fixtures" / "seed"


@pytest.mark.model
def test_seed_time_question_is_answered_with_the_sentence_holding_the_time(seed_service: QAService) -> None:
    answer = seed_service.ask("灵雀云什么时候决定转向 Kubernetes 原生架构？")
    assert answer.answer is not None
    assert "2017 年底" in answer.answer.text
    assert "ACP 2.0" not in answer.answer.text


@pytest.mark.model
def test_seed_answer_quoting_the_interviewee_closes_the_quote(seed_service: QAService) -> None:
    answer = seed_service.ask("ACP 2.0 是什么？")
    assert answer.answer is not None
    assert answer.answer.text.startswith("陈恺说，“我们走的比这个更深一步")
    assert answer.answer.text.endswith("。”")


@pytest.mark.model
@pytest.mark.parametrize(("name", "floor"), [("questions.yaml", 0.95), ("questions-extra.yaml", 0.88)])
def test_answer_sentence_is_right_when_the_passage_is(
    seed_service: QAService, name: str, floor: float
) -> None:
    """The sentence choice alone, as if every question were answered (whether
    one is answerable is `qa.evidence.confidence`'s call, not this stage's)."""
    right, wrong = 0, []
    for item in load_questions(QUESTIONS / name):
        best = seed_service.ask(item.question).passages[0]
        needles = [comparable(e) for e in item.expect]
        if not any(n in comparable(best.text) for n in needles):
            continue  # no expect phrase in the top passage: retrieval's miss, or unanswerable
        shown = comparable(answer_text(best.text, best.highlights))
        if any(n in shown for n in needles):
            right += 1
        else:
            wrong.append(item.question)
    # measured 0.96 (48 of 50: "k8s 赢了…" finds its passage, but not its reason sentence)
    # and 0.926 (25 of 27); 0.94 and 0.889 before a reason next door came with the best sentence;
    # since English questions are glossed (`qa.gloss`), 0.959 (47 of 49, the same two wrong:
    # one English question no longer finds its passage) and 0.889 (24 of 27: "Why did Alauda
    # decide early this year…" is shown when, 2017 年底, not why). Over the held-out English
    # sets (bench/data/*english.yaml) the gloss raised answer@1, 0.20 -> 0.30 and 0.35 -> 0.40
    assert right / (right + len(wrong)) >= floor, wrong


# --- code is context, not an answer ---------------------------------------------------------


CODE_PASSAGE = "用下面的命令列出监听的端口：\nss -tlnp\n它会显示每个端口背后的进程。"


def test_a_line_of_code_is_never_the_answer_to_a_prose_question(tokenizer: Tokenizer) -> None:
    question = _question(tokenizer, "ss 会显示端口背后的什么？")
    passage = dataclasses.replace(_passage(CODE_PASSAGE, cosines=[0.80, 0.99, 0.85]), code=(1,))
    assert answer_text(CODE_PASSAGE, choose(question, passage)) == "它会显示每个端口背后的进程。"


def test_a_question_that_asks_for_a_command_may_get_a_line_of_code(tokenizer: Tokenizer) -> None:
    question = dataclasses.replace(_question(tokenizer, "用什么命令列出 ss 端口？"), wants_code=True)
    passage = dataclasses.replace(_passage(CODE_PASSAGE, cosines=[0.80, 0.99, 0.85]), code=(1,))
    assert "ss -tlnp" in answer_text(CODE_PASSAGE, choose(question, passage))
