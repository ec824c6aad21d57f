"""qa.evaluate: retrieval metrics on a question file and on SQuAD-format sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings.base import Embedder
from qa.errors import EvalFileError
from qa.evaluate import (
    TestQuestion as Question,  # aliased: pytest would try to collect a Test* class
)
from qa.evaluate import (
    evaluate_questions,
    evaluate_squad,
    load_questions,
    percentiles,
)
from qa.ingest.articles import read_article
from qa.ingest.chunker import Passage, chunk_article
from qa.service import QAService
from qa.squad import asked, load_squad
from qa.text import comparable, sentence_spans
from qa.tokenize import Tokenizer

SQUAD = {
    "data": [
        {
            "title": "茶",
            "paragraphs": [
                {
                    "context": "龙井是产自杭州西湖的绿茶。每年清明前采摘的明前龙井最为珍贵。",
                    "qas": [
                        {"id": "q1", "question": "龙井产自哪里？",
                         "answers": [{"text": "杭州西湖", "answer_start": 4}]},
                        {"id": "q2", "question": "明前龙井什么时候采摘？",
                         "answers": [{"text": "清明前", "answer_start": 15}]},
                    ],
                },
                {
                    "context": "普洱茶产于云南，分为生茶和熟茶两类。",
                    "qas": [{"id": "q3", "question": "普洱茶分为哪两类？", "answers": []}],
                },
            ],
        },
        {
            "paragraphs": [
                {
                    "context": "Helm 是 Kubernetes 的包管理工具。",
                    "qas": [{"id": "q4", "question": "Kubernetes 的包管理工具是什么？", "answers": []}],
                },
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def hashing(pytestconfig: pytest.Config) -> type[Embedder]:
    # HashingEmbedder of tests/conftest.py (see test_index.py for why not `from conftest import`)
    root = pytestconfig.pluginmanager.get_plugin(str(Path(__file__).parents[1] / "conftest.py"))
    return root.HashingEmbedder


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- question files ----------------------------------------------------------------------------


def test_load_questions(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "q.yaml",
        '- question: ACP 2.0 是什么？\n  expect: ["ACP 2.0 是把"]\n'
        "- question: 灵雀云有多少员工？\n  expect: []\n",
    )
    assert load_questions(path) == [
        Question(question="ACP 2.0 是什么？", expect=["ACP 2.0 是把"]),
        Question(question="灵雀云有多少员工？", expect=[]),
    ]


SEED_FILES = ["questions.yaml", "questions-extra.yaml"]
LONGEST_EXPECT = 40  # an answer phrase, not a passage


def _seed(name: str) -> tuple[list[Question], list[Passage]]:
    corpus = Path(__file__).resolve().parents[1] / "fixtures" / "seed"
    article = read_article(corpus / "alauda-chenkai-interview.md", "https://linux.cn")
    return load_questions(corpus / name), chunk_article(article)


@pytest.mark.parametrize("name", SEED_FILES)
def test_seed_question_files_load_and_quote_the_article(name: str) -> None:
    questions, passages = _seed(name)
    assert len(questions) >= 40
    assert any(not q.expect for q in questions) and any(q.expect for q in questions)
    texts = [comparable(p.text) for p in passages]
    unquoted = [e for q in questions for e in q.expect if not any(comparable(e) in t for t in texts)]
    assert not unquoted, "expect strings must be quoted from one passage of the article"


@pytest.mark.parametrize("name", SEED_FILES)
def test_seed_expect_strings_lie_within_one_sentence(name: str) -> None:
    # the answer is one or two whole sentences: a phrase across a sentence end holds only if both are shown
    questions, passages = _seed(name)
    sentences = [comparable(p.text[start:end]) for p in passages for start, end in sentence_spans(p.text)]
    across = [e for q in questions for e in q.expect if not any(comparable(e) in s for s in sentences)]
    assert not across, "expect strings must lie within one sentence of a passage"


@pytest.mark.parametrize("name", SEED_FILES)
def test_seed_expect_strings_are_short_answer_phrases(name: str) -> None:
    questions, _ = _seed(name)
    long = [e for q in questions for e in q.expect if len(e) > LONGEST_EXPECT]
    assert not long, f"expect strings must be answer phrases of at most {LONGEST_EXPECT} characters"


def test_missing_question_file(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match=r"nowhere\.yaml: cannot be read"):
        load_questions(tmp_path / "nowhere.yaml")


def test_question_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.yaml", "- question: [oops\n")
    with pytest.raises(EvalFileError, match=r"q\.yaml: not valid YAML"):
        load_questions(path)


@pytest.mark.parametrize(
    ("text", "entry"),
    [("- question: 没有 expect\n", "entry 0"), ("- {question: a, expect: []}\n- expect: [b]\n", "entry 1")],
)
def test_question_file_entry_without_fields(tmp_path: Path, text: str, entry: str) -> None:
    path = _write(tmp_path / "q.yaml", text)
    with pytest.raises(EvalFileError) as error:
        load_questions(path)
    assert str(error.value).startswith(f"{path}: {entry} is not `- question: …` with `expect: [ … ]`")


# --- metrics -----------------------------------------------------------------------------------


def test_percentiles() -> None:
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0}
    assert percentiles([float(i) for i in range(1, 101)]) == {"p50": 50.5, "p95": 95.05}


def test_metrics_on_the_fixture_corpus(fixture_service: QAService) -> None:
    questions = [
        Question(question="龙井产自哪里？", expect=["龙井 是产自杭州"]),  # white space is ignored
        Question(question="Helm 是什么？", expect=["包管理工具"]),
        Question(question="灵雀云有多少员工？", expect=[]),
    ]
    metrics = evaluate_questions(fixture_service, questions)
    assert {
        k: metrics[k]
        for k in (
            "questions",
            "answerable_questions",
            "retriever",
            "hit@1",
            "hit@3",
            "hit@5",
            "mrr",
            "answer@1",
            "answer@1_given_passage",
            "no_answer_recall",
            "false_no_answer",
            "failures",
        )
    } == {
        "questions": 3,
        "answerable_questions": 2,
        "retriever": "hybrid",
        "hit@1": 1.0,
        "hit@3": 1.0,
        "hit@5": 1.0,
        "mrr": 1.0,
        "answer@1": 1.0,
        "answer@1_given_passage": 1.0,
        "no_answer_recall": 1.0,
        "false_no_answer": 0.0,
        "failures": [],
    }
    assert set(metrics["latency_ms"]) == {"p50", "p95"}


def test_metrics_count_rank_and_misses(fixture_service: QAService) -> None:
    question = "普洱茶怎么分类？"
    second = fixture_service.ask(question, top_k=5).passages[1].text
    questions = [
        Question(question=question, expect=[second]),  # found at rank 2
        Question(question="Helm 是什么？", expect=["这句话不在任何段落里"]),  # not found
    ]
    metrics = evaluate_questions(fixture_service, questions)
    assert (metrics["hit@1"], metrics["hit@3"], metrics["hit@5"], metrics["mrr"]) == (0.0, 0.5, 0.5, 0.25)
    assert metrics["no_answer_recall"] is None
    assert [f["rank"] for f in metrics["failures"]] == [2, None]
    assert metrics["answer@1_given_passage"] is None  # no top passage was right


def test_answer_metric_judges_the_answer_text_not_the_passage(fixture_service: QAService) -> None:
    answer = fixture_service.ask("龙井产自哪里？")
    best = answer.passages[0]
    unshown = best.text[best.highlights[-1][1]:] or best.text[: best.highlights[0][0]]
    # in the right passage, not in the answer
    assert unshown, "the fixture passage must hold a sentence beside its answer"
    questions = [Question(question="龙井产自哪里？", expect=[unshown[:6]]),
                 Question(question="Helm 是什么？", expect=["包管理工具"])]
    metrics = evaluate_questions(fixture_service, questions)
    assert (metrics["hit@1"], metrics["answer@1"], metrics["answer@1_given_passage"]) == (1.0, 0.5, 0.5)
    assert metrics["failures"][0]["answer"] == answer.answer.text


@pytest.mark.parametrize("retriever", ["bm25", "dense"])
def test_metrics_of_one_retriever(fixture_service: QAService, retriever: str) -> None:
    questions = [Question(question="龙井产自哪里？", expect=["龙井是产自杭州"])]
    metrics = evaluate_questions(fixture_service, questions, retriever)
    assert metrics["retriever"] == retriever
    assert metrics["hit@5"] == 1.0


# --- SQuAD ---------------------------------------------------------------------------------------


def test_load_squad_makes_one_passage_per_context(tmp_path: Path) -> None:
    squad = load_squad(_write(tmp_path / "s.json", json.dumps(SQUAD, ensure_ascii=False)))
    assert [a.id for a in squad.articles] == ["a0", "a1"]
    assert [a.title for a in squad.articles] == ["茶", "a1"]
    assert [p.id for p in squad.passages] == ["a0#p1", "a0#p2", "a1#p1"]
    assert squad.passages[0].sentences == ((0, 13), (13, 30))
    assert squad.answers == [["杭州西湖"], ["清明前"], [], []]
    assert squad.questions == [
        ("龙井产自哪里？", 0),
        ("明前龙井什么时候采摘？", 0),
        ("普洱茶分为哪两类？", 1),
        ("Kubernetes 的包管理工具是什么？", 2),
    ]


@pytest.mark.parametrize("text", ["not json", "{}", "[1, 2]"])
def test_file_that_is_not_squad(tmp_path: Path, text: str) -> None:
    with pytest.raises(EvalFileError, match="not SQuAD-format JSON with a top-level `data` list"):
        load_squad(_write(tmp_path / "s.json", text))


def test_a_missing_set_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match=r"nowhere\.json: cannot be read \(No such file or directory\)"):
        load_squad(tmp_path / "nowhere.json")


def test_asked_leaves_out_blank_questions(tmp_path: Path) -> None:
    data = {"data": [{"paragraphs": [{"context": "普洱茶产于云南。", "qas": [
        {"question": " ", "answers": []}, {"question": "普洱茶产于哪里？", "answers": []}]}]}]}
    squad = load_squad(_write(tmp_path / "s.json", json.dumps(data, ensure_ascii=False)))
    assert [q for q, _ in squad.questions] == [" ", "普洱茶产于哪里？"]
    assert asked(squad) == ["普洱茶产于哪里？"]


def test_evaluate_squad(tmp_path: Path, hashing: type[Embedder]) -> None:
    squad = load_squad(_write(tmp_path / "s.json", json.dumps(SQUAD, ensure_ascii=False)))
    done: list[None] = []
    metrics = evaluate_squad(
        squad, hashing(), Tokenizer(), tmp_path / "cache", "hybrid", lambda: done.append(None)
    )
    assert (metrics["questions"], metrics["passages"], metrics["retriever"]) == (4, 3, "hybrid")
    assert (metrics["recall@1"], metrics["recall@5"], metrics["mrr@10"]) == (1.0, 1.0, 1.0)
    # only the two questions with gold answers count; each answer sentence holds its answer
    assert (metrics["answer@1"], metrics["answer@1_given_passage"]) == (1.0, 1.0)
    assert metrics["embedded_passages_and_sentences"] == 5  # 3 contexts + 2 sentences of the first
    assert len(done) == 4
    again = evaluate_squad(squad, hashing(), Tokenizer(), tmp_path / "cache")
    assert again["embedded_passages_and_sentences"] == 0  # the cache is shared with `qa index`


def test_evaluate_squad_skips_blank_questions(tmp_path: Path, hashing: type[Embedder]) -> None:
    data = {"data": [{"paragraphs": [{"context": "普洱茶产于云南，分为生茶和熟茶两类。", "qas": [
        {"id": "q1", "question": "普洱茶产于哪里？", "answers": [{"text": "云南", "answer_start": 5}]},
        {"id": "q2", "question": "  ", "answers": [{"text": "云南", "answer_start": 5}]},
    ]}]}]}
    squad = load_squad(_write(tmp_path / "s.json", json.dumps(data, ensure_ascii=False)))
    metrics = evaluate_squad(squad, hashing(), Tokenizer(), tmp_path / "cache")
    assert (metrics["questions"], metrics["skipped_blank_questions"], metrics["answer@1"]) == (1, 1, 1.0)
