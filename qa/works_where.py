""""陈恺之前在哪里工作？": where someone works, or worked.

The answer is an employer, and the articles name one without the verb asked:
"……都曾在微软 Azure 从事云计算领域的专业研究", "陈恺——灵雀云的 CTO". So
in a passage whose sentence names an employer of whom the question asks
about, the verb (工作, 任职, …) counts as found (`implied_verb`), and that
passage comes first when one of the best three is such a passage and the
first is not (`employer_first`): the interviewer's "……灵雀云的创始人之一的
陈恺，我之前并没有直接接触过" repeats more of the question's words than the
sentence that answers it.

Only a question that asks where someone works is read so: "陈恺在微软工作
了多少年？" asks how long, and a passage that names his employer does not
say it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.retrieval import Hit
from qa.text import comparable

EMPLOYER_ROWS = 3  # the best passages among which one that names an employer comes first

# "在哪里工作", "在哪家公司任职", "在什么单位上班" (comparable form); group 1 is the verb.
_ASKS = re.compile(r"在(?:哪里|哪儿|哪|何处|什么地方"
                   r"|哪一?[家个所]?(?:公司|企业|单位|机构)|什么(?:公司|企业|单位|机构))"
                   r"(工作|任职|就职|供职|上班)")
# Where someone works or worked, and the two characters of the employer's
# name next to the cue (group 1 or 2): "曾在微软azure", "灵雀云的cto".
_NAMES_EMPLOYER = re.compile(
    r"(?:曾在|曾任|曾就职于|任职于|就职于|供职于|工作于)(\w{2})"
    r"|(\w{2})的(?:cto|ceo|cfo|coo|cio|创始人|联合创始人|创办人|总裁|副总裁|董事长|总经理|首席)")


def asked_verb(question: str) -> str | None:
    """The verb of a question that asks where someone works ("工作" in
    "陈恺在哪家公司工作？"); None for any other question."""
    found = _ASKS.search(comparable(question))
    return found.group(1) if found else None


def names_employer(sentence: str, question: str, topic: Sequence[str]) -> bool:
    """Whether `sentence` (comparable form) names where one of `topic` works
    or worked: it holds a topic word and an employer that `question`
    (comparable form) does not name. "灵雀云的创始人之一的陈恺" does not
    answer where 灵雀云's founders worked before."""
    if not any(word in sentence for word in topic):
        return False
    return any((found.group(1) or found.group(2)) not in question
               for found in _NAMES_EMPLOYER.finditer(sentence))


def implied_verb(question: str, topic: Sequence[str], sentences: Sequence[Sequence[str]]) -> list[str]:
    """For each passage of `sentences` (each its sentences in comparable
    form), the verb of a question that asks where someone works when one of
    its sentences names that employer, else ""."""
    verb = asked_verb(question)
    if verb is None:
        return [""] * len(sentences)
    plain, others = comparable(question), [w for w in topic if w != verb]
    return [verb if any(names_employer(s, plain, others) for s in passage) else "" for passage in sentences]


def employer_first(hits: list[Hit], implied: list[str]) -> tuple[list[Hit], list[str]]:
    """`hits` with the first of the best EMPLOYER_ROWS whose passage names the
    employer asked (`implied`, one entry per hit) moved first with the best
    score, and `implied` in their new order; both as they are when none does,
    or the first does."""
    first = next((k for k in range(min(EMPLOYER_ROWS, len(hits))) if implied[k]), 0)
    if first == 0:
        return hits, implied
    moved = [Hit(hits[first].row, hits[0].score), *hits[:first], *hits[first + 1:]]
    return moved, [implied[first], *implied[:first], *implied[first + 1:]]
