"""Citation links that land on the answering sentence.

A URL ending in a text fragment (`#:~:text=start,end`) makes a browser that
supports them (Chrome, Edge, Safari, Firefox) scroll the page to the first
passage of text from `start` to `end` and highlight it; other browsers open
the page as usual. `start` is the sentence's first clause and `end` its last,
so that each edge of the match falls on punctuation, where any browser's word
breaker sees a boundary (Chinese has no spaces, and a match must begin and
end at word boundaries), and a difference inside the sentence between the
passage and the published page does not break the link.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# A clause ends at a comma, enumeration comma, semicolon or colon.
_CLAUSES = re.compile(r"[^，,；;：:、]+[，,；;：:、]?")
_EDGE = "，,；;：:、 "


def text_fragment(sentence: str) -> str | None:
    """`:~:text=…` for the sentence as it reads on the page, or None for no text."""
    sentence = " ".join(sentence.split())
    clauses = [c for c in _CLAUSES.findall(sentence) if c.strip(_EDGE)]
    if not clauses:
        return None
    start = clauses[0].rstrip(_EDGE)
    if len(clauses) == 1:
        return f":~:text={_encode(start)}"
    return f":~:text={_encode(start)},{_encode(clauses[-1].strip(' '))}"


def cited_url(url: str | None, sentence: str) -> str | None:
    """`url` with a text fragment for `sentence` (the URL as it is when it
    already has a fragment of its own, or there is no text)."""
    fragment = text_fragment(sentence)
    if not url or not fragment or "#" in url:
        return url
    return f"{url}#{fragment}"


def _encode(text: str) -> str:
    # "-", "," and "&" are the directive's own syntax and must be escaped inside its terms.
    return quote(text, safe="").replace("-", "%2D")
