"""Chinese text handling: one normalisation and one sentence splitter.

`normalize` is applied to passages at index time and to questions at query
time, so that full-width letters, Traditional characters and compatibility
forms all meet on the same spelling. Offsets (highlights, spans) are always
computed on the original text, never on the normalised one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import opencc

# Sentence enders, optionally followed by closing quotes/brackets that belong to
# the sentence they close (`。”`, `！」`). An English full stop only ends a
# sentence before white space, so "ACP 2.0" and "v3.1" stay whole.
CLOSERS = "”’」』）》\"')］】"
_ENDERS = "。！？；!?;"
_SENTENCE = re.compile(
    rf"""
    .*?                                   # shortest run of text
    (?:
        (?:[{_ENDERS}]+|…+|\.(?=\s)|\n)     # a sentence end (…… counts as one), or a line's
        [{CLOSERS}]*                      # closing quotes stay with it
      | $                                 # or the end of the text
    )
    """,
    re.VERBOSE | re.DOTALL,
)


# One CJK character (the Unified Ideographs and Extension A).
CJK_RANGE = "\u3400-\u9fff"  # for use inside a character class
CJK_CHAR = re.compile(f"[{CJK_RANGE}]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def mostly_cjk(text: str) -> bool:
    """Whether `text` is written in Chinese (or Japanese) rather than in a
    Latin script: at least as many CJK characters as Latin words, so that
    "ACP 2.0 是什么？" is Chinese and "Who is the CTO of Alauda (灵雀云)?" is
    English."""
    cjk = len(CJK_CHAR.findall(text))
    return cjk > 0 and cjk >= len(_LATIN_WORD.findall(text))


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms), Traditional → Simplified."""
    if len(text) <= _REMEMBERED_CHARS:  # a question: its parts each normalise it again
        return _normalize_short(text)
    return _normalize(text)


def _normalize(text: str) -> str:
    return _t2s().convert(unicodedata.normalize("NFKC", text))


_REMEMBERED_CHARS = 512
_normalize_short = lru_cache(maxsize=256)(_normalize)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """`[start, end)` spans of the sentences of `text`, white space trimmed.

    The spans cover every non-blank character once, so joining them loses
    nothing.
    """
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


_ENDS_SENTENCE = re.compile(rf"[{_ENDERS}.…\n][{CLOSERS}]*\s*$")


def ends_sentence(text: str) -> bool:
    """Whether `text` ends with a sentence end (closing quotes aside)."""
    return bool(_ENDS_SENTENCE.search(text))


def is_question(sentence: str) -> bool:
    """Whether a sentence asks (ends with a question mark, closing quotes aside)."""
    return sentence.rstrip().rstrip(CLOSERS + " ！!").endswith(("？", "?"))


def split_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def squash_whitespace(text: str) -> str:
    """Remove all white space."""
    return re.sub(r"\s+", "", text)


def comparable(text: str) -> str:
    """Normalised, lower case, no white space: the form in which one text is
    looked for inside another (question words in passages, `expect` strings)."""
    return squash_whitespace(normalize(text)).lower()


_SEPARATOR = "\x00"  # no normalisation changes it, and no text holds it


def comparable_sentences(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    """The comparable form of each sentence `spans` cut from `text`,
    normalised in one call (a call per sentence costs several times more)."""
    joined = _SEPARATOR.join(text[s:e] for s, e in spans)
    return tuple(comparable(joined).split(_SEPARATOR)) if spans else ()
