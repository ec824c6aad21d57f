"""Citation links that land on the answering sentence.

A URL ending in a text fragment (`#:~:text=start,end`) makes a browser that
supports them (Chrome, Edge, Safari, Firefox) scroll the page to the first
passage of text from `start` to `end` and highlight it; other browsers open
the page as usual. `start` is the sentence's first clause and `end` its last,
so that each edge of the match falls on punctuation, where any browser's word
breaker sees a boundary (Chinese has no spaces, and a match must begin and
end at word boundaries), and a difference inside the sentence between the
passage and the published page does not break the link.

The browser matches the first occurrence of `start` on the page, then the
first `end` after it. So `start` takes more clauses until it holds
MIN_TERM_CHARS and does not occur in the article's text before the sentence
(a short first clause such as "陈恺说" recurs all over an interview), and
`end` until it does not occur earlier in the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from urllib.parse import quote

# A clause ends at a comma, enumeration comma, semicolon or colon.
_CLAUSES = re.compile(r"[^，,；;：:、]+[，,；;：:、]?")
_EDGE = "，,；;：:、 "
MIN_TERM_CHARS = 10


def text_fragment(sentence: str, before: Container[str] = "") -> str | None:
    """`:~:text=…` for the sentence as it reads on the page, or None for no
    text; `before` is the article's text before it, where `start` must not occur."""
    sentence = " ".join(sentence.split())
    clauses = [c for c in _CLAUSES.findall(sentence) if c.strip(_EDGE)]
    if not clauses:
        return None
    if len(clauses) == 1:
        return f":~:text={_encode(clauses[0].rstrip(_EDGE))}"
    head = _enough(clauses[:-1], lambda text: text not in before)  # leaves at least the last clause
    start = "".join(head).rstrip(_EDGE)
    inside = sentence[len(start):]
    tail = _enough(clauses[len(head):][::-1], lambda text: inside.count(text) == 1, reverse=True)
    end = "".join(tail[::-1]).strip(" ")
    return f":~:text={_encode(start)},{_encode(end)}"


def _enough(clauses: list[str], unique: Callable[[str], bool], reverse: bool = False) -> list[str]:
    """The fewest first clauses that together hold MIN_TERM_CHARS and are
    `unique` (all of them when none are)."""
    for count in range(1, len(clauses) + 1):
        taken = clauses[:count]
        text = "".join(taken[::-1] if reverse else taken).strip(_EDGE)
        if len(text) >= MIN_TERM_CHARS and unique(text):
            return taken
    return clauses


def cited_url(url: str | None, sentence: str, before: Container[str] = "") -> str | None:
    """`url` with a text fragment for `sentence` (the URL as it is when it
    already has a fragment of its own, or there is no text)."""
    fragment = text_fragment(sentence, before)
    if not url or not fragment or "#" in url:
        return url
    return f"{url}#{fragment}"


def _encode(text: str) -> str:
    # "-", "," and "&" are the directive's own syntax and must be escaped inside its terms.
    return quote(text, safe="").replace("-", "%2D")
