"""Boilerplate: the lines a publisher repeats across its articles (credit
blocks, notices, share buttons), found from the corpus itself, not from a
list of one publisher's wording.

A line's *shape* is the line with what varies from article to article
masked: link targets and link texts, URLs, numbers, white space, the
width of punctuation. "作者：[Logix][a]"
and "作者：[Two-Bit History][a]" have one shape, "作者:<>"; so do two
articles' "via: https://…" lines. A shape that occurs in at least
`MIN_SHARE` of a corpus's articles (and in `MIN_ARTICLES` at least) is
boilerplate, and a block of text whose lines are mostly boilerplate is
not a passage. Code is never counted: a command that many articles show is
content (`qa.ingest.chunker` keeps code as context); only the boilerplate
lines a code fence left open swallows are taken out of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

MIN_SHARE = 0.05  # of the corpus's articles
MIN_ARTICLES = 5
BOILERPLATE_LINE_SHARE = 0.5  # a block is left out when at least this share of its lines are boilerplate
_MASK = "<>"
_LINKED = re.compile(r"!?\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])?")  # [text](url), [text][ref], [text]
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+")
_NUMBER = re.compile(r"\d+")
_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})")
_INDENTED_CODE = re.compile(r"(?: {4}|\t)")
_HAS_TEXT = re.compile(r"\w")


def line_shape(line: str) -> str | None:
    """The shape of a line of Markdown source, or None for a line with no text
    of its own (blank, a rule, markup alone)."""
    shape = _NUMBER.sub("0", _URL.sub(_MASK, _LINKED.sub(_MASK, line.strip())))
    shape = "".join(unicodedata.normalize("NFKC", shape).split())  # "作者：" is "作者: "
    return shape if _HAS_TEXT.search(shape.replace(_MASK, "")) or shape.count(_MASK) > 1 else None


def prose_lines(body: str) -> Iterable[str]:
    """The lines of `body` outside fenced and indented code."""
    fence: str | None = None
    for line in body.splitlines():
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
        elif not _INDENTED_CODE.match(line):
            yield line


@dataclass
class Boilerplate:
    """The boilerplate shapes of a corpus, and what was left out because of them."""

    shapes: dict[str, int] = field(default_factory=dict)  # shape -> articles it occurs in
    left_out: Counter[str] = field(default_factory=Counter)  # shape -> blocks left out
    blocks_left_out: int = 0

    @classmethod
    def learn(cls, bodies: Iterable[str]) -> Boilerplate:
        """The shapes that recur across the articles' `bodies`."""
        articles: Counter[str] = Counter()
        count = 0
        for body in bodies:
            count += 1
            articles.update({shape for line in prose_lines(body) if (shape := line_shape(line))})
        least = max(MIN_ARTICLES, MIN_SHARE * count)
        return cls({shape: n for shape, n in articles.items() if n >= least})

    def covers(self, source: str) -> bool:
        """Whether a block (its Markdown source) is boilerplate; counts it if so."""
        if not self.shapes:
            return False
        shapes = [shape for line in source.splitlines() if (shape := line_shape(line))]
        known = [shape for shape in shapes if shape in self.shapes]
        if not shapes or len(known) < BOILERPLATE_LINE_SHARE * len(shapes):
            return False
        self.left_out.update(known)
        self.blocks_left_out += 1
        return True

    def without_lines(self, code: str) -> str:
        """Code without the boilerplate lines a fence left open swallowed (a
        credit block after a code fence that is never closed)."""
        if not self.shapes:
            return code
        kept = [line for line in code.splitlines() if line_shape(line) not in self.shapes]
        self.left_out.update(shape for line in code.splitlines()
                             if (shape := line_shape(line)) in self.shapes)
        return "\n".join(kept).strip("\n")

    def summary(self, most: int = 5) -> str:
        """One line: how many blocks were left out, and the commonest shapes."""
        common = "; ".join(f"“{shape}” ({n})" for shape, n in self.left_out.most_common(most))
        return f"left out {self.blocks_left_out} block(s) of boilerplate that recur across articles: {common}"
