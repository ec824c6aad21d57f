"""Evidence inside passages: which words of a question a text contains, and
whether the best passages answer at all. Which sentence answers is
`qa.extract`'s work."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qa.crosslingual import found_share
from qa.extract import asking_phrase
from qa.index import Index
from qa.retrieval import Query
from qa.terms import lexical_terms
from qa.text import CJK_CHAR, comparable, normalize

# A Latin name with a version number ("ACP 3.0", "Helm v3") must match as a
# whole: an article about ACP 2.0 and ACE 3.0 does not answer about ACP 3.0.
# The name ends where the version does: "K8s" is a word, not the name "K" at version 8.
_VERSIONED_NAME = re.compile(r"(?<![a-z0-9])[a-z][a-z\-]*\s*v?\d+(?:\.\d+)*(?![a-z0-9])", re.IGNORECASE)


# A question in another language than the articles counts as answered when at
# least half of its (weighted) words are found through the dictionary: 0.9 x 0.5
# reaches the answer threshold (0.45).
CROSS_LINGUAL_WEIGHT = 0.9
LEXICAL_ROWS = 3  # the best passages whose words answerability reads
IDF_MEMO = 65_536  # words whose weight is remembered
TITLE_WORD_INSIDE = 0.5  # a title word's weight: this share from inside its article (`weights_in`)


class TermWeights:
    """Inverse document frequency of a question's words over the passages.

    A word no passage contains weighs most: a question about 员工 (staff) is
    not answered by an article that never says 员工, however well its other
    words match. Document frequencies come from the BM25 index, so weighing
    a word costs a lookup whatever the size of the corpus.
    """

    def __init__(self, index: Index):
        self._index = index
        self._idf: dict[str, float] = {}
        self._within: np.ndarray | None = None  # see `in_scope`
        self.text = lru_cache(maxsize=4096)(self._text)
        self._title = lru_cache(maxsize=4096)(self._article_title)

    def in_scope(self, within: np.ndarray | None) -> TermWeights:
        """These weights as over the passages `within` (sorted rows, a
        question's scope: `qa.retrieval.scored_whole`) alone; themselves for
        None. Asked within the interview, 灵雀云 is in every other paragraph
        and weighs little, as over the interview alone; beside an archive it
        is rare and would answer half of any question that names it. The
        view shares the passages' caches, not the weights (a question's own,
        a few dozen words)."""
        if within is None:
            return self
        view = copy.copy(self)
        view._idf, view._within = {}, within
        return view

    def idf(self, word: str) -> float:
        # One read of the memo: another request may empty it at any moment.
        weight = self._idf.get(word)
        return self._weigh([word])[word] if weight is None else weight

    def _learn(self, words: list[str]) -> None:
        """Weigh those of `words` not weighed yet, their document frequencies
        looked up together (a lookup each costs ~20 us)."""
        self._weigh([w for w in dict.fromkeys(words) if w not in self._idf])

    def _weigh(self, words: list[str]) -> dict[str, float]:
        """The weights of `words`, remembered and returned: another request
        may empty the memo before this one reads them back."""
        if not words:
            return {}
        weights = dict(zip(words, self._idfs(words, self._within), strict=True))
        if len(self._idf) + len(weights) > IDF_MEMO:  # a speed-up, not a vocabulary: keep it bounded
            self._idf.clear()
        self._idf.update(weights)
        return weights

    def _idfs(self, words: list[str], within: tuple[int, int] | np.ndarray | None = None) -> list[float]:
        """The idf of each of `words` over the passages (of rows [start, end),
        or of the sorted rows, `within`)."""
        passages = self._index.size if within is None else (
            within[1] - within[0] if isinstance(within, tuple) else len(within))
        return [math.log(1 + passages / ((df or self._parts_frequency(word, within)) + 0.5))
                for word, df in zip(words, self._index.document_frequencies(words, within), strict=True)]

    def _parts_frequency(self, word: str, within: tuple[int, int] | np.ndarray | None = None) -> int:
        """For a word the index does not hold whole (a versioned name, a word
        jieba cut otherwise in the passages), the fewest passages that hold
        one of its parts: an upper bound of the passages that hold it."""
        parts = lexical_terms(self._index.tokenizer, word)
        return min(self._index.document_frequencies(parts, within), default=0)

    def weights_in(self, words: list[str], row: int) -> list[float]:
        """Each word's weight as evidence that passage `row` answers: its idf,
        except for a word of the article's title, which weighs halfway
        between its idf over all passages and its idf inside the article.

        Beside an archive, 灵雀云 and 陈恺 are rare and would weigh most: any
        paragraph of the interview that names them would half-answer whatever
        is asked about them. Inside the interview they are everywhere. The
        mean of the two (TITLE_WORD_INSIDE) kept CMRC and DRCD within 0.001
        of answer@1 and raised the interview's no-answer recall beside the
        2019 archive from 0.6 to 0.9; the weight inside alone cost CMRC 0.007."""
        title = self._title(self._index.passages[row].article_id)
        local = [w for w in words if w in title]
        if not local:
            return [self.idf(w) for w in words]
        inside = dict(zip(local, self._idfs(local, self._index.article_rows(row)), strict=True))
        return [TITLE_WORD_INSIDE * inside[w] + (1 - TITLE_WORD_INSIDE) * self.idf(w) if w in inside
                else self.idf(w) for w in words]

    def _article_title(self, article_id: str) -> str:
        return comparable(self._index.articles[article_id].title)

    def _text(self, row: int) -> str:
        """Passage `row`'s sentences (they cover every character but white
        space) and the name of its speaker: an interviewee's own words rarely
        name him, yet they are what a question about him asks ("在陈恺看来……")."""
        speaker = self._index.passages[row].speaker
        return "".join(self.sentences(row)) + (f"\n{comparable(speaker)}" if speaker else "")

    def sentences(self, row: int) -> tuple[str, ...]:
        """Passage `row`'s sentences in comparable form."""
        return self._index.passages[row].plain or ()

    def words(self, question: str) -> list[str]:
        """The question's words that name what it asks about (`Tokenizer.topic_tokens`),
        versioned names kept whole."""
        names = [comparable(m.group(0)) for m in _VERSIONED_NAME.finditer(normalize(question))]
        rest = _VERSIONED_NAME.sub(" ", normalize(question))
        words = list(dict.fromkeys(names + self._index.tokenizer.topic_tokens(rest)))
        self._learn(words)  # every caller weighs them next
        return words

    def coverage(self, words: list[str], text: str) -> float:
        """IDF-weighted share of `words` that occur in `text` (already comparable)."""
        if not words:
            return 0.0
        total = sum(self.idf(w) for w in words)
        return sum(self.idf(w) for w in words if w in text) / total

    def best_sentence_coverage(self, words: list[str], row: int) -> float:
        """`coverage` of passage `row`'s best sentence (`qa.focus`)."""
        return max((self.coverage(words, sentence) for sentence in self.sentences(row)), default=0.0)

    def loose_coverage(self, words: list[str], row: int, implied: str = "") -> float:
        """`coverage` of passage `row`, where a word it lacks still earns half
        its weight times the share of its characters it holds: paraphrases
        often keep a character (苦头 / 痛苦, 一统江湖 / 一统), and a topic the
        articles never name (营收, 融资, CEO) mostly does not. `implied`: a
        word the passage says without its letters (`qa.works_where`)."""
        if not words:
            return 0.0
        text = f"{self.text(row)}\n{implied}" if implied else self.text(row)
        weights = self.weights_in(words, row)
        earned = 0.0
        for word, weight in zip(words, weights, strict=True):
            if word in text:
                earned += weight
            elif chars := CJK_CHAR.findall(word):
                earned += 0.5 * weight * sum(c in text for c in chars) / len(chars)
        total = sum(weights)
        return earned / total if total else 0.0


