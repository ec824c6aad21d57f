"""The README's table of `qa` exit codes is what `qa` does: each row's
meaning is brought about for real and `qa` must exit with that row's code."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from qa import cli
from qa.lock import EXIT_LOCKED, index_lock

README = Path(__file__).resolve().parents[2] / "README.md"
TEA = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "tea.md"
_ROW = re.compile(r"^\| (\d+) \| (.+) \|$")


def readme_exit_codes() -> dict[int, str]:
    """The README's exit-code table, code → meaning."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("\n| code | meaning |\n"):].split("\n\n")[0]
    return {int(m.group(1)): m.group(2) for m in map(_ROW.match, table.splitlines()) if m}


def code_for(words: str) -> int:
    """The code of the README row whose meaning says `words`."""
    [code] = [code for code, meaning in readme_exit_codes().items() if words in meaning]
    return code


def qa(*argv: str) -> int:
    with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
        try:
            return cli.main(list(argv))
        except SystemExit as exc:  # argparse's own refusals
            return int(exc.code or 0)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty corpus folder, and settings from the environment only."""
    for name in list(os.environ):
        if name.startswith(("QA_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _index_written(folder: Path, mp: pytest.MonkeyPatch) -> int:
    shutil.copy(TEA, folder / "corpus")
    return qa("index")


def _nothing_to_index(folder: Path, mp: pytest.MonkeyPatch) -> int:
    return qa("index")


def _invalid_setting(folder: Path, mp: pytest.MonkeyPatch) -> int:
    mp.setenv("QA_TOP_K", "0")
    return qa("ask", "问题")


def _invalid_argument(folder: Path, mp: pytest.MonkeyPatch) -> int:
    return qa("ask", "问题", "--top-k", "0")


def _another_writer(folder: Path, mp: pytest.MonkeyPatch) -> int:
    shutil.copy(TEA, folder / "corpus")
    with index_lock(folder / "index"):
        return qa("index")


def _interrupted(folder: Path, mp: pytest.MonkeyPatch) -> int:
    # Ctrl-C at a real prompt is test_cli's test_ctrl_c_while_waiting_for_a_question_exits_130_quietly
    def typed_ctrl_c(*args: object) -> int:
        raise KeyboardInterrupt
    mp.setattr(cli, "cmd_index", typed_ctrl_c)
    return qa("index")


SITUATIONS: list[tuple[str, Callable[[Path, pytest.MonkeyPatch], int]]] = [
    ("the index was written", _index_written),
    ("nothing to index", _nothing_to_index),
    ("invalid settings", _invalid_setting),
    ("or arguments", _invalid_argument),
    ("another `qa index` is writing", _another_writer),
    ("interrupted", _interrupted),
]


def test_the_readme_documents_every_exit_code_qa_has() -> None:
    assert set(readme_exit_codes()) == {0, cli.EXIT_FAILED, cli.EXIT_USAGE, EXIT_LOCKED, cli.EXIT_INTERRUPTED}
    assert {code_for(words) for words, _ in SITUATIONS} == set(readme_exit_codes())  # each row is tried


@pytest.mark.parametrize(("words", "situation"), [
    pytest.param(words, situation, id=situation.__name__.strip("_"),
                 marks=[pytest.mark.model] if situation is _index_written else [])
    for words, situation in SITUATIONS])
def test_qa_exits_with_the_code_the_readme_gives(words: str, situation, folder: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert situation(folder, monkeypatch) == code_for(words)
