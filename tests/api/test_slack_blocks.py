"""What the Slack bot says, without Slack: text in, Block Kit out."""

from __future__ import annotations

import json

import pytest

from api.slack_blocks import (
    EXCERPT_CHARS,
    NO_ANSWER,
    answer_reply,
    escape,
    excerpt,
    link,
    question_from,
    usage,
)
from qa.answer import SOURCE_CUT, Answer, AnswerText, Citation, RankedPassage


def passage(rank: int, text: str = "Helm 是 Kubernetes 的包管理工具。", highlights=((0, 21),),
            url: str | None = "https://linux.cn/article-1-1.html",
            section: str | None = "工具", speaker: str | None = None) -> RankedPassage:
    citation = Citation(article_id="a", title="云原生入门", author=None, date=None, url=url,
                        article_url=url, section=section, paragraph=rank)
    return RankedPassage(rank=rank, id=f"a#p{rank}", text=text, score=0.9, highlights=list(highlights),
                         citation=citation, speaker=speaker)


def answer(answerable: bool = True, count: int = 5) -> Answer:
    return Answer(question="Helm 是什么？", answerable=answerable,
                  answer=AnswerText(text="Helm 是 Kubernetes 的包管理工具。", passage=1),
                  passages=[passage(rank) for rank in range(1, count + 1)], timings_ms={})


def text_of(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize(("text", "question"), [
    ("<@U012AB3CD> Helm 是什么？", "Helm 是什么？"),
    ("<@U012AB3CD|qa>   Helm\n是什么？", "Helm 是什么？"),
    ("Helm 是什么？ <@W0ENTERPRISE>", "Helm 是什么？"),
    ("a &lt; b &amp;&amp; c &gt; d 吗？", "a < b && c > d 吗？"),
    ("<@U012AB3CD>", ""),
    ("", ""),
])
def test_question_from_strips_mentions_and_slack_escaping(text, question):
    assert question_from(text) == question


def test_escape_and_link_keep_mrkdwn_intact():
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert link("https://x.org/a?b=1&c=2", "标题 <1>") == "<https://x.org/a?b=1&amp;c=2|标题 &lt;1&gt;>"
    assert link(None, "没有网址") == "没有网址"


def test_answer_reply_has_the_sentence_and_three_cited_passages():
    reply = answer_reply(answer(), passages=3)
    assert reply.text == "答：Helm 是 Kubernetes 的包管理工具。"
    body = text_of(reply.blocks)
    assert "*答：* Helm 是 Kubernetes 的包管理工具。 [1]" in body
    for rank in (1, 2, 3):
        assert f"*[{rank}]* <https://linux.cn/article-1-1.html|云原生入门 · 工具>" in body
    assert "*[4]*" not in body
    assert NO_ANSWER not in body


def test_answer_reply_leaves_out_passages_far_below_the_best():
    reply = answer(count=4)
    reply.passages[2].score = 0.9 * SOURCE_CUT - 0.01  # under the cut
    reply.passages[3].score = 0.9 * SOURCE_CUT  # at it: shown
    body = text_of(answer_reply(reply, passages=3).blocks)
    assert [rank for rank in (1, 2, 3, 4) if f"*[{rank}]*" in body] == [1, 2, 4]


def test_answer_reply_to_a_slash_command_shows_who_asked_what():
    reply = answer_reply(answer(), passages=3, asker="U1")
    assert reply.blocks[0]["elements"][0]["text"] == "<@U1> 问：Helm 是什么？"


def test_unanswerable_reply_says_so_and_labels_the_passages():
    reply = answer_reply(answer(answerable=False), passages=3)
    assert reply.text == NO_ANSWER
    body = text_of(reply.blocks)
    assert "最接近的段落" in body
    assert "答：" not in body
    assert "*[3]*" in body


def test_unanswerable_reply_without_passages_is_just_the_message():
    reply = answer_reply(answer(answerable=False, count=0), passages=3)
    assert [block["type"] for block in reply.blocks] == ["section"]


def test_citation_without_url_or_section_is_the_title():
    reply = answer_reply(Answer(question="q", answerable=True, answer=AnswerText(text="t", passage=1),
                                passages=[passage(1, url=None, section=None)], timings_ms={}), 3)
    assert "*[1]* 云原生入门\\n>" in text_of(reply.blocks)


def test_long_passage_is_shown_around_its_answering_sentence():
    text = "前" * 500 + "答案在这里。" + "后" * 500
    shown = excerpt(passage(1, text=text, highlights=[(500, 506)]))
    assert "答案在这里。" in shown
    assert shown.startswith("…") and shown.endswith("…")
    assert len(shown) == EXCERPT_CHARS + 2


def test_short_passage_is_shown_whole():
    assert excerpt(passage(1, text="短段落。")) == "短段落。"


def test_usage_shows_how_to_ask_with_the_settings_example_question():
    assert "/ask 龙井产自哪里？" in text_of(usage("/ask", "龙井产自哪里？").blocks)
    assert "<@U1> 龙井产自哪里？" in usage("<@U1>", "龙井产自哪里？").text
    assert "<@U1> 你的问题" in usage("<@U1>").text  # none set: nothing of another corpus


def test_text_for_notifications_is_escaped_too():
    reply = answer_reply(Answer(question="q", answerable=True, answer=AnswerText(text="a < b", passage=1),
                                passages=[passage(1)], timings_ms={}), 3)
    assert reply.text == "答：a &lt; b"


def interview_answer() -> Answer:
    """The answer comes from passage 2, where 陈恺 speaks; passage 1 has no speaker."""
    said = "ACP 2.0 是把整个平台都做成 Kubernetes 原生的。"
    return Answer(question="ACP 2.0 是什么？", answerable=True, answer=AnswerText(text=said, passage=2),
                  passages=[passage(1, text="主持人问到了 ACP。"), passage(2, text=said, speaker="陈恺")],
                  timings_ms={})


def test_speaker_is_shown_before_the_answer_and_the_quote():
    reply = answer_reply(interview_answer(), passages=3)
    assert reply.text == "答：陈恺：ACP 2.0 是把整个平台都做成 Kubernetes 原生的。"
    answer_block, _, first, second = reply.blocks
    assert answer_block["text"]["text"] == "*答：* 陈恺：ACP 2.0 是把整个平台都做成 Kubernetes 原生的。 [2]"
    assert first["text"]["text"].endswith("\n>主持人问到了 ACP。")  # no speaker, no prefix
    assert second["text"]["text"].endswith("\n>陈恺：ACP 2.0 是把整个平台都做成 Kubernetes 原生的。")


def test_an_answer_that_names_its_speaker_is_not_labelled_again():
    said = "陈恺说，“ACP 2.0 是把整个平台都做成 Kubernetes 原生的。”"
    answer = Answer(question="ACP 2.0 是什么？", answerable=True, answer=AnswerText(text=said, passage=1),
                    passages=[passage(1, text=said, speaker="陈恺")], timings_ms={})
    reply = answer_reply(answer, 3)
    assert reply.text == f"答：{said}"


def test_speaker_is_escaped_like_the_text():
    reply = answer_reply(Answer(question="q", answerable=True, answer=AnswerText(text="t", passage=1),
                                passages=[passage(1, text="t", speaker="<@U1> & co")], timings_ms={}), 3)
    assert reply.text == "答：&lt;@U1&gt; &amp; co：t"
