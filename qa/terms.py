"""The terms a text is indexed and searched by: its words and the CJK grams
inside them (`lexical_terms`, for BM25) and its runs of two and three units
(`phrase_terms`, for the phrase index). The build, retrieval and evidence all
take them from here, so that a question's terms are cut as its passages' were.
"""

from __future__ import annotations

import itertools
import re

from qa.text import CJK_CHAR, CJK_RANGE, normalize
from qa.tokenize import Tokenizer


def lexical_terms(tokenizer: Tokenizer, text: str) -> list[str]:
    """Content words (jieba, domain dictionary, no stop words), plus the CJK
    bigrams and characters inside them.

    Words match exact terms; bigrams survive jieba cutting a name differently
    in question and passage; characters catch one-character words. Building
    the n-grams inside content words keeps question words such as 什么 from
    matching the one passage that happens to contain them.
    """
    words = tokenizer.content_tokens(text)
    grams: list[str] = []
    for word in words:
        chars = [c for c in CJK_CHAR.findall(word) if c not in tokenizer.stop_chars]
        if len(chars) > 1:
            grams += chars + [a + b for a, b in itertools.pairwise(chars)]
    return words + grams


def query_terms(tokenizer: Tokenizer, text: str) -> list[str]:
    """A question's distinct lexical terms: a word the question repeats, or
    that jieba's search mode emits again inside a longer word, counts once."""
    return list(dict.fromkeys(lexical_terms(tokenizer, text)))


# A phrase unit: one CJK character, or a Latin word or number ("acp", "2.0",
# "kube-ovn"). White space separates units; anything else (punctuation) ends
# a run of them.
_UNIT = re.compile(rf"[{CJK_RANGE}]|[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_RUN_BREAK = re.compile(rf"[^{CJK_RANGE}a-z0-9.\-\s]+")


def phrase_terms(text: str) -> list[str]:
    """Every two and three consecutive units of the text, across word
    boundaries and stop words ("后kubernetes", "的技术", "技术选").

    Word terms only say that a passage holds the question's words; these
    say that it holds them next to each other, in the question's order. They
    need no tokenizer, so a word jieba cuts differently still matches.
    """
    terms = []
    for run in _RUN_BREAK.split(normalize(text).lower()):
        units = _UNIT.findall(run)
        for n in (2, 3):
            terms += ["".join(units[i : i + n]) for i in range(len(units) - n + 1)]
    return terms


# A span the question quotes: “后 Kubernetes”, 「…」, 『…』, 《大众电子》, "…".
_QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]{2,40})[”\"」』》]")


def quoted_spans(text: str) -> list[str]:
    """What a question quotes: a coinage, a title or a name it cites as
    written ("什么是“后 Kubernetes”？"), which the articles hold as a phrase."""
    return _QUOTED.findall(text)
