"""The English names of Chinese articles: the words of their file names and
of their original URLs.

A Chinese article's only English is often its name. The interview is filed
as `alauda-chenkai-interview.md`; a translation of the Linux China archive is
filed under its English title ("20191111 How to Install Caddy Web
Server.md") and links its original (".../caddy-web-server-https"). An
English question's words that the articles' text never holds as written and
the dictionary cannot render ("Alauda", "Caddy") are found there, and point
to the article as a rare word of its passages would (`qa.retrieval.ArticlePrior`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from qa.crosslingual import word_forms

_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def name_words(article_id: str, original_url: str | None) -> set[str]:
    """The lower-cased words (and their plain stems) of an article's id and of
    its original URL's path; the host is left out (one site holds hundreds of
    articles, and names none of them)."""
    text = article_id
    if original_url:
        text += " " + urlsplit(original_url).path
    words: set[str] = set()
    for word in _NAME_WORD.findall(text):
        words |= word_forms(word.lower())
    return words


@dataclass(frozen=True)
class ArticleNames:
    """For each name word, the articles whose name holds it (article numbers
    in row order, ascending)."""

    holders: dict[str, np.ndarray]
    count: int  # articles

    @classmethod
    def of(cls, names: Iterable[set[str]]) -> ArticleNames:
        holders: dict[str, list[int]] = defaultdict(list)
        count = 0
        for article, words in enumerate(names):
            count += 1
            for word in words:
                holders[word].append(article)
        return cls({w: np.array(a, dtype=np.int64) for w, a in holders.items()}, count)

    def held(self, words: Iterable[str]) -> dict[str, np.ndarray]:
        """For each of `words` (an English question's name-like words:
        `qa.crosslingual.unrendered_words`) that some article's name holds
        (in any of its forms), those articles."""
        found = {}
        for word in words:
            holding = [self.holders[form] for form in word_forms(word) if form in self.holders]
            if holding:
                found[word] = np.unique(np.concatenate(holding))
        return found