_ASKS_FOR = re.compile(r"(?:哪一?[个位所家种座条项国部首支方类]?|什么样?的?|何种?|几[个位种项名座]?)$")


def asked_kind_words(question: str, words: list[str]) -> set[str]:
    """Words that name the kind of answer asked ("哪个城市", "什么理念"): the
    answer is a city or an idea, and the passage need not say the word."""
    plain = comparable(question)
    out = set()
    for word in words:
        at = plain.find(word)
        if at > 0 and _ASKS_FOR.search(plain[:at]):
            out.add(word)
    return out


def topic_words(question: str, words: list[str]) -> list[str]:
    """What a passage must hold to answer: `words` but those that name the
    kind of answer asked (all of them when nothing else is left). On DRCD,
    counting 城市 in "在哪一個城市舉行" refused questions whose passage
    ranked first.

    Nor does it need the words of the phrase that asks ("靠" in "靠的是啥",
    "原因" in "什么原因"): they say what kind of answer is wanted, as
    为什么 does."""
    kinds = asked_kind_words(question, words)
    asking = comparable(asking_phrase(question)[1])
    kept = [w for w in words if w not in kinds and w not in asking]
    return kept or words


def confidence(index: Index, weights: TermWeights, query: Query, words: list[str],
               rows: list[int], implied: Sequence[str] = ()) -> float:
    """How sure we are that the best passages answer, 0 to 1.

    Retrieval always returns *something*, and cosine scores of unanswerable
    questions overlap those of answerable ones. Half of the confidence is
    lexical: whether the question's own (weighted) words appear in one of the
    best passages, since an unanswerable question asks about something the
    articles never name. The other half is semantic: how close the best
    sentence comes (on the embedder's `answer_cosines` scale; without one,
    words decide alone), which carries paraphrased and colloquial questions
    whose words the articles do not use. When the question is in another
    language than the articles, its words are looked for through a
    dictionary (`qa.crosslingual`): the model's cosines of an English question
    to Chinese text say little there. Only when none of its words is known
    does the best sentence's cosine decide. `implied`: for each of `rows`,
    a word of the question its passage says without its letters, or "".
    """
    if not rows:
        return 0.0
    best = float(index.best_sentence_cosines(query, np.array(rows)).max())
    read = rows[:LEXICAL_ROWS]
    if query.cross_lingual:
        share = found_share(query.text, [weights.text(r) for r in read], index.tokenizer.stopwords)
        if share is not None:
            return CROSS_LINGUAL_WEIGHT * share
        return _on_scale(best, index.cross_lingual_cosines)
    said = [*implied, *[""] * len(read)]
    lexical = max(weights.loose_coverage(words, r, said[k]) for k, r in enumerate(read))
    if index.answer_cosines is None:
        return lexical
    return 0.5 * lexical + 0.5 * _on_scale(best, index.answer_cosines)


def _on_scale(cosine: float, scale: tuple[float, float] | None) -> float:
    """A cosine as evidence, 0 to 1, on an embedder's (floor, span) scale; 0 without one."""
    if scale is None:
        return 0.0
    floor, span = scale
    return float(np.clip((cosine - floor) / span, 0, 1))
