"""The README's examples are what the service answers: the `curl` request
with its JSON, and `qa ask` with what it prints to a pipe, run for real over
the seed index with the bundled model.

The README may shorten a passage's text with "……" (the parts it keeps must
be in the real text, in order, the first at the start and the last at the
end), and in the `qa ask` output a line of just "……" stands for lines left
out. Scores and timings may differ; everything else must be as shown. When
they differ, the failure message holds what the service gave, ready to paste.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.cli import main
from qa.service import QAService
from qa.settings import Settings

pytestmark = pytest.mark.model

README = Path(__file__).resolve().parent.parent / "README.md"
CUT = "……"
ABSENT = object()  # a key one side has and the other not
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SCORE = re.compile(r"  \(score [\d.]+\)$")
SHOWN_COMPACT = ("highlights", "timings_ms")  # on one line each in the README's JSON


def readme_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the README, in order."""
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(README.read_text(encoding="utf-8"))]


def shortened_matches(shown: str, text: str) -> bool:
    """`shown` is `text`, or `text` with parts replaced by "……"."""
    if CUT not in shown:
        return shown == text
    first, *middle, last = shown.split(CUT)
    if not (text.startswith(first) and text.endswith(last)) or len(first) + len(last) > len(text):
        return False
    at = len(first)
    for part in middle:
        at = text.find(part, at, len(text) - len(last))
        if at < 0:
            return False
        at += len(part)
    return True


# --- POST /api/ask --------------------------------------------------------------------------------
def curl_example() -> tuple[str, dict, dict]:
    """The README's `curl` example with `"top_k": 1`: its path, its body, and the JSON shown after it."""
    blocks = readme_blocks()
    for number, (_, text) in enumerate(blocks):
        if text.lstrip().startswith("curl") and '"top_k": 1' in text:
            args = shlex.split(text.replace("\\\n", " "))
            url = next(arg for arg in args if arg.startswith("http"))
            body = json.loads(args[args.index("-d") + 1])
            language, shown = blocks[number + 1]
            assert language == "json", "the README's curl example with top_k 1 has no ```json block after it"
            return re.sub(r"^https?://[^/]+", "", url), body, json.loads(shown)
    raise AssertionError('the README has no ```sh block with a `curl` example asking with "top_k": 1')


def differences(shown: object, real: object, path: str = "") -> list[str]:
    """Where the README's JSON and the real one differ, one line each. Timings
    (which also name other steps when the answer came from the cache) and
    scores vary from run to run and machine to machine."""
    if path == ".timings_ms" and isinstance(shown, dict) and isinstance(real, dict):
        return []
    if isinstance(shown, dict) and isinstance(real, dict):
        return [line for key in sorted(shown.keys() | real.keys(), key=str)
                for line in differences(shown.get(key, ABSENT), real.get(key, ABSENT), f"{path}.{key}")]
    if isinstance(shown, list) and isinstance(real, list) and len(shown) == len(real):
        return [line for n, (a, b) in enumerate(zip(shown, real, strict=True))
                for line in differences(a, b, f"{path}[{n}]")]
    if ABSENT in (shown, real):
        return [f"{path}: README {_json(shown)}, service {_json(real)}"]
    if path.endswith(".score") or path == ".answer_id":  # a new id for every answer
        return []
    if path.endswith(".text") and ".passages[" in path and isinstance(shown, str) and isinstance(real, str):
        return [] if shortened_matches(shown, real) else [f"{path}: README {shown!r}, service {real!r}"]
    return [] if shown == real else [f"{path}: README {_json(shown)}, service {_json(real)}"]


def _json(value: object) -> str:
    return "absent" if value is ABSENT else json.dumps(value, ensure_ascii=False)


