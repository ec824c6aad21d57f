"""What the Slack bot says: Slack's text format in (mention markup, HTML
entities) and Block Kit messages out. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.answer import Answer, RankedPassage, said_by

NO_ANSWER = "文章中没有找到这个问题的答案。"
GENERIC_QUESTION = "你的问题"  # where the settings give no example_questions
EXCERPT_CHARS = 280  # a passage is shown as an excerpt of about this length
_CONTEXT_BEFORE = 40  # characters kept before the answering sentence in an excerpt

# <@U123> or <@U123|name>: a mention of a user (the bot itself, usually).
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Reply:
    """A Slack message: `text` is the notification / fallback, `blocks` the Block Kit body."""

    text: str
    blocks: list[dict] = field(default_factory=list)


# --- text in ------------------------------------------------------------------
def question_from(text: str) -> str:
    """The question in a message: mention markup removed, Slack's escaping
    (&amp; &lt; &gt;) undone, whitespace collapsed."""
    text = _MENTION.sub(" ", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


# --- text out -----------------------------------------------------------------
def escape(text: str) -> str:
    """Slack mrkdwn needs exactly these three characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    if not url:
        return escape(label)
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def _note(text: str) -> Reply:
    return Reply(text=escape(text), blocks=[_section(escape(text))])


# --- replies that are not answers ----------------------------------------------
def usage(how_to_ask: str, example_question: str | None = None) -> Reply:
    """`how_to_ask` is `/ask` or the bot's mention markup (`<@U123>`);
    `example_question` one about these articles (the example_questions setting)."""
    example = f"{how_to_ask} {escape(example_question or GENERIC_QUESTION)}"
    return Reply(text=f"请在后面写上问题，例如：{example}", blocks=[
        _section(f"请在后面写上你的问题，我会从文章里找答案，例如：\n>{example}"),
    ])


def too_long(length: int, limit: int) -> Reply:
    return _note(f"问题太长了：{length} 个字，最多 {limit} 个字。请缩短后再问。")


def not_ready() -> Reply:
    return _note("索引还在加载，请过一分钟再问。")


def invalid_question(reason: str) -> Reply:
    return _note(f"这个问题没法回答：{reason}")


def failed() -> Reply:
    return _note("抱歉，回答这个问题时出错了，请稍后再试。")


def searching(question: str) -> Reply:
    """The acknowledgement of a slash command, shown to the asker at once."""
    return Reply(text=f"正在查找：{escape(question)}")


def busy() -> Reply:
    return _note("现在要回答的问题太多了，请过一分钟再问。")


# --- the answer -------------------------------------------------------------------
def answer_reply(answer: Answer, passages: int, asker: str | None = None,
                 answer_id: str | None = None) -> Reply:
    """The answering sentence (or the no-answer message) and the best
    `passages` passages, each with a numbered citation linking to its source:
    of an answer, only its sources (`Answer.sources`: not those far below the
    best). `asker` (a user id) shows who asked what, for replies posted outside a thread;
    `answer_id` (the question log's) adds 👍/👎 buttons."""
    answered = answer.answerable and answer.answer is not None
    shown = [p for p in answer.passages if not answered or p.rank in answer.sources][:passages]
    blocks = [_context(f"<@{asker}> 问：{escape(answer.question)}")] if asker else []
    if answer.answerable and answer.answer:
        said = _spoken(_speaker_of(answer), answer.answer.text)
        text = f"答：{said}"
        blocks.append(_section(f"*答：* {said} [{answer.answer.passage}]"))
    else:
        text = NO_ANSWER
        blocks.append(_section(f":mag: {NO_ANSWER}"))
        if shown:
            blocks.append(_context("下面是最接近的段落，不一定回答了这个问题："))
    if shown:
        blocks.append({"type": "divider"})
        blocks.extend(_section(_cited_passage(p)) for p in shown)
    if answer_id:
        blocks.append(vote_buttons(answer_id))
    return Reply(text=text, blocks=blocks)


VOTE_ACTIONS = {"vote_up": "up", "vote_down": "down"}  # action_id -> vote


def vote_buttons(answer_id: str) -> dict:
    """👍/👎 under an answer; a click comes back to /slack/interactivity with
    the action_id and the answer's id as `value`."""
    labels = {"vote_up": "👍 有帮助", "vote_down": "👎 没帮助"}
    return {"type": "actions", "block_id": "qa_vote", "elements": [
        {"type": "button", "action_id": action, "value": answer_id,
         "text": {"type": "plain_text", "text": label, "emoji": True}}
        for action, label in labels.items()]}


def _speaker_of(answer: Answer) -> str | None:
    """Who says the answering sentence: the speaker of the passage it comes from."""
    rank = answer.answer.passage if answer.answer else None
    return next((p.speaker for p in answer.passages if p.rank == rank), None)


def _spoken(speaker: str | None, text: str) -> str:
    """`text` escaped for mrkdwn, after its speaker when known ("陈恺：…")."""
    return escape(said_by(speaker, text) + text)


def _cited_passage(passage: RankedPassage) -> str:
    citation = passage.citation
    label = " · ".join(part for part in (citation.title, citation.section) if part)
    quoted = _spoken(passage.speaker, excerpt(passage)).replace("\n", "\n>")
    return f"*[{passage.rank}]* {link(citation.url, label)}\n>{quoted}"


def excerpt(passage: RankedPassage) -> str:
    """The passage, or a window of it around its first highlight when it is long."""
    text = passage.text
    if len(text) <= EXCERPT_CHARS:
        return text
    first = passage.highlights[0][0] if passage.highlights else 0
    start = max(0, min(first - _CONTEXT_BEFORE, len(text) - EXCERPT_CHARS))
    end = start + EXCERPT_CHARS
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
