"""Answer extraction: the sentence, or two, of a passage that answers a question.

The stage after retrieval. It reads the question and, for each of the best
passages, its sentences and their cosines to the question, and decides what a
reader is shown first (`answer.text`) and what is highlighted.

A sentence is scored by a linear model over plain features (FEATURES),
fitted by logistic regression on CMRC 2018 trial (does this sentence hold a
gold answer?) and checked on DRCD dev and on corpus/questions*.yaml:

- the question's *focus* words it holds, leaving out the words the article's
  title and the passage's section hold: those name the topic, which the
  whole passage is about, and the answer is the sentence that holds what is
  asked about it ("魏玩的**著作**", "天门冬的**根**"). A word weighs its IDF
  times how few of the passage's sentences hold it;
- the focus's character bigrams (its words next to each other) and
  characters (a paraphrase keeps some: 著作 / 著有);
- its cosine to the question, and its previous sentence's (an answer often
  follows the sentence that names the subject);
- whether it holds an answer of the kind asked (a time for 何时, a number for
  多少, a reason for 为什么, …) that the question does not already hold, and,
  for "X 是什么", whether it opens the passage.

The best sentence is shown with a neighbour when it cannot stand alone: it
opens with a pronoun ("这…", "他…"), it lacks every kind of answer asked (a
reason too, and each of "谁在什么时候") while a neighbour holds one (the best
sentence often repeats the question and the next one answers it), it opens
with a connective ("因此，…", "另外…"), it was cut mid-thought ("…；"), or
the neighbour scores nearly as well. Never more than two sentences; quotation
marks are balanced in the text shown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.text import CLOSERS, comparable, normalize

Span = tuple[int, int]

# --- what is asked ----------------------------------------------------------------

# Tried in this order on the normalised (Simplified, lower-case) question.
_KIND_PATTERNS = (
    ("person", r"谁|哪位|哪一位|何人|什么人|哪个人|哪些人|\bwho\b|\bwhom\b|\bwhose\b"),
    ("time", r"什么时候|何时|哪(?:一|几)?个?(?:年|月|天|日|时候|时期|朝代|世纪|年代|季节)|几(?:月|号|日|点)"
             r"|什么(?:时间|年代|朝代|时期)|何年|\bwhen\b|\bwhat (?:year|time)\b|\bwhich year\b"),
    ("number", r"多少|多(?:大|高|长|重|远|久|深|宽|快|厚)|\bhow (?:many|much|long|old|big|far|tall|high)\b"
               r"|几(?:个|位|次|年|名|种|层|座|家|项|条|部|岁|届|只|艘|架|辆|本|人|所|倍|级|场|天|十|百|千|万)"),
    ("place", r"哪里|在哪|哪儿|何处|何地|什么地方|\bwhere\b"
              r"|哪(?:一)?(?:个|些)?(?:地方|国家|国|城市|城|省|州|市|县|地区|洲|岛)"),
    ("reason", r"为什么|为何|为啥|什么原因|原因|怎么会|因何|何故|[靠凭](?:的|着)?是?(?:什么|啥)|\bwhy\b"),
    ("definition", r"是什么[?？]?$|什么是|指什么|是指|的定义|是啥[?？]?$|\bwhat (?:is|are)\b"),
)
KINDS = (*(name for name, _ in _KIND_PATTERNS), "other")
_KIND_RX = tuple((name, re.compile(pattern)) for name, pattern in _KIND_PATTERNS)


def expected_kind(question: str) -> str:
    """What kind of answer the question asks for: one of KINDS."""
    return asking_phrase(question)[0]


def asked_kinds(question: str) -> tuple[str, ...]:
    """Every kind of answer the question asks for, in KINDS' order: "谁在什么时候写的"
    asks for a person and a time; ("other",) when no pattern matches."""
    text = normalize(question).lower().strip()
    return tuple(name for name, rx in _KIND_RX if rx.search(text)) or ("other",)


def asking_phrase(question: str) -> tuple[str, str]:
    """The kind of answer asked and the words that ask it ("靠的是啥",
    "什么原因", "哪个城市"); ("other", "") when no pattern matches."""
    text = normalize(question).lower().strip()
    for name, rx in _KIND_RX:
        if found := rx.search(text):
            return name, found.group(0)
    return "other", ""


# What an answer of each kind looks like inside a sentence (comparable form:
# Simplified, lower case, no white space). Cheap cues, not a tagger: a
# part-of-speech tagger (jieba.posseg, 11,000 characters/s here) costs tens of
# milliseconds a passage and chose no better sentences on CMRC or DRCD.
_NUM = r"(?:\d+(?:[.,]\d+)*|[一二三四五六七八九十百千万亿两〇零]+)"
_HOLDS = {
    "time": re.compile(rf"{_NUM}(?:年代|年|月|日|号|世纪)|公元|\d{{4}}"),
    "number": re.compile(r"\d|[一二三四五六七八九十两][十百千万亿]?"
                         r"[个位次年名种层座家项条部岁届只艘架辆本人所倍级场天米吨元%]"),
    "reason": re.compile(r"因为|由于|所以|因此|为了|原因|导致|使得|因而|以便|之所以|故"),
    "person": re.compile(r"\w·\w|先生|女士|教授|博士|老师|总统|主席|国王|皇帝|皇后|王后|王妃|将军|导演|作家"
                         r"|演员|歌手|创始人|创办人|董事长|总裁|ceo|cto|主人|之子|之女|妻|丈夫|父亲|母亲|儿子|女儿"),
    # A place where someone works or worked is an employer: "曾在微软 Azure 从事……".
    "place": re.compile(r"位于|坐落|地处|产于|产自|出生于|生于|来自|[省市县州]|国家|城市|地区|大学|学院"
                        r"|曾在|任职于|就职于|供职于|工作于"),
}


def holds_kind(sentence: str, kind: str, question: str) -> bool:
    """Whether `sentence` holds an answer of `kind` that `question` does not
    already hold (both in comparable form)."""
    rx = _HOLDS.get(kind)
    return rx is not None and any(m.group(0) not in question for m in rx.finditer(sentence))


# --- inputs and output -----------------------------------------------------------

_NOT_LETTER = re.compile(r"[\W_]+")  # punctuation and white space (CJK and Latin are \w)


@dataclass(frozen=True)
class Question:
    """The question as answer extraction reads it."""

    text: str
    words: tuple[str, ...]  # content words, comparable form (`qa.evidence.TermWeights.words`)
    idf: tuple[float, ...]  # the weight of each word
    stop_chars: frozenset[str] = frozenset()  # characters that carry no topic (的, 是, 哪, …)
    kind: str = ""  # the answer expected, one of KINDS; read from `text` when not given
    wants_code: bool = False  # it asks for a command or code (`qa.retrieval.asks_for_code`)
    plain: str = field(init=False)  # `text` in comparable form
    bigrams: tuple[str, ...] = field(init=False)  # its distinct pairs of consecutive letters
    chars: tuple[str, ...] = field(init=False)  # its distinct letters, `stop_chars` left out
    kinds: tuple[str, ...] = field(init=False)  # `kind`, then any other kind `text` asks for too

    def __post_init__(self) -> None:
        plain = comparable(self.text)
        letters = _NOT_LETTER.sub("", plain)
        kind = self.kind or expected_kind(self.text)
        derived = {
            "plain": plain,
            "bigrams": tuple(dict.fromkeys(letters[i : i + 2] for i in range(len(letters) - 1))),
            "chars": tuple(c for c in dict.fromkeys(letters) if c not in self.stop_chars),
            "kind": kind,
            "kinds": tuple(dict.fromkeys((kind, *asked_kinds(self.text)))),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Passage:
    """One retrieved passage as answer extraction reads it."""

    text: str
    sentences: tuple[Span, ...]  # [start, end) of each sentence in `text`
    plain: tuple[str, ...]  # each sentence in comparable form
    cosines: tuple[float, ...]  # the question's cosine to each sentence
    topic: str = ""  # the article's title and the passage's section, comparable form
    code: tuple[int, ...] = ()  # which sentences are lines of code


# --- sentence features ---------------------------------------------------------------

FEATURES = (
    "focus_words", "focus_bigrams", "focus_chars",
    "cosine_gap", "cosine_scaled", "previous_cosine_gap",
    "holds_person", "holds_place", "holds_time", "holds_number", "holds_reason",
    "opens_definition",
)


def sentence_features(question: Question, passage: Passage) -> np.ndarray:
    """One row per sentence of the passage, one column per name in FEATURES.

    Plain Python over a handful of short strings: numpy calls per feature
    would cost more than the work (a question's five passages in ~1 ms)."""
    sents, n = passage.plain, len(passage.plain)
    if not n:
        return np.zeros((0, len(FEATURES)))
    columns = {**_word_features(question, passage), **_cosine_features(passage.cosines)}
    for kind in ("person", "place", "time", "number", "reason"):
        columns[f"holds_{kind}"] = _holds_answer(question, sents) if question.kind == kind else [0.0] * n
    columns["opens_definition"] = [float(question.kind == "definition")] + [0.0] * (n - 1)
    return np.array([columns[name] for name in FEATURES], dtype=float).T


def _holds_answer(question: Question, sents: Sequence[str]) -> list[float]:
    """1 for a sentence that holds an answer of the kind asked when it alone
    does, less the more sentences do (a year in every sentence tells little)."""
    holds = [holds_kind(s, question.kind, question.plain) for s in sents]
    count = sum(holds)
    weight = math.log(1 + len(sents) / count) / math.log(1 + len(sents)) if count else 0.0
    return [weight * h for h in holds]


def _word_features(question: Question, passage: Passage) -> dict[str, list[float]]:
    """What the sentence holds of the question's focus: the words, character
    bigrams and characters that the topic (title, section) does not hold. A
    word weighs its IDF times how few of the passage's sentences hold it."""
    sents, topic, whole = passage.plain, passage.topic, "\n".join(passage.plain)
    words, weights = [], []
    for word, idf in zip(question.words, question.idf, strict=True):
        if word not in topic and word in whole:
            words.append(word)
            weights.append(idf * math.log(1 + len(sents) / sum(word in s for s in sents)))
    bigrams = [g for g in question.bigrams if g not in topic]
    chars = [c for c in question.chars if c not in topic]
    return {
        "focus_words": _share(words, weights, sents, whole),
        "focus_bigrams": _share(bigrams, [1.0] * len(bigrams), sents, whole),
        "focus_chars": _share(chars, [1.0] * len(chars), sents, whole),
    }


def _share(items: Sequence[str], weights: Sequence[float], sents: Sequence[str], whole: str) -> list[float]:
    """For each sentence, the weighted share of `items` it contains."""
    out = [0.0] * len(sents)
    total = sum(weights)
    for item, weight in zip(items, weights, strict=True):
        if item in whole:  # most items of a lower-ranked passage are in none of its sentences
            for k, sentence in enumerate(sents):
                if item in sentence:
                    out[k] += weight / total
    return out


def _cosine_features(cosines: Sequence[float]) -> dict[str, list[float]]:
    top, low = max(cosines), min(cosines)
    gap = [c - top for c in cosines]
    return {
        "cosine_gap": gap,
        "cosine_scaled": [(c - low) / (top - low) if top - low > 1e-9 else 0.0 for c in cosines],
        "previous_cosine_gap": gap[:1] + gap[:-1],
    }


# Weights of FEATURES: logistic regression on CMRC 2018 trial (the 906
# questions whose passage ranks first and holds the gold answer in one of its
# sentences; one example per sentence: does it hold a gold answer?).
WEIGHTS = dict(zip(FEATURES, (
    3.15, 1.57, 1.41,
    0.58, 2.02, 0.87,
    2.42, 2.34, 0.82, 0.33, 0.90,
    2.23,
), strict=True))
_WEIGHT_VECTOR = np.array([WEIGHTS[name] for name in FEATURES])


def sentence_scores(question: Question, passage: Passage) -> np.ndarray:
    """How likely each sentence is to hold the answer (log-odds, up to a constant)."""
    return sentence_features(question, passage) @ _WEIGHT_VECTOR


# --- the choice -------------------------------------------------------------------------

# A neighbour whose score comes this close to the best sentence's (in
# log-odds) is shown with it.
NEIGHBOUR_MARGIN = 1.0
# A sentence that opens with a pronoun names what it is about in the one
# before it ("他指任联邦部长": who is 他?), and that may be what is asked.
_REFERS_BACK = re.compile(r"^(?:这|此(?![后外])|该|其(?!后)|他|她|它|那)")
# A sentence that opens with a connective goes on from the one before it,
# which only adds context.
_LINKS_BACK = re.compile(
    r"^(?:因此|所以|于是|因而|故|但是?|然而|而且?|并且?|且|不过|可是|后来|之后|随后"
    r"|此后|其后|同时|另外|此外|然后|接着|最终|最后|结果|从而|进而|赛后)")
_CUT_OFF = (",", ":", ";", "，", "：", "；")  # a sentence split after these goes on in the next
_SHORT = 8  # a next "sentence" shorter than this is the rest of the best one


def choose(question: Question, passage: Passage) -> tuple[Span, ...]:
    """The spans of the sentence, or two consecutive sentences, that answer best."""
    if not passage.sentences:
        return ()
    scores = sentence_scores(question, passage)
    if passage.code and not question.wants_code and len(passage.code) < len(scores):
        scores[list(passage.code)] = -np.inf  # a line of code answers only a question about code
    best = int(np.argmax(scores))
    other = _companion(question, passage.plain, scores, best)
    first, last = sorted((best, best if other is None else other))
    return passage.sentences[first : last + 1]


def _companion(question: Question, sents: Sequence[str], scores: np.ndarray, best: int) -> int | None:
    """The sentence before or after `best` that goes with it, if one does (a
    line of code left out, -inf, never does), in this order: the sentence a
    pronoun points back to; a neighbour that holds the kind of answer asked
    when `best` holds none; the sentence a connective goes on from; the rest
    of a sentence cut off; a neighbour that scores nearly as well."""
    before = best - 1 if best > 0 and np.isfinite(scores[best - 1]) else None
    after = best + 1 if best + 1 < len(sents) and np.isfinite(scores[best + 1]) else None
    if before is not None and _REFERS_BACK.match(sents[best]):
        return before
    near = [k for k in (before, after) if k is not None]
    if holding := _holding_what_best_lacks(question, sents, best, near):
        return max(holding, key=lambda k: scores[k])
    if before is not None and _LINKS_BACK.match(sents[best]):
        return before
    if after is not None and (sents[best].rstrip(CLOSERS).endswith(_CUT_OFF) or len(sents[after]) < _SHORT):
        return after
    closest = max(near, key=lambda k: scores[k], default=None)
    if closest is not None and scores[best] - scores[closest] < NEIGHBOUR_MARGIN:
        return closest
    return None


def _holding_what_best_lacks(question: Question, sents: Sequence[str], best: int,
                             near: Sequence[int]) -> list[int]:
    """The sentences of `near` that hold a kind of answer asked when `best`
    holds none: "不久，……第二帝国覆亡" next to the time asked, "因为它的封面上
    画着一把锄头" after the sentence that repeats what is asked why."""
    kinds = [k for k in question.kinds if k in _HOLDS]
    if any(holds_kind(sents[best], k, question.plain) for k in kinds):
        return []
    return [j for j in near if any(holds_kind(sents[j], k, question.plain) for k in kinds)]


# --- what a reader is shown -------------------------------------------------------------

_PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "（": "）", "(": ")"}
_OPENER_OF = {close: open_ for open_, close in _PAIRS.items()}


def balanced(text: str) -> str:
    """`text` with its quotation marks and brackets paired: one whose other
    half lies in another sentence is closed at the end ("陈恺说，“我们……。”"),
    or dropped when only its closing half is here ("……参与进来。”")."""
    still_open: list[int] = []
    unmatched: set[int] = set()
    for at, char in enumerate(text):
        if char in _PAIRS:
            still_open.append(at)
        elif char in _OPENER_OF:
            if still_open and text[still_open[-1]] == _OPENER_OF[char]:
                still_open.pop()
            else:
                unmatched.add(at)
    kept = "".join(c for at, c in enumerate(text) if at not in unmatched)
    return kept + "".join(_PAIRS[text[at]] for at in reversed(still_open))


def answer_text(text: str, spans: Sequence[Span]) -> str:
    """The chosen sentences of a passage's `text`, as the answer shown."""
    return balanced(text[spans[0][0] : spans[-1][1]]) if spans else ""
