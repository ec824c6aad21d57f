"""Shared fixtures: a tiny fixture corpus, a deterministic hashing embedder
for fast tests, and an index of the seed interview built with the real
bundled model for the tests that check retrieval quality.

Tests own their data: every index here is built from a folder under
tests/fixtures/ (the seed interview and its question files are copied to
tests/fixtures/seed/), with its embedding cache in a temporary folder, so
that the articles a user puts in corpus/ and the index in var/ change
nothing (tests/test_own_data.py checks this)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import Embedder, Kind
from qa.runtime import build_index, open_index
from qa.service import QAService
from qa.settings import Settings
from qa.tokenize import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SEED_CORPUS = Path(__file__).parent / "fixtures" / "seed"  # a copy of corpus/'s seed interview
SEED_EXAMPLES = ["ACP 2.0 是什么？", "它包含哪些子产品？", "陈恺怎么看 Kubernetes 的垄断问题？",
                 "灵雀云的产品分几层？", "What does Captain do?"]


class HashingEmbedder(Embedder):
    """Deterministic bag-of-character-bigrams vectors: texts that share
    characters are similar. Fast, no model, good enough for plumbing tests."""

    model_id = "test-hashing"
    dim = 64

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in zip(text, text[1:] + " ", strict=False):
                digest = hashlib.blake2b((a + b).encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        return out


@pytest.fixture(scope="session", autouse=True)
def onnx_model_folder(tmp_path_factory: pytest.TempPathFactory):
    """One conversion of the bundled model for ONNX Runtime (`qa index`'s
    engine) per test session, 5-7 s and 128 MB, shared by every index the
    tests build and by the processes they start, whatever their cache_dir."""
    folder = tmp_path_factory.mktemp("onnx-e5")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_ONNX_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def _settings(tmp: Path, corpus: Path, **overrides) -> Settings:
    values = {"corpus_dir": corpus, "index_dir": tmp / "index", "cache_dir": tmp / "cache",
              "question_log": tmp / "questions.sqlite3", **overrides}
    return Settings(**values)


@pytest.fixture
def fixture_settings(tmp_path: Path) -> Settings:
    """Settings over a copy of the fixture corpus, in a fresh folder."""
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    return _settings(tmp_path, corpus)


@pytest.fixture(scope="session")
def fixture_service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    """A service over the fixture corpus with the hashing embedder."""
    tmp = tmp_path_factory.mktemp("fixture-index")
    settings = _settings(tmp, FIXTURE_CORPUS)
    build_index(settings, HashingEmbedder())
    return QAService(open_index(settings, HashingEmbedder()))


@pytest.fixture(scope="session")
def seed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for every index of the seed this session: the
    seed's vectors are computed once (about 20 s), not read from var/."""
    return tmp_path_factory.mktemp("seed-cache")


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory, seed_cache: Path) -> Settings:
    """The seed interview (tests/fixtures/seed) indexed with the real bundled model (e5)."""
    tmp = tmp_path_factory.mktemp("seed-index")
    settings = _settings(tmp, SEED_CORPUS, cache_dir=seed_cache, example_questions=SEED_EXAMPLES)
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def seed_service(seed_settings: Settings) -> QAService:
    return QAService(open_index(seed_settings))
