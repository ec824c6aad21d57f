"""The one service call every client uses: question in, answer with
passages, highlights and citations out. Knows nothing of HTTP or Slack."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Container, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from qa import extract, focus, who_is, works_where
from qa.answer import Answer, AnswerText, Citation, RankedPassage, Turn
from qa.citations import cited_url
from qa.errors import InvalidQuestionError, PassageNotFoundError
from qa.evidence import TermWeights, confidence, topic_words
from qa.index import Index
from qa.records import ArticleInfo, PassageRecord
from qa.retrieval import Hit, Query
from qa.scope import Scope
from qa.settings import MAX_TOP_K, default
from qa.text import comparable, split_sentences

WARM_UP_QUESTIONS = ("ACP 2.0 是什么？", "What is ACP 2.0?")
CONFIDENCE_ROWS = 5
EVERYWHERE = Scope()  # every passage may answer
MAX_EXAMPLES = 5
FOLLOW_UP_WORDS = 4  # words of the earlier question a follow-up is searched with
FOLLOW_UP_CHARS = 32
# A follow-up that points back ("它包含哪些子产品？") is searched together with
# the question before it.
_ANAPHORA = re.compile(
    r"它|他们|她们|它们|其|该|这个|那个|这些|那些|此|上述|前者|后者|\b(it|its|they|them|their|this|that|these|those)\b",
    re.IGNORECASE,
)
# Words that contain one of those characters without pointing back.
_NOT_ANAPHORA = re.compile(r"应该|活该|其他|其它|其实|其余|尤其|极其|与其|因此|如此|此外|彼此|从此")


class QAService:
    def __init__(self, index: Index, max_question_chars: int = default("max_question_chars"),
                 default_top_k: int = default("top_k"), answer_threshold: float = default("answer_threshold"),
                 cache_size: int = 1024, exhaustive: bool = False,
                 example_questions: Sequence[str] = ()):
        self.index = index
        # Questions to suggest: the settings' own, else those the articles' front matter names.
        self.examples = list(example_questions) or [
            question for article in index.articles.values() for question in article.questions][:MAX_EXAMPLES]
        self.exhaustive = exhaustive  # score every passage, not only the candidates (`qa eval --exhaustive`)
        self.max_question_chars = max_question_chars
        self.default_top_k = default_top_k
        self.answer_threshold = answer_threshold
        self._weights = TermWeights(index)
        self._topic = lru_cache(maxsize=4096)(self._topic_of)
        self._answer = lru_cache(maxsize=cache_size)(self._compute)
        # Whether this thread's last `_answer` computed: the cache's hit count
        # is every thread's, and another's hit would mark a fresh answer cached.
        self._computed = threading.local()

    def warm_up(self) -> None:
        """Load what the first questions would otherwise wait for (the model,
        jieba's dictionary, the English-Chinese dictionary, the index's pages),
        and forget the answers it computed."""
        for question in WARM_UP_QUESTIONS:
            self.ask(question)
        self.forget_answers()

    def forget_answers(self) -> None:
        """Empty the answer cache (its next answers are computed afresh)."""
        self._answer.cache_clear()

    # --- the service call -------------------------------------------------
    def ask(self, question: str, top_k: int | None = None, history: Sequence[Turn] = (),
            scope: Scope = EVERYWHERE, article: str | None = None) -> Answer:
        """The answer from the passages `scope` allows; with `article`, from
        that article first, weighed as over it alone, and from the rest of the
        scope (`from_elsewhere`) only when that article does not answer and
        another article does: the whole scope's best passage in the article
        itself would answer only because its own names are rare beside the
        others ("灵雀云的 CEO 是谁？" beside an archive)."""
        started = time.perf_counter()
        question = self._valid_question(question)
        top_k = self._valid_top_k(top_k)
        search_text = self._search_text(question, history)
        self._computed.here = False  # set by `_compute`, in this thread, on a cache miss
        if article is not None:
            answer = self._article_first(question, search_text, top_k, scope, article, chosen=True)
        elif not scope and (named := self.index.named_article(search_text)) is not None:
            answer = self._article_first(question, search_text, top_k, scope, named, chosen=False)
        else:
            answer = self._answer(question, search_text, top_k, scope)
        if not self._computed.here:  # repeated question: no work done
            total = (time.perf_counter() - started) * 1000
            answer = answer.model_copy(update={"timings_ms": {"cache": total, "total": total}})
        return answer

    def _article_first(self, question: str, search_text: str, top_k: int, scope: Scope, article: str,
                       chosen: bool) -> Answer:
        """The answer from `article`, weighed as over it alone, and from
        another article of `scope` only when it does not answer and one does:
        marked `from_elsewhere` when the asker `chosen` the article (the
        widget's page); not so for one the question's words name above all
        others (`Index.named_article`: "灵雀云" beside an archive)."""
        answer = self._answer(question, search_text, top_k, replace(scope, articles=(article,)))
        if answer.answerable:
            return answer
        elsewhere = self._answer(question, search_text, top_k, scope)
        if not elsewhere.answerable or elsewhere.passages[0].citation.article_id == article:
            return answer
        return elsewhere.model_copy(update={"from_elsewhere": True}) if chosen else elsewhere

    def _compute(self, question: str, search_text: str, top_k: int, scope: Scope) -> Answer:
        self._computed.here = True
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        query = self.index.query(search_text, embed=False)  # its terms: part of the search's cost
        terms = _ms_since(clock)

        clock = time.perf_counter()
        # In a scope, words weigh as over its passages alone, as in its search.
        statistics = self.index.statistics_rows(scope)
        query.vector = self.index.query_vector(query, statistics)
        timings["embed"] = _ms_since(clock)

        clock = time.perf_counter()
        # Answerability reads the best CONFIDENCE_ROWS passages, whatever top_k asks to show.
        read = max(top_k, CONFIDENCE_ROWS)
        hits = self.index.search(query, max(read, focus.FOCUS_ROWS), exhaustive=self.exhaustive, scope=scope)
        timings["search"] = terms + _ms_since(clock)

        clock = time.perf_counter()
        weights = self._weights.in_scope(statistics)
        words = weights.words(search_text)
        if not query.cross_lingual:  # an English question's words are in no Chinese sentence
            hits = focus.focused_first(hits, lambda row: weights.best_sentence_coverage(words, row),
                                       self.index.answering_row)
        hits = hits[:read]
        topic = topic_words(search_text, words)
        hits = self._introduction_first(extract.expected_kind(question), topic, hits)
        implied = works_where.implied_verb(question, topic, [weights.sentences(h.row) for h in hits])
        hits, implied = works_where.employer_first(hits, implied)
        sure = confidence(self.index, weights, query, topic, [h.row for h in hits], implied)
        hits = hits[:top_k]
        asked, inputs = self._extraction_inputs(question, search_text, words, query, hits, weights)
        chosen = [extract.choose(asked, passage) for passage in inputs]
        passages = []
        for rank, (hit, spans) in enumerate(zip(hits, chosen, strict=True), start=1):
            record = self.index.passages[hit.row]
            passages.append(RankedPassage(
                rank=rank, id=record.id, text=record.text, score=round(hit.score, 4),
                highlights=list(spans), citation=self.citation(record, spans[:1], hit.row),
                speaker=record.speaker,
            ))
        answerable = bool(passages) and sure >= self.answer_threshold
        answer = None
        if answerable:
            answer = AnswerText(text=extract.answer_text(passages[0].text, chosen[0]), passage=1)
        timings["answer"] = _ms_since(clock)
        timings["total"] = sum(timings.values())
        return Answer(question=question, answerable=answerable, answer=answer,
                      passages=passages, timings_ms={k: round(v, 3) for k, v in timings.items()})

    def _introduction_first(self, kind: str, topic: list[str], hits: list[Hit]) -> list[Hit]:
        """For "陈恺是谁？", the passage that introduces him first (`qa.who_is`)."""
        records = [self.index.passages[h.row] for h in hits]
        name = who_is.quoted_person(kind, topic, records)
        return hits if name is None else who_is.introduction_first(hits, records, name)

    def _extraction_inputs(self, question: str, search_text: str, words: list[str], query: Query,
                           hits: list[Hit], weights: TermWeights,
                           ) -> tuple[extract.Question, list[extract.Passage]]:
        """What answer extraction reads: the question (the kind of answer from
        the question asked, the words from the text searched, which a
        follow-up extends, weighed by `weights`) and each hit's sentences with
        their cosines."""
        asked = extract.Question(search_text, tuple(words), tuple(weights.idf(w) for w in words),
                                 self.index.tokenizer.stop_chars, extract.expected_kind(question),
                                 query.wants_code)
        rows = [h.row for h in hits]
        inputs = [extract.Passage(self.index.passages[row].text, self.index.passages[row].sentences,
                                  weights.sentences(row), cosines, self._topic_of_row(row),
                                  self.index.passages[row].code)
                  for row, cosines in zip(rows, self._sentence_cosines(query, rows), strict=True)]
        return asked, inputs

    def _sentence_cosines(self, query: Query, rows: list[int]) -> list[tuple[float, ...]]:
        """The question's cosine to each sentence of each passage of `rows`; a
        sentence without a vector of its own (shorter than 6 characters, or
        its passage's only one) takes the passage's."""
        if not rows:
            return []
        index, wanted = self.index, np.array(rows, dtype=np.int64)
        out = []
        for row, own, embedded in zip(rows, index.passage_cosines(query, wanted).tolist(),
                                      index.sentence_cosines(query, wanted), strict=True):
            cosines = np.full(len(index.passages[row].sentences), own, dtype=np.float32)
            cosines[index.sentence_numbers(row)] = embedded
            out.append(tuple(cosines.tolist()))
        return out

    def _topic_of_row(self, row: int) -> str:
        record = self.index.passages[row]
        return self._topic(record.article_id, record.section)

    def _topic_of(self, article_id: str, section: str | None) -> str:
        """The article's title and the passage's section, comparable form."""
        return comparable(f"{self.index.articles[article_id].title} {section or ''}")

    # --- input ---------------------------------------------------------------
    def _valid_question(self, question: str) -> str:
        question = question.strip()
        if not question:
            raise InvalidQuestionError(
                f"the question is empty: ask something of 1 to {self.max_question_chars} "
                f"characters{self._for_example()}"
            )
        if len(question) > self.max_question_chars:
            raise InvalidQuestionError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.max_question_chars}. Shorten it."
            )
        _valid_unicode(question, "the question")
        if not any(ch.isalnum() for ch in question):  # punctuation, emoji, control characters
            raise InvalidQuestionError(
                f"the question has no words (no letter, digit or Chinese character): ask in words"
                f"{self._for_example()}"
            )
        return question

    def _for_example(self) -> str:
        return f", e.g. “{self.examples[0]}”" if self.examples else ""

    def _valid_top_k(self, top_k: int | None) -> int:
        top_k = self.default_top_k if top_k is None else top_k
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidQuestionError(f"top_k is {top_k}; it must be between 1 and {MAX_TOP_K}")
        return top_k

    def _search_text(self, question: str, history: Sequence[Turn]) -> str:
        """What is searched: the question, and for a follow-up that points back
        ("它包含哪些子产品？") the subject of the user's turn before it."""
        for number, turn in enumerate(history):
            _valid_unicode(turn.content, f"history turn {number}")
        earlier = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
        if earlier and _ANAPHORA.search(_NOT_ANAPHORA.sub(" ", question)):
            subject = self._subject_of(earlier[-1])
            return f"{subject} {question}" if subject else question
        return question

    def _subject_of(self, turn: str) -> str:
        """The rarest words of an earlier question's first sentence
        (FOLLOW_UP_WORDS of them, in their order, FOLLOW_UP_CHARS at most):
        what a follow-up points back to. Embedding costs grow with the text (a
        500-character turn takes 30 times a short question), so a follow-up
        costs about what a question does, however long its history."""
        first = next(iter(split_sentences(turn[: self.max_question_chars])), "")
        words = self._weights.words(first)
        rarest = set(sorted(words, key=self._weights.idf, reverse=True)[:FOLLOW_UP_WORDS])
        return " ".join(w for w in words if w in rarest)[:FOLLOW_UP_CHARS]

    # --- lookups ---------------------------------------------------------------
    def articles(self) -> list[ArticleInfo]:
        return list(self.index.articles.values())

    def passage(self, passage_id: str) -> tuple[PassageRecord, Citation]:
        row = self.index.passages.row_of(passage_id)
        if row is None:
            raise PassageNotFoundError(passage_id)
        record = self.index.passages[row]
        return record, self.citation(record)

    def citation(self, record: PassageRecord, spans: Sequence[tuple[int, int]] = (),
                 row: int | None = None) -> Citation:
        """Where the passage comes from; `url` lands on the text of `spans` (the
        answering sentence) where the browser supports text fragments."""
        article = self.index.articles[record.article_id]
        sentence = "".join(record.text[s:e] for s, e in spans)
        before = self._text_before(row, spans[0][0]) if spans and row is not None else ""
        return Citation(article_id=article.id, title=article.title, author=article.author,
                        date=article.date, url=cited_url(article.url, sentence, before),
                        article_url=article.url, section=record.section, paragraph=record.paragraph,
                        speaker=record.speaker)

    def _text_before(self, row: int, offset: int) -> Container[str]:
        """The article's text before `offset` of passage `row`, for a text
        fragment to be unique (the earlier passages' raw records: their other
        fields can only make a start longer than it needs to be)."""
        passages = self.index.passages
        return _Either(passages.article_text_before(row), passages[row].text[:offset])


class _Either:
    """Two texts searched as one (`text in either`), neither copied into the other."""

    def __init__(self, *texts: Container[str]):
        self._texts = texts

    def __contains__(self, text: object) -> bool:
        return any(text in t for t in self._texts)


def _valid_unicode(text: str, what: str) -> None:
    """JSON can carry lone UTF-16 surrogates ("\\ud800"), which are no text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidQuestionError(
            f"{what} holds an invalid character (a lone surrogate, U+{ord(text[exc.start]):04X}, at "
            f"position {exc.start}): send valid Unicode text"
        ) from None


def _ms_since(clock: float) -> float:
    return (time.perf_counter() - clock) * 1000