def as_in_readme(response: dict) -> str:
    """The JSON laid out as the README shows it (indented, short values on one line)."""
    compact: dict[str, str] = {}

    def hold(value: object) -> str:
        compact[f"@{len(compact)}@"] = json.dumps(value, ensure_ascii=False)
        return f"@{len(compact) - 1}@"

    layout = {**response, "timings_ms": hold(response["timings_ms"]),
              "passages": [{**p, "highlights": hold(p["highlights"])} for p in response["passages"]]}
    text = json.dumps(layout, ensure_ascii=False, indent=2)
    for token, value in compact.items():
        text = text.replace(f'"{token}"', value)
    return text


def test_curl_example_shows_what_the_service_answers(seed_settings: Settings, seed_service: QAService):
    path, body, shown = curl_example()
    with TestClient(create_app(seed_settings, service=seed_service)) as client:
        response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    real = response.json()

    problems = differences(shown, real)

    assert not problems, ("the README's curl example no longer shows what the service answers:\n  "
                          + "\n  ".join(problems) + f"\nThe service answered (shorten passage text with "
                          f"{CUT} if you like):\n{as_in_readme(real)}")


# --- qa ask ---------------------------------------------------------------------------------------
def qa_ask_example() -> tuple[list[str], list[str]]:
    """The README's block that starts `$ .venv/bin/qa ask …`: the arguments, and the lines printed."""
    for _, text in readme_blocks():
        if text.startswith("$ .venv/bin/qa ask "):
            command, *printed = text.rstrip("\n").split("\n")
            args = shlex.split(command.removeprefix("$ ").split(" | ")[0])
            return args[1:], printed
    raise AssertionError("the README has no block starting `$ .venv/bin/qa ask …` with what it prints")


def line_matches(shown: str, printed: str) -> bool:
    """The answer and citation lines are shown whole (scores aside); a passage's text may be shortened."""
    shown, printed = _SCORE.sub("", shown), _SCORE.sub("", printed)
    if re.match(r"\[\d+\] ", shown):
        return shortened_matches(shown, printed)
    return shown == printed


def lines_match(shown: list[str], printed: list[str]) -> bool:
    """Line by line; a line of just "……" stands for any number of lines."""
    if not shown:
        return not printed
    if shown[0] == CUT:
        return any(lines_match(shown[1:], printed[skip:]) for skip in range(len(printed) + 1))
    return bool(printed) and line_matches(shown[0], printed[0]) and lines_match(shown[1:], printed[1:])


def test_qa_ask_example_shows_what_it_prints_to_a_pipe(
        seed_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path):
    args, shown = qa_ask_example()
    monkeypatch.chdir(tmp_path)  # no qa.yaml but these settings
    for name in ("corpus_dir", "index_dir", "cache_dir", "site_url"):
        monkeypatch.setenv(f"QA_{name.upper()}", str(getattr(seed_settings, name)))

    code = main(args)

    out, err = capsys.readouterr()
    assert code == 0, err
    printed = out.rstrip("\n").split("\n")
    unmatched = [line for line in shown if line != CUT and not any(line_matches(line, p) for p in printed)]
    assert lines_match(shown, printed), (
        f"the README's `qa {shlex.join(args)}` example no longer shows what it prints to a pipe; "
        f"README lines it does not print: {unmatched or 'none (they are out of order)'}. It printed "
        f"(shorten passage text or leave out lines with {CUT} if you like):\n{out}")


# --- candidates first ------------------------------------------------------------------------------
def test_the_examples_answer_as_full_scoring_does(seed_service: QAService) -> None:
    """The README's example questions get the same answer and passages from
    candidates-first retrieval as from scoring every passage (`--exhaustive`)."""
    questions = [curl_example()[1]["question"], qa_ask_example()[0][1]]
    full = QAService(seed_service.index, exhaustive=True)
    for question in questions:
        fast, slow = seed_service.ask(question), full.ask(question)
        assert fast.answer == slow.answer, question
        assert [p.id for p in fast.passages] == [p.id for p in slow.passages], question
