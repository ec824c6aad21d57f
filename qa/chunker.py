"""Markdown article → paragraph passages.

Headings become the section of the passages below them; images, rules and
markup are dropped; fragments shorter than `min_chars` join a neighbour in
the same section; paragraphs longer than `max_chars` are split at sentence
ends (or, failing those, at commas, then at the limit), never truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.corpus import Article
from qa.text import sentence_spans

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|\*|~~|`)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)
_SOFT_BREAK = re.compile(r"\s*\n\s*")
_COMMA_SPLIT = re.compile(r"(?<=[，、,：:])")
_LEADS_IN = ("：", ":")


@dataclass(frozen=True)
class ChunkSettings:
    max_chars: int = 800
    min_chars: int = 20


@dataclass
class Passage:
    id: str
    article_id: str
    text: str
    section: str | None
    paragraph: int
    span: tuple[int, int]  # [start, end) in the article's source file
    links: list[str] = field(default_factory=list)


@dataclass
class _Block:
    text: str
    section: str | None
    span: tuple[int, int]
    links: list[str]


def strip_markup(text: str) -> tuple[str, list[str]]:
    """Plain text of a Markdown paragraph, and the link targets it held."""
    links = [m.group(2) for m in _LINK.finditer(_IMAGE.sub("", text))]
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    for _ in range(2):  # nested emphasis such as ***x***
        text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(4), text)
    text = _LIST_MARK.sub("", text)
    return _SOFT_BREAK.sub(_join_lines, text).strip(), [u for u in links if u]


def _join_lines(match: re.Match[str]) -> str:
    # Chinese lines join without a space; English words need one.
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    return " " if before.isascii() and after.isascii() else ""


def _raw_blocks(source: str, start: int) -> list[tuple[str, int, int]]:
    """Runs of non-blank lines with their source offsets, quote markers removed.

    A quote's own blank lines ('>' alone) separate its paragraphs, like
    blank lines outside it.
    """
    blocks: list[tuple[str, int, int]] = []
    lines: list[str] = []
    begin = end = start
    quoted = False
    for match in re.finditer(r"[^\n]*(?:\n|$)", source[start:]):
        if not match.group(0):
            break
        line_start, line_end = start + match.start(), start + match.end()
        is_quote = bool(_QUOTE.match(match.group(0)))
        content = _QUOTE.sub("", match.group(0), count=1) if is_quote else match.group(0)
        if lines and (not content.strip() or is_quote != quoted):
            blocks.append(("".join(lines), begin, end))
            lines = []
        if content.strip():
            if not lines:
                begin, quoted = line_start, is_quote
            lines.append(content)
            end = line_end
    if lines:
        blocks.append(("".join(lines), begin, end))
    return blocks


def _blocks(article: Article) -> list[_Block]:
    section: str | None = None
    blocks = []
    for raw, begin, end in _raw_blocks(article.source, article.body_start):
        first_line = raw.strip().splitlines()[0]
        heading = _HEADING.match(first_line)
        if heading:
            section = strip_markup(heading.group(2))[0] or None
            raw = raw.strip().partition("\n")[2]
            if not raw.strip():
                continue
        lines = raw.strip().splitlines()
        if len(lines) > 1 and _SETEXT_UNDERLINE.match(lines[-1]):  # "标题\n===" or "标题\n---"
            section = strip_markup(" ".join(lines[:-1]))[0] or None
            continue
        if _RULE.match(raw.strip()):
            continue
        text, links = strip_markup(raw)
        if text and any(ch.isalnum() for ch in text):
            blocks.append(_Block(text, section, (begin, end), links))
    return blocks


def _merge_fragments(blocks: list[_Block], min_chars: int) -> list[_Block]:
    """Join short fragments to the previous block of their section (else the next)."""
    merged: list[_Block] = []
    pending: _Block | None = None  # a fragment waiting for the next block
    for block in blocks:
        if pending and pending.section == block.section:
            block = _join(pending, block)
            pending = None
        elif pending:
            merged.append(pending)
            pending = None
        if len(block.text) >= min_chars:
            merged.append(block)
        elif block.text.endswith(_LEADS_IN):
            pending = block  # "技术栈分为三层：" introduces what follows
        elif merged and merged[-1].section == block.section:
            merged[-1] = _join(merged[-1], block)
        else:
            pending = block
    if pending:
        merged.append(pending)
    return merged


def _join(first: _Block, second: _Block) -> _Block:
    sep = " " if first.text[-1:].isascii() and second.text[:1].isascii() else ""
    return _Block(
        first.text + sep + second.text,
        first.section,
        (first.span[0], second.span[1]),
        first.links + second.links,
    )


def split_long(text: str, max_chars: int) -> list[str]:
    """Pieces of at most `max_chars`, cut at sentence ends where possible."""
    if len(text) <= max_chars:
        return [text]
    units = [text[s:e] for s, e in sentence_spans(text)]
    units = [piece for unit in units for piece in _split_unit(unit, max_chars)]
    pieces, current = [], ""
    for unit in units:
        sep = " " if current[-1:].isascii() and unit[:1].isascii() and current else ""
        if current and len(current) + len(sep) + len(unit) > max_chars:
            pieces.append(current)
            current, sep = "", ""
        current += sep + unit
    if current:
        pieces.append(current)
    return pieces


def _split_unit(sentence: str, max_chars: int) -> list[str]:
    """A sentence longer than the budget: cut at commas, else at the budget."""
    if len(sentence) <= max_chars:
        return [sentence]
    clauses = [c.strip() for c in _COMMA_SPLIT.split(sentence) if c.strip()]
    if len(clauses) == 1:
        return [sentence[i : i + max_chars] for i in range(0, len(sentence), max_chars)]
    return [piece for clause in clauses for piece in _split_unit(clause, max_chars)]


def chunk_article(article: Article, settings: ChunkSettings = ChunkSettings()) -> list[Passage]:
    passages = []
    blocks = _merge_fragments(_blocks(article), settings.min_chars)
    for paragraph, block in enumerate(blocks, start=1):
        pieces = split_long(block.text, settings.max_chars)
        for part, piece in enumerate(pieces, start=1):
            suffix = f".{part}" if len(pieces) > 1 else ""
            passages.append(
                Passage(
                    id=f"{article.id}#p{paragraph}{suffix}",
                    article_id=article.id,
                    text=piece,
                    section=block.section,
                    paragraph=paragraph,
                    span=block.span,
                    links=block.links,
                )
            )
    return passages
