"""Distinct questions for the benchmark: the corpus test questions, each
asked in many wordings, so that no request is answered from a cache."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import yaml

PREFIXES = ["", "请问", "请问一下，", "我想知道", "想了解一下：", "能不能说说", "麻烦告诉我",
            "帮我查一下", "有谁知道", "简单说说", "问一下，", "好奇：", "老王问：", "读者提问："]
SUFFIXES = ["", "？", "呢？", "？谢谢", "，谢谢！", "（简要回答）", "？请引用原文", "，具体一点",
            "？在线等", "——来自读者", "，说说看", "？举个例子", "吗？", "，原文怎么说？"]


def corpus_questions(path: Path) -> list[str]:
    """The `question` of every entry in a test-question file."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [entry["question"] for entry in entries]


def variations(questions: list[str], seed: int = 7) -> list[str]:
    """Every prefix x question x suffix wording, distinct, in a shuffled order
    (so that any slice mixes all the questions)."""
    stems = [q.rstrip("？?") for q in questions]
    wordings = dict.fromkeys(f"{p}{s}{x}" for s, p, x in itertools.product(stems, PREFIXES, SUFFIXES))
    out = list(wordings)
    random.Random(seed).shuffle(out)
    return out


class QuestionPool:
    """Hands out questions, never the same one twice."""

    def __init__(self, questions: list[str]):
        self._questions = questions
        self._next = 0

    def take(self, count: int) -> list[str]:
        if self._next + count > len(self._questions):
            raise ValueError(f"only {len(self._questions) - self._next} distinct questions are left, "
                             f"{count} asked for: add wordings in bench/questions.py")
        taken = self._questions[self._next:self._next + count]
        self._next += count
        return taken
