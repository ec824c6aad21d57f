"""Markdown article → paragraph passages.

The body is parsed as CommonMark (markdown-it-py) with GFM tables and
strikethrough and footnotes (mdit-py-plugins); each block's source lines give
the passage's span. Headings become the section of the passages below them;
images, rules, HTML tags and markup are dropped, link targets kept; code keeps
its lines; a table's rows become sentences ("名称：ACP；说明：容器平台。"); the
items of a tight list make one block; fragments shorter than `min_chars` join
a neighbour in the same section; paragraphs longer than `max_chars` are split
at sentence ends (or, failing those, at commas, then at the limit), never
truncated.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from itertools import accumulate

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import validateLink
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from qa.ingest.articles import Article
from qa.ingest.boilerplate import Boilerplate
from qa.ingest.turns import is_turn
from qa.settings import default
from qa.text import ends_sentence, sentence_spans

_LINE_BREAK = re.compile(r"\s*\n\s*")  # a line break in a block's text, with the white space around it
_SOURCE_LINE_END = re.compile(r"\r\n?|\n")  # how markdown-it counts source lines
# A paragraph of addresses alone (a video's, a page's) is no prose: kept
# like code, as context, never an answer of its own.
_URLS_ALONE = re.compile(r"\s*(?:(?:https?|ftp)://\S+\s*)+")
_COMMA_SPLIT = re.compile(r"[，、,：:]")
_LEADS_IN = ("：", ":")


@dataclass(frozen=True)
class ChunkSettings:
    max_chars: int = default("max_passage_chars")
    min_chars: int = default("min_passage_chars")


@dataclass
class Passage:
    id: str
    article_id: str
    text: str
    section: str | None
    paragraph: int
    span: tuple[int, int]  # [start, end) in the article's source file
    links: list[str] = field(default_factory=list)
    code: tuple[int, ...] = ()  # which of its sentences (`qa.text.sentence_spans`) are lines of code


@dataclass
class _Block:
    text: str
    section: str | None
    span: tuple[int, int]
    links: list[str]
    code: bool = False  # the block is, or ends in, code
    tight_list: int | None = None  # ordinal of the tight list whose item this paragraph is
    code_lines: tuple[str, ...] = ()  # its lines of code, stripped


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """CommonMark with GFM tables and strikethrough, and `[^label]` footnotes
    left where they are defined (so they keep their section), referenced or not."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.use(footnote_plugin, inline=False, move_to_end=False)
    # Nothing is rendered, so every link parses as a link (its text stays
    # clean); `_inline_text` keeps only the targets markdown-it deems safe.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


class _HTMLText(HTMLParser):
    """The text of HTML: tags and comments dropped, entities decoded, script
    and style contents skipped, line-breaking tags read as a space."""

    _SKIPPED = ("script", "style")
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "td", "th", "blockquote",
                         "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self, parts: list[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.parts = parts
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.skipping += tag in self._SKIPPED
        if tag in self._BREAKS:
            self.parts.append(" ")  # 第一行<br>second line: two words, not one

    def handle_endtag(self, tag: str) -> None:
        self.skipping -= tag in self._SKIPPED and self.skipping > 0

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def read(self, html: str, *, last: bool = False) -> bool:
        """Feed `html` (and end the input if `last`); False where html.parser
        gives up on it (some "<![" forms)."""
        try:
            self.feed(html)
            if last:
                self.close()
        except AssertionError:
            return False
        return True


