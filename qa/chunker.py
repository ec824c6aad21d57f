"""Markdown article → paragraph passages.

Headings become the section of the passages below them; images, rules,
HTML tags and markup are dropped; fenced code keeps its lines; a table's rows
become sentences ("名称：ACP；说明：容器平台。"); fragments shorter than
`min_chars` join a neighbour in the same section; paragraphs longer than
`max_chars` are split at sentence ends (or, failing those, at commas, then at
the limit), never truncated.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser

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
# A backtick fence's info string holds no backtick (CommonMark), so a line such
# as "```ls``` 列出文件" is text with a code span, not a fence.
_FENCE = re.compile(r"^\s*(`{3,}(?=[^`]*$)|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_CELL_SEP = re.compile(r"(?<!\\)\|")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>")
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
    code: bool = False  # the block is, or ends in, fenced code


class _HTMLText(HTMLParser):
    """The text of an HTML fragment: tags and comments dropped, entities
    decoded, script and style contents skipped."""

    _SKIPPED = ("script", "style")
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "td", "th", "blockquote",
                         "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._skipping += tag in self._SKIPPED
        if tag in self._BREAKS:
            self.parts.append(" ")  # 第一行<br>second line: two words, not one

    def handle_endtag(self, tag: str) -> None:
        self._skipping -= tag in self._SKIPPED and self._skipping > 0

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def strip_html(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    parser = _HTMLText()
    try:
        parser.feed(text)
        parser.close()
    except AssertionError:  # html.parser gives up on some "<![" forms: keep the text as it is
        return text
    return "".join(parser.parts)


def _strip_html_outside_code(text: str) -> str:
    """HTML stripped everywhere but in code spans, whose backticks go:
    `<script>` and List<String> are text there."""
    parts = _CODE_SPAN.split(text)  # [text, ticks, code, text, ticks, code, ..., text]
    return "".join(strip_html(part) if i % 3 == 0 else part if i % 3 == 2 else ""
                   for i, part in enumerate(parts))


def strip_markup(text: str) -> tuple[str, list[str]]:
    """Plain text of a Markdown paragraph, and the link targets it held."""
    text = _AUTOLINK.sub(r"[\1](\1)", text)
    links = [m.group(2) for m in _LINK.finditer(_IMAGE.sub("", text))]
    text = _IMAGE.sub("", text)
    text = _strip_html_outside_code(_LINK.sub(r"\1", text))
    for _ in range(2):  # nested emphasis such as ***x***
        text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(4), text)
    text = _LIST_MARK.sub("", text)
    return _SOFT_BREAK.sub(_join_lines, text).strip(), [u for u in links if u]


def _join_lines(match: re.Match[str]) -> str:
    # Chinese lines join without a space; English words need one.
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    return " " if before.isascii() and after.isascii() else ""


def _raw_blocks(source: str, start: int) -> list[tuple[str, int, int, bool]]:
    """Runs of non-blank lines with their source offsets, quote markers
    removed, and whether the run is fenced code (kept whole, blank lines and
    all, fences dropped).

    A quote's own blank lines ('>' alone) separate its paragraphs, like
    blank lines outside it.
    """
    blocks: list[tuple[str, int, int, bool]] = []
    lines: list[str] = []
    begin = end = start
    quoted = False
    fence: str | None = None  # the opening fence while inside fenced code
    for match in re.finditer(r"[^\n]*(?:\n|$)", source[start:]):
        if not match.group(0):
            break
        line_start, line_end = start + match.start(), start + match.end()
        is_quote = bool(_QUOTE.match(match.group(0)))
        content = _QUOTE.sub("", match.group(0), count=1) if is_quote else match.group(0)
        opening = _FENCE.match(content)  # fences open in quotes and list items too
        if fence is not None:  # inside code: everything until the closing fence
            closing = opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence)
            if closing and not content[opening.end() :].strip():
                blocks.append(("".join(lines), begin, line_end, True))
                lines, fence = [], None
            else:
                lines.append(content)
            continue
        if opening:
            if lines:
                blocks.append(("".join(lines), begin, end, False))
            lines, fence, begin = [], opening.group(1), line_start
            continue
        if lines and (not content.strip() or is_quote != quoted):
            blocks.append(("".join(lines), begin, end, False))
            lines = []
        if content.strip():
            if not lines:
                begin, quoted = line_start, is_quote
            lines.append(content)
            end = line_end
    if lines:  # an unclosed fence runs to the end of the file
        blocks.append(("".join(lines), begin, len(source), fence is not None))
    return blocks


def _blocks(article: Article) -> list[_Block]:
    section: str | None = None
    blocks = []
    for raw, begin, end, code in _raw_blocks(article.source, article.body_start):
        if code:
            text = _code_text(raw)
            if text:
                blocks.append(_Block(text, section, (begin, end), [], code=True))
            continue
        if not raw.strip():
            continue
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
        text, links = _table_text(lines) if _is_table(lines) else strip_markup(raw)
        if text and any(ch.isalnum() for ch in text):
            blocks.append(_Block(text, section, (begin, end), links))
    return blocks


def _code_text(raw: str) -> str:
    """Fenced code as written: its lines, common indentation and blank edges removed."""
    return textwrap.dedent(raw).strip("\n").rstrip()


def _is_table(lines: list[str]) -> bool:
    return len(lines) >= 2 and "|" in lines[0] and bool(_TABLE_RULE.match(lines[1]))


def _cells(line: str) -> list[str]:
    cells = _CELL_SEP.split(line.strip().removeprefix("|").removesuffix("|"))
    return [strip_markup(c.replace("\\|", "|"))[0] for c in cells]


def _table_text(lines: list[str]) -> tuple[str, list[str]]:
    """A table as one sentence per row, each cell named by its column."""
    header = _cells(lines[0])
    rows = []
    for line in lines[2:]:
        pairs = [f"{name}：{cell}" if name else cell
                 for name, cell in zip(header, _cells(line), strict=False) if cell]
        if pairs:
            rows.append("；".join(pairs) + "。")
    links = [link for line in lines for link in strip_markup(line)[1]]
    return "".join(rows), links


def _merge_fragments(blocks: list[_Block], min_chars: int) -> list[_Block]:
    """Join short fragments to the previous block of their section (else the
    next), and code to the paragraph that introduces it with a colon."""
    merged: list[_Block] = []
    pending: _Block | None = None  # a fragment waiting for the next block
    for block in blocks:
        if pending and pending.section == block.section:
            block = _join(pending, block)
            pending = None
        elif pending:
            merged.append(pending)
            pending = None
        introduced = merged and merged[-1].section == block.section and merged[-1].text.endswith(_LEADS_IN)
        if block.code and introduced:
            merged[-1] = _join(merged[-1], block)  # "运行下面的命令：" and the command
        elif len(block.text) >= min_chars:
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
    if first.code or second.code:
        sep = "\n"  # code keeps its own lines
    else:
        sep = " " if first.text[-1:].isascii() and second.text[:1].isascii() else ""
    return _Block(
        first.text + sep + second.text,
        first.section,
        (first.span[0], second.span[1]),
        first.links + second.links,
        second.code,  # ends in code: what joins next goes on a line of its own
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
