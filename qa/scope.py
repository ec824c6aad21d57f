"""A question's scope: which passages may answer it (some articles, a
date range, tags, a speaker), as rows of the index.

Rows of one article are consecutive in an index, so an article's rows
are a range; a speaker's rows are read from the per-row speaker table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.errors import InvalidQuestionError
from qa.records import ArticleInfo


@dataclass(frozen=True)
class Scope:
    """Passages that may answer: every condition given must hold."""

    articles: tuple[str, ...] = ()  # article ids
    date_from: str | None = None  # YYYY-MM-DD, YYYY-MM or YYYY; an article's date at that precision
    date_to: str | None = None
    tags: tuple[str, ...] = ()  # an article with any of them
    speaker: str | None = None  # passages in which this person speaks

    def __bool__(self) -> bool:
        return bool(self.articles or self.date_from or self.date_to or self.tags or self.speaker)


@dataclass(frozen=True)
class ScopeTable:
    """What scoping reads of an index: each article's rows, and each row's speaker."""

    articles: Sequence[ArticleInfo]  # in row order
    starts: np.ndarray  # first row of each article, then the number of rows
    speakers: Sequence[str]  # the speakers' names
    speaker_of_row: np.ndarray  # int32 index into `speakers`, -1 for none

    def rows(self, scope: Scope) -> np.ndarray:
        """The rows `scope` allows, sorted; an InvalidQuestionError naming
        what matched nothing, with the fix."""
        chosen = np.ones(len(self.articles), dtype=bool)
        if scope.articles:
            known = {a.id for a in self.articles}
            unknown = [a for a in scope.articles if a not in known]
            if unknown:
                raise InvalidQuestionError(f"no article with id {unknown[0]!r} in the index: "
                                           f"GET /api/articles lists the ids")
            chosen &= np.array([a.id in scope.articles for a in self.articles])
        if scope.date_from or scope.date_to:
            chosen &= np.array([_in_dates(a.date, scope.date_from, scope.date_to) for a in self.articles])
        if scope.tags:
            chosen &= np.array([bool(set(a.tags) & set(scope.tags)) for a in self.articles])
        if not chosen.any():
            raise InvalidQuestionError(f"no article matches the scope ({_described(scope)}): "
                                       f"widen it, or leave it out to ask every article")
        picked = np.flatnonzero(chosen)
        rows = np.concatenate([np.arange(self.starts[i], self.starts[i + 1]) for i in picked])
        if scope.speaker:
            rows = rows[self.speaker_of_row[rows] == self._speaker_number(scope.speaker)]
            if not len(rows):
                raise InvalidQuestionError(f"{scope.speaker} speaks in no passage of the articles in "
                                           f"scope: check the name as the articles write it")
        return rows

    def _speaker_number(self, name: str) -> int:
        try:
            return list(self.speakers).index(name)
        except ValueError:
            raise InvalidQuestionError(f"nobody called {name!r} speaks in the indexed articles: "
                                       f"give the name as the articles write it (e.g. "
                                       f"{', '.join(self.speakers[:3]) or 'none are known'})") from None


def _in_dates(date: str | None, date_from: str | None, date_to: str | None) -> bool:
    """Whether an article's date (YYYY-MM-DD, or a month YYYY-MM) falls in
    the range, each bound compared at the date's own precision: an article
    of 2019-11 is in a range from 2019-11-15."""
    if not date:
        return False
    after = not date_from or date[: len(date_from)] >= date_from[: len(date)]
    before = not date_to or date[: len(date_to)] <= date_to[: len(date)]
    return after and before


def _described(scope: Scope) -> str:
    parts = [f"articles {', '.join(scope.articles)}" if scope.articles else "",
             f"from {scope.date_from}" if scope.date_from else "",
             f"to {scope.date_to}" if scope.date_to else "",
             f"tags {', '.join(scope.tags)}" if scope.tags else ""]
    return "; ".join(p for p in parts if p)
