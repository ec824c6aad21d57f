"""The passage that says the question's words in one sentence, first.

A paragraph that answers usually says so in one sentence holding most of
what the question names ("1975 年 1 月刊……《大众电子》……Altair 8800"); a
paragraph that only shares the topic spreads the same words over several
sentences, or holds the rarest of them alone. Word and vector scores of
whole paragraphs cannot tell the two apart: among the best FOCUS_ROWS
passages, each gains FOCUS_WEIGHT times its best sentence's weighted share of
the question's words (`qa.evidence.TermWeights.coverage`). Found on the own
sets beside the archive and alone; the weight chosen on DRCD dev (0.2 and 0.3
tie on the own and archive sets; DRCD dev recall@1 0.9657 without, 0.9677 at
0.2, 0.9665 at 0.3), checked on CMRC 2018 trial (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Callable

from qa.retrieval import Hit

FOCUS_ROWS = 10
FOCUS_WEIGHT = 0.2


def focused_first(hits: list[Hit], best_share: Callable[[int], float],
                  answer_of: Callable[[int], int | None] = lambda row: None) -> list[Hit]:
    """`hits` with the best FOCUS_ROWS rescored by `best_share` (passage row
    -> the share of the question's words its best sentence holds, 0 to 1)
    and put back in order; the rest after them, as they were.

    An interviewer's question or a set-up (`answer_of`: the row of the
    passage that answers it) gains no more than its answer: it repeats the
    words it asks about, and its answer ranks above it (`qa.turn_ranking`)."""
    shares = {h.row: best_share(h.row) for h in hits[:FOCUS_ROWS]}
    for row in list(shares):
        answer = answer_of(row)
        if answer in shares:
            shares[row] = min(shares[row], shares[answer])
    head = [Hit(h.row, h.score + FOCUS_WEIGHT * shares[h.row]) for h in hits[:FOCUS_ROWS]]
    head.sort(key=lambda hit: -hit.score)
    return head + hits[FOCUS_ROWS:]
