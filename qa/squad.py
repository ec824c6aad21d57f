"""A SQuAD-format set (CMRC 2018, DRCD): each context one passage of an
article, each question with the row of its own context and its gold answers.
`qa eval --squad` and the benchmarks in `bench/` read the sets through it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.errors import EvalFileError
from qa.records import ArticleInfo, PassageRecord
from qa.text import sentence_spans


@dataclass
class SquadSet:
    articles: list[ArticleInfo]
    passages: list[PassageRecord]
    questions: list[tuple[str, int]]  # (question, row of its own context)
    answers: list[list[str]]  # gold answer texts of each question

    def documents(self) -> list[tuple[ArticleInfo, list[PassageRecord]]]:
        """Each article with its passages, as `write_index` takes them."""
        return [(a, [p for p in self.passages if p.article_id == a.id]) for a in self.articles]


def load_squad(path: Path) -> SquadSet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        data = json.loads(text)["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise EvalFileError(f"{path}: not SQuAD-format JSON with a top-level `data` list ({exc})") from exc
    articles, passages, questions, answers = [], [], [], []
    for a_no, article in enumerate(data):
        article_id = f"a{a_no}"
        articles.append(ArticleInfo(article_id, article.get("title", article_id), None, None, None))
        for p_no, paragraph in enumerate(article["paragraphs"], start=1):
            row = len(passages)
            text = paragraph["context"]
            passages.append(PassageRecord(f"{article_id}#p{p_no}", article_id, text, None, p_no,
                                          (0, len(text)), tuple(sentence_spans(text))))
            questions += [(qa["question"], row) for qa in paragraph["qas"]]
            answers += [[a["text"] for a in qa.get("answers", []) if a.get("text")]
                        for qa in paragraph["qas"]]
    return SquadSet(articles, passages, questions, answers)


def asked(squad: SquadSet) -> list[str]:
    """The set's questions that say something (a few are blank), in order."""
    return [question for question, _ in squad.questions if question.strip()]
