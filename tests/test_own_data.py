"""Tests own their data: a user's own articles in corpus/ change nothing.

The README tells a user to put their articles in corpus/. Here the
repository's code and tests are copied to a temporary folder whose corpus/
holds the seed interview and two more articles, and the tests that work on
the seed run there, in a process of their own. Any such test that reads the
live corpus/ (and so sees three articles) or the live var/ fails there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXTRA_ARTICLES = [FIXTURES / "corpus" / "tea.md", FIXTURES / "corpus" / "cloud-native.md"]
# the tests that work on the seed interview, its question files or its index
SEED_TESTS = ["tests/qa/test_evaluate.py", "tests/qa/ingest/test_chunker.py", "tests/qa/ingest/test_turns.py",
              "tests/qa/test_extract.py", "tests/qa/test_quality.py"]


def _clone_with_extra_articles(into: Path) -> Path:
    """The code, the tests and corpus/ copied to `into`, with two more articles in its corpus/."""
    for folder in ("qa", "api", "embeddings", "tests", "corpus", "bench"):
        shutil.copytree(ROOT / folder, into / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "artifacts", ".pytest_cache"))
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, into / name)
    for article in EXTRA_ARTICLES:
        shutil.copy(article, into / "corpus" / f"user-{article.name}")
    return into


def _pytest(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    env["PYTHONPATH"] = str(clone)  # the clone's code and tests, not the installed ones
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=600)


def test_the_clone_has_three_articles_in_corpus(tmp_path: Path) -> None:
    clone = _clone_with_extra_articles(tmp_path)
    assert len(list((clone / "corpus").glob("*.md"))) == 3  # the seed and the user's two


def test_two_extra_articles_in_corpus_change_no_seed_test(tmp_path: Path) -> None:
    clone = _clone_with_extra_articles(tmp_path)

    done = _pytest(clone, "-m", "not model and not browser", *SEED_TESTS)

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.model
def test_two_extra_articles_in_corpus_change_no_readme_example(tmp_path: Path) -> None:
    clone = _clone_with_extra_articles(tmp_path)

    done = _pytest(clone, "-m", "model", "tests/test_readme.py")

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
