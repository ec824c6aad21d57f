"""qa.lock: one index writer at a time, and the staging folders a killed writer leaves."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from embeddings.base import Embedder
from qa.errors import QAError
from qa.lock import IndexLockedError, index_lock, remove_stale_staging
from qa.runtime import build_index, open_index
from qa.settings import Settings

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
HOLDER = re.compile(r"pid \d+, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@pytest.fixture(scope="module")
def hashing(pytestconfig: pytest.Config) -> type[Embedder]:
    # HashingEmbedder of tests/conftest.py (see test_index.py for why not `from conftest import`)
    root = pytestconfig.pluginmanager.get_plugin(str(Path(__file__).parents[1] / "conftest.py"))
    return root.HashingEmbedder


def test_second_writer_is_refused_with_the_first_ones_pid_and_start(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    with index_lock(index_dir), pytest.raises(IndexLockedError) as refused, index_lock(index_dir):
        pass
    message = str(refused.value)
    assert message.startswith(f"another `qa index` (pid {os.getpid()}, started ")
    assert HOLDER.search(message)
    assert message.endswith(f"is writing the index in {index_dir}: wait for it to finish and run "
                            f"`qa index` again if the corpus changed since it started")
    assert refused.value.exit_code == 3


def test_lock_creates_the_index_folder_and_is_free_again_after_use(tmp_path: Path) -> None:
    index_dir = tmp_path / "var" / "index"
    with index_lock(index_dir):
        assert (index_dir / ".lock").is_file()
    with index_lock(index_dir):  # released: taken again at once
        pass


def test_lock_of_a_killed_holder_is_released_by_the_kernel(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from qa.lock import index_lock\n"
         "with index_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)",
         str(index_dir)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(IndexLockedError, match=f"pid {holder.pid}, started"), index_lock(index_dir):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with index_lock(index_dir):
            assert (index_dir / ".lock").is_file()  # the killed holder's file, now free
    finally:
        holder.kill()
        holder.stdout.close()
        holder.wait(timeout=10)


def test_lock_in_a_folder_that_cannot_be_made_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(QAError) as refused, index_lock(tmp_path / "file" / "index"):
        pass
    assert str(refused.value) == (
        f"cannot lock {tmp_path / 'file' / 'index' / '.lock'} (Not a directory): make the folder "
        f"writable, or set QA_INDEX_DIR to one that is"
    )


def test_stale_staging_folders_inside_the_index_are_removed(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    (index_dir / ".building-inside" / "bm25").mkdir(parents=True)
    (index_dir / ".building-note").write_text("a file, not a staging folder", encoding="utf-8")
    (index_dir / "building-other").mkdir()
    (tmp_path / ".building-beside").mkdir()  # another index's folder may share the parent: not ours
    removed = remove_stale_staging(index_dir)
    assert removed == [index_dir / ".building-inside"]
    assert sorted(p.name for p in index_dir.iterdir()) == [".building-note", "building-other"]
    assert (tmp_path / ".building-beside").is_dir()


# --- build_index takes the lock ------------------------------------------------------------------


def test_build_index_while_another_writer_holds_the_lock_is_refused(
    fixture_settings: Settings, hashing: type[Embedder]
) -> None:
    with index_lock(fixture_settings.index_dir), pytest.raises(IndexLockedError):
        build_index(fixture_settings, hashing())
    assert not (fixture_settings.index_dir / "manifest.json").exists()


def test_build_index_removes_staging_left_by_a_killed_build(
    fixture_settings: Settings, hashing: type[Embedder]
) -> None:
    leftover = fixture_settings.index_dir / ".building-x"
    (leftover / "bm25").mkdir(parents=True)
    report = build_index(fixture_settings, hashing())
    assert report.removed_staging == [leftover]
    assert not leftover.exists()
    assert [p.name for p in fixture_settings.index_dir.iterdir() if p.name.startswith(".building")] == []


# --- ten real `qa index` processes ------------------------------------------------------------------


def _qa(folder: Path, *argv: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "SLACK_"))}
    env.update(QA_CORPUS_DIR=str(folder / "corpus"), QA_INDEX_DIR=str(folder / "var" / "index"),
               QA_CACHE_DIR=str(folder / "var" / "cache"))
    return subprocess.Popen([sys.executable, "-m", "qa.cli", *argv], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


@pytest.mark.model
def test_ten_concurrent_qa_index_leave_one_index_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    shutil.copy(FIXTURE_CORPUS / "tea.md", tmp_path / "corpus")
    assert _finish(_qa(tmp_path, "index"))[0] == 0  # warms the shared embedding cache

    runs = [_finish(p) for p in [_qa(tmp_path, "index") for _ in range(10)]]

    for code, out, err in runs:
        assert "Traceback" not in err
        if code == 0:
            assert out.startswith("indexed 1 article(s), 3 passages, 4 sentences into ")
            assert out.rstrip().endswith("embedded 0 text(s), 7 came from the cache")
        else:
            assert code == 3, err
            assert err.count("\n") == 1
            assert re.fullmatch(r"qa: another `qa index` \(pid \d+, started [-\d :]+\) is writing the index "
                                r"in .+: wait for it to finish and run `qa index` again if the corpus "
                                r"changed since it started\n", err)
    assert 0 in [code for code, _, _ in runs]
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "var" / "index",
                        cache_dir=tmp_path / "var" / "cache")
    assert [p.id for p in open_index(settings).passages] == ["tea#p1", "tea#p2", "tea#p3"]
    staging = settings.index_dir / ".building-x"
    assert not list(settings.index_dir.glob(".building-*"))

    (staging / "bm25").mkdir(parents=True)  # as a `kill -9` leaves it
    code, _, err = _finish(_qa(tmp_path, "index"))
    assert code == 0
    assert f"qa: removed {staging}, left by an interrupted `qa index`" in err
    assert not staging.exists()
