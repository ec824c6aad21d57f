"""An English question glossed in Chinese, word by word, for the embedder.

The bundled model places an English question far from the Chinese paragraph
that answers it: over the 2019 archive, the answering paragraph of most
English questions is not among the 200 nearest. A Chinese word beside each
English one brings the question into the passages' language: "What comes in
the official Raspberry Pi 4 desktop kit?" is embedded as itself followed by
"进来 官方 桌面 套件" (its names are not repeated). Over blind English sets,
hit@1 0.38 -> 0.50 over the archive, 0.40 -> 0.60 for the interview beside it
(docs/quality.md).

Each word takes one rendering: of the Chinese words whose whole gloss in
CC-CEDICT is that word (or it and the next, "open source"), the one the
passages of the articles the question points to hold most, then the whole
index ("company": 公司 in an interview, not 行号, a line number in code).
A word the dictionary does not know stays as written; names stay as written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qa.crosslingual import article_words, asked_or_framing, dictionary, english_words

# How many passages of the leading articles, and of the whole index, hold each of some words.
Frequencies = Callable[[Sequence[str]], list[tuple[int, int]]]


def glossed(question: str, frequencies: Frequencies) -> str:
    """The question followed by its Chinese gloss (the question alone when it has none)."""
    words = [w for w in gloss(question, frequencies) if w not in question]
    return f"{question} {' '.join(words)}" if words else question


def gloss(question: str, frequencies: Frequencies) -> list[str]:
    """A Chinese word (or the name as written) for each word of an English
    question that says what it asks about, in the question's order."""
    names = set(article_words(question)[0])
    tokens = english_words(question)
    out: list[str] = []
    at = 0
    while at < len(tokens):
        word = tokens[at].lower()
        if word in names:
            out.append(tokens[at])
            at += 1
            continue
        pair = tokens[at + 1].lower() if at + 1 < len(tokens) else None
        if pair is not None and pair not in names and (both := _rendering(
                {f"{word} {form}" for form in _forms(pair)}, frequencies)):
            out.append(both)
            at += 2
            continue
        at += 1
        if asked_or_framing(word) or len(word) < 3:
            continue
        if one := _rendering(_forms(word), frequencies):
            out.append(one)
        elif not dictionary().translations(word):
            out.append(tokens[at - 1])  # unknown to the dictionary: kept as written ("microservices")
    return out


def _forms(word: str) -> set[str]:
    """The word and its stems of four letters or more (releases, released -> release)."""
    forms = {word}
    for ending, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
                                ("ing", ""), ("ing", "e")):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            forms.add(word[: -len(ending)] + replacement)
    return forms


def _rendering(glosses: set[str], frequencies: Frequencies) -> str | None:
    """The Chinese word, among those any of `glosses` translates whole, that
    the leading articles hold most, then the whole index; None when the
    index holds none of them."""
    whole = dictionary().glosses
    chinese = sorted({c for g in glosses for c in whole.get(g, ())})
    if not chinese:
        return None
    held, word = max(zip(frequencies(chinese), chinese, strict=True), key=lambda pair: pair[0])
    return word if held[1] > 0 else None