def strip_html(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    parser = _HTMLText([])
    if not parser.read(text, last=True):
        return text  # keep what the parser cannot read as it is
    return "".join(parser.parts)


def _unwrap(text: str) -> str:
    """A block's lines as one line: Chinese lines join without a space, English words with one."""
    return _LINE_BREAK.sub(_line_joint, text).strip() if "\n" in text else text.strip()


def _line_joint(match: re.Match[str]) -> str:
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    return " " if before.isascii() and after.isascii() else ""


def _inline_text(inline: Token) -> tuple[str, list[str]]:
    """Plain text of a block's inline content, and its link targets.

    Markup tokens carry no text and an image's alt text is not passage text;
    inline HTML goes through the HTML parser, so that <script>…</script> is
    skipped and <br> separates words, as in a browser.
    """
    parts: list[str] = []
    links: list[str] = []
    html: _HTMLText | None = None  # made for the first tag: most paragraphs have none
    for token in inline.children or ():
        if token.type == "html_inline":
            html = html or _HTMLText(parts)
            html.read(token.content)
        elif html and html.skipping:
            continue
        elif token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type == "softbreak":
            parts.append("\n")
        elif token.type == "hardbreak":
            parts.append(" ")  # the author broke the line on purpose: like <br>
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href and validateLink(href):  # no "javascript:" and the like
                links.append(href)
    return _unwrap("".join(parts)), links


def strip_markup(text: str) -> tuple[str, list[str]]:
    """Plain text of a line of Markdown, and the link targets it held."""
    [inline] = _markdown().parseInline(text)
    return _inline_text(inline)


def _code_text(raw: str) -> str:
    """Code as written: its lines, common indentation and blank edges removed."""
    return textwrap.dedent(raw).strip("\n").rstrip()


def _table_text(tokens: Sequence[Token], start: int) -> tuple[str, list[str]]:
    """The table opening at `tokens[start]` as one sentence per row, each cell named by its column."""
    rows: list[list[str]] = []
    links: list[str] = []
    for token in tokens[start:]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline":
            text, cell_links = _inline_text(token)
            rows[-1].append(text)
            links += cell_links
    header, sentences = rows[0], []
    for row in rows[1:]:
        pairs = [f"{name}：{cell}" if name else cell
                 for name, cell in zip(header, row, strict=False) if cell]
        if pairs:
            sentences.append("；".join(pairs) + "。")
    return "".join(sentences), links


def _block_content(tokens: Sequence[Token], i: int) -> tuple[str, list[str], bool] | None:
    """Text, link targets and whether it is code, for a token that starts a
    block of text; None for any other token."""
    token = tokens[i]
    if token.type == "inline" and tokens[i - 1].type == "paragraph_open":
        text, links = _inline_text(token)
        return text, links, bool(_URLS_ALONE.fullmatch(text))
    if token.type in ("fence", "code_block"):
        return _code_text(token.content), [], True
    if token.type == "html_block":
        return _unwrap(strip_html(token.content)), [], False
    if token.type == "table_open":
        return (*_table_text(tokens, i), False)
    return None  # containers (quotes, lists, footnotes) open; rules and the rest carry no text


def _line_offsets(article: Article) -> list[int]:
    """Offset in the source file of each line of the body, then of its end."""
    body, start = article.body, article.body_start
    if "\r" in body:  # markdown-it ends lines at "\r\n", "\r" and "\n"
        ends = [m.end() for m in _SOURCE_LINE_END.finditer(body)]
    else:  # the usual file, and four times faster than the search
        ends = list(accumulate(len(line) + 1 for line in body.split("\n")))[:-1]
    return [start, *(start + end for end in ends), len(article.source)]


# A link reference definition whose title, in parentheses, holds parentheses:
# "[9]: https://… (Official keyboard (with YubiKey) and mouse.)".
_LINK_DEFINITION = re.compile(r"^( {0,3}\[(?!\^)[^\]\n]+\]:[ \t]+\S+)([ \t]+\([^\n]*\([^\n]*)$", re.MULTILINE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)


def _without_link_titles(body: str) -> str:
    """`body` without the titles CommonMark cannot parse in its link
    reference definitions (nested parentheses), outside fenced code. Such a
    definition, and every one below it, would read as a paragraph of URLs,
    and the images that use them as their literal source; 15 articles of the
    2019 archive have one. Nothing uses a link's title. Lines keep their
    count: spans stay true."""
    parts = _FENCE.split(body)
    # split() gives text, fence, text, fence, ...: text at even positions;
    # the text after an odd number of fences is inside code.
    fences = 0
    for at in range(0, len(parts), 2):
        if fences % 2 == 0:
            parts[at] = _LINK_DEFINITION.sub(r"\1", parts[at])
        fences += at + 1 < len(parts)
    return "".join(parts)


def _blocks(article: Article) -> list[_Block]:
    """The blocks of text of the body in source order, with section and span."""
    tokens = _markdown().parse(_without_link_titles(article.body))
    offsets = _line_offsets(article)
    blocks: list[_Block] = []
    section: str | None = None
    open_lists = tight_list = 0  # lists around the token; ordinal of the outermost one
    for i, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            tight_list += open_lists == 0
            open_lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            open_lists -= 1
        elif token.type == "inline" and tokens[i - 1].type == "heading_open":
            section = _inline_text(token)[0] or None
        elif (content := _block_content(tokens, i)) and token.map:
            text, links, code = content
            has_text = bool(text) if code else any(ch.isalnum() for ch in text)  # not an image or "***"
            if has_text:
                span = (offsets[token.map[0]], offsets[token.map[1]])
                in_tight_list = token.type == "inline" and tokens[i - 1].hidden
                blocks.append(_Block(text, section, span, links, code, tight_list if in_tight_list else None,
                                     _code_lines(text) if code else ()))
    return blocks


def _join_tight_lists(blocks: list[_Block]) -> list[_Block]:
    """The items of a tight list (no blank line between them) read as one block."""
    joined: list[_Block] = []
    for block in blocks:
        previous = joined[-1] if joined else None
        same_list = previous is not None and block.tight_list is not None and (
            (block.tight_list, block.section) == (previous.tight_list, previous.section))
        if previous and same_list:
            joined[-1] = _join(previous, block)
        else:
            joined.append(block)
    return joined


def _merge_fragments(blocks: list[_Block], min_chars: int) -> list[_Block]:
    """Join short fragments to the previous block of their section (else the
    next), but for a turn of a conversation (`is_turn`), and code to the
    paragraph that introduces it with a colon."""
    merged: list[_Block] = []
    pending: _Block | None = None  # a fragment waiting for the next block
    for block in blocks:
        if pending and pending.section == block.section:
            block = _join(pending, block, paragraphs=True)
            pending = None
        elif pending:
            merged.append(pending)
            pending = None
        introduced = merged and merged[-1].section == block.section and merged[-1].text.endswith(_LEADS_IN)
        if block.code and introduced:
            merged[-1] = _join(merged[-1], block)  # "运行下面的命令：" and the command
        elif len(block.text) >= min_chars or is_turn(block.text):
            merged.append(block)  # a short question or labelled turn keeps its own passage
        elif block.text.endswith(_LEADS_IN):
            pending = block  # "技术栈分为三层：" introduces what follows
        elif merged and merged[-1].section == block.section:
            merged[-1] = _join(merged[-1], block, paragraphs=True)
        else:
            pending = block
    if pending:
        merged.append(pending)
    return merged


def _join(first: _Block, second: _Block, paragraphs: bool = False) -> _Block:
    """One block of two; joining `paragraphs`, the first one's end stays a
    sentence's end, with or without a full stop (not "她帮我们照的。 :D" and the
    next paragraph's first sentence as one)."""
    if first.code or second.code:
        sep = "\n"  # code keeps its own lines
    elif paragraphs and not ends_sentence(first.text) and not first.text.endswith(_LEADS_IN):
        sep = "\n"  # a line's end ends a sentence (`qa.text.sentence_spans`)
    else:
        sep = " " if first.text[-1:].isascii() and second.text[:1].isascii() else ""
    return _Block(
        first.text + sep + second.text,
        first.section,
        (first.span[0], second.span[1]),
        first.links + second.links,
        second.code,  # ends in code: what joins next goes on a line of its own
        first.tight_list,
        first.code_lines + second.code_lines,
    )
def split_long(text: str, max_chars: int) -> list[str]:
    """Pieces of at most `max_chars`, cut at sentence ends where possible;
    each piece is a slice of `text`, so code keeps its line breaks."""
    if len(text) <= max_chars:
        return [text]
    units = [unit for start, end in sentence_spans(text) for unit in _unit_spans(text, start, end, max_chars)]
    pieces: list[str] = []
    start = end = units[0][0]
    for unit_start, unit_end in units:
        if unit_end - start > max_chars and end > start:
            pieces.append(text[start:end])
            start = unit_start
        end = unit_end
    pieces.append(text[start:end])
    return pieces


def _unit_spans(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A sentence longer than the budget: cut at commas, else at the budget."""
    if end - start <= max_chars:
        return [(start, end)]
    cuts = [start, *(m.end() for m in _COMMA_SPLIT.finditer(text, start, end) if start < m.end() < end), end]
    clauses = [_trimmed(text, a, b) for a, b in itertools.pairwise(cuts)]
    clauses = [(a, b) for a, b in clauses if b > a]
    if len(clauses) == 1:
        a, b = clauses[0]
        return [(i, min(i + max_chars, b)) for i in range(a, b, max_chars)]
    return [unit for a, b in clauses for unit in _unit_spans(text, a, b, max_chars)]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _code_lines(code: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in code.splitlines() if line.strip())


def _code_sentences(text: str, code_lines: Sequence[str]) -> tuple[int, ...]:
    """Which sentences of `text` are (parts of) lines of code: a line break
    ends a sentence, so each is inside one line."""
    if not code_lines:
        return ()
    return tuple(number for number, (start, end) in enumerate(sentence_spans(text))
                 if any(text[start:end] in line for line in code_lines))


def _without_boilerplate(blocks: list[_Block], article: Article, boilerplate: Boilerplate) -> list[_Block]:
    kept = []
    for block in blocks:
        if block.code:
            text = boilerplate.without_lines(block.text)
            if text:
                kept.append(dataclasses.replace(block, text=text, code_lines=_code_lines(text)))
        elif not boilerplate.covers(article.source[slice(*block.span)]):
            kept.append(block)
    return kept


def chunk_article(article: Article, settings: ChunkSettings = ChunkSettings(),
                  boilerplate: Boilerplate | None = None) -> list[Passage]:
    """The article's passages, without the blocks `boilerplate` covers."""
    passages = []
    blocks = _blocks(article)
    if boilerplate:
        blocks = _without_boilerplate(blocks, article, boilerplate)
    blocks = _merge_fragments(_join_tight_lists(blocks), settings.min_chars)
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
                    code=_code_sentences(piece, block.code_lines),
                )
            )
    return passages
