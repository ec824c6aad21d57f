"""Word tokens for BM25: normalised text cut by jieba with the corpus's domain terms.

The tokenizer is an object (no jieba global state), built once per index and
injected wherever tokens are needed, so index time and query time agree.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import jieba

from qa.text import normalize

_WORD = re.compile(r"\w", re.UNICODE)


def _data_lines(name: str) -> list[str]:
    text = resources.files("qa.data").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _data_words(name: str) -> frozenset[str]:
    return frozenset(word for line in _data_lines(name) for word in line.split())


# The lists an index's terms depend on (framing_words.txt is read at question time only).
_DATA_FILES = ("stopwords.txt", "synonyms.txt", "userdict.txt")


@lru_cache(maxsize=1)
def data_digest() -> str:
    """A digest of the bundled word lists: an index cut with other lists
    holds other terms, so its manifest records the lists it was cut with."""
    digest = hashlib.sha256()
    for name in _DATA_FILES:
        digest.update(resources.files("qa.data").joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def _load_jieba(extra_dict: str, whole_words: tuple[str, ...]) -> jieba.Tokenizer:
    """A jieba tokenizer with the domain dictionary; loading takes about a
    second, so one is shared by every Tokenizer with the same dictionary."""
    jieba.setLogLevel(logging.WARNING)
    cutter = jieba.Tokenizer()
    for line in _data_lines("userdict.txt") + extra_dict.splitlines():
        word, freq, _tag = ([*line.rsplit(None, 2), "", ""])[:3]
        if word.strip():
            cutter.add_word(word.lower(), int(freq) if freq.isdigit() else None)
    for word in whole_words:  # a synonym applies only to a token jieba emits whole
        cutter.add_word(word)
    return cutter


class Tokenizer:
    """`tokens(text)` → the normalised, lower-cased search tokens of `text`."""

    def __init__(self, user_dict: Path | None = None):
        self._user_dict = user_dict
        # A question is cut for retrieval and again for answerability (with
        # its versioned names taken out, most often nothing): cut it once.
        self._cut = lru_cache(maxsize=64)(self._cut_uncached)

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        extra = self._user_dict.read_text(encoding="utf-8") if self._user_dict else ""
        return _load_jieba(extra, tuple(self.synonyms))

    @cached_property
    def synonyms(self) -> dict[str, list[str]]:
        pairs = (line.split("=", 1) for line in _data_lines("synonyms.txt"))
        return {left.strip(): right.split() for left, right in pairs}

    @cached_property
    def stopwords(self) -> frozenset[str]:
        return _data_words("stopwords.txt")

    @cached_property
    def framing_words(self) -> frozenset[str]:
        """Stop words and the words that frame a question (`topic_tokens`)."""
        return self.stopwords | _data_words("framing_words.txt")

    @cached_property
    def stop_chars(self) -> frozenset[str]:
        """Single characters that carry no topic (的, 是, 哪, 几, …): the stop words of one character."""
        return frozenset(w for w in self.stopwords if len(w) == 1)

    def tokens(self, text: str) -> list[str]:
        return list(self._cut(normalize(text).lower()))

    def _cut_uncached(self, text: str) -> tuple[str, ...]:
        out = []
        for token in self._jieba.lcut_for_search(text):
            if _WORD.search(token):
                out.extend(self.synonyms.get(token, [token]))
        return tuple(out)

    def content_tokens(self, text: str) -> list[str]:
        """Tokens without stop words: what BM25 indexes and searches."""
        return self._without(text, self.stopwords)

    def topic_tokens(self, text: str) -> list[str]:
        """Tokens without stop words or the words that frame a question
        (起初, 看来, 由): what a passage must hold to answer it."""
        return self._without(text, self.framing_words)

    def _without(self, text: str, stopwords: frozenset[str]) -> list[str]:
        """The tokens not in `stopwords`. jieba's search mode also emits the
        words inside a longer one ("一年" inside "哪一年"); such a word counts
        only where it stands outside the stop words."""
        tokens = self.tokens(text)
        stops = sorted({t for t in tokens if t in stopwords and len(t) > 1}, key=len, reverse=True)
        if not stops:
            return [t for t in tokens if t not in stopwords]
        rest = normalize(text).lower()
        for stop in stops:
            rest = rest.replace(stop, "\x00")
        return [t for t in tokens if t not in stopwords
                and (t in rest or not any(t in stop for stop in stops))]

