"""qa.progress: the lines `qa index` writes to a log instead of a bar."""

from __future__ import annotations

import re
import time
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

import qa.progress
import qa.runtime
from embeddings.base import Kind
from qa.cli import main
from qa.progress import ProgressLines, duration
from qa.runtime import build_index
from qa.settings import Settings
from tests.conftest import HashingEmbedder

LINE = re.compile(r"indexing: (\d+)/(\d+) articles, (\d+) passages, (\d+) texts \([\d.]+ texts/s\), "
                  r"\S+ so far, ETA (\S+( the index)?)")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowEmbedder(HashingEmbedder):
    """Takes its time, as a real model does on a large corpus."""

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        time.sleep(0.3)
        return super().encode(texts, kind)


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0s"), (42.4, "42s"), (425, "7m05s"),
                                                 (3600 * 3 + 720 + 59, "3h12m")])
def test_durations(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_the_line_has_articles_passages_rate_and_eta() -> None:
    clock = Clock()
    lines = ProgressLines(StringIO(), clock=clock)
    clock.now += 15  # loading the model: not in the rate
    lines.on_articles(100, 8000)
    lines.on_texts(2000, 0, 5000)  # the first chunk: 100 articles bring 5,000 texts
    clock.now += 30
    assert lines.line().endswith("ETA unknown")  # nothing embedded yet
    lines.on_texts(2000, 600, 5000)
    clock.now += 30
    # 600 texts in 60 s; 8,000 articles at 50 texts each is 400,000 texts, 399,400 to go at 10 a second
    assert lines.line() == ("indexing: 100/8,000 articles, 2,000 passages, 600 texts (10.0 texts/s), "
                            "1m15s so far, ETA 11h05m")


def test_the_estimate_follows_the_articles_of_every_chunk() -> None:
    clock = Clock()
    lines = ProgressLines(StringIO(), clock=clock)
    lines.on_articles(100, 400)
    lines.on_texts(2000, 0, 5000)
    lines.on_articles(300, 400)
    lines.on_texts(4000, 5000, 7000)  # the second chunk: 200 more articles, 2,000 more texts
    clock.now += 100
    # 7,000 texts for 300 articles: 9,333 for 400, 4,333 to go at 50 a second
    assert lines.line().endswith("ETA 1m27s")


def test_once_every_text_is_done_the_index_is_being_written() -> None:
    clock = Clock()
    lines = ProgressLines(StringIO(), clock=clock)
    lines.on_articles(3, 3)
    lines.on_texts(6, 16, 16)
    clock.now += 1
    assert lines.line().endswith("ETA writing the index")


def test_a_line_every_interval_until_stopped() -> None:
    out = StringIO()
    lines = ProgressLines(out, every=0.02).start()
    lines.on_articles(1, 2)
    time.sleep(0.2)
    lines.stop()
    written = out.getvalue().splitlines()
    assert len(written) >= 3
    assert all(LINE.fullmatch(line) for line in written), written
    time.sleep(0.05)
    assert out.getvalue().splitlines() == written  # stopped: no more lines


def test_the_build_reports_every_passage_and_text(fixture_settings: Settings) -> None:
    lines = ProgressLines(StringIO())
    report = build_index(fixture_settings, HashingEmbedder(), lines.on_articles, lines.on_texts)
    assert (lines.articles, lines.total) == (report.articles, 3)  # the broken article is read, not indexed
    assert lines.passages == report.passages
    assert lines.texts == report.embedded + report.cached == report.passages + report.sentences


def test_qa_index_in_a_log_prints_progress_lines(fixture_settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    for name, value in (("QA_CORPUS_DIR", fixture_settings.corpus_dir),
                        ("QA_INDEX_DIR", fixture_settings.index_dir),
                        ("QA_CACHE_DIR", fixture_settings.cache_dir)):
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("QA_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(qa.runtime, "make_embedder", lambda settings: SlowEmbedder())
    monkeypatch.setattr(qa.progress, "EVERY_SECONDS", 0.05)
    out, err = StringIO(), StringIO()  # not a terminal
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["index"]) == 0
    progress = [line for line in err.getvalue().splitlines() if line.startswith("indexing:")]
    assert len(progress) >= 3, err.getvalue()
    assert all(LINE.fullmatch(line) for line in progress), progress
    assert "\r" not in err.getvalue()  # no bar
    assert out.getvalue().startswith("indexed 2 article(s), 6 passages")
