"""Any sentence-transformers model, by hub name or local folder."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import Embedder, Kind
from qa.errors import EmbedderError


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model: str, query_prompt: str = "", document_prompt: str = ""):
        self._model_name = model
        self._prompts = {"query": query_prompt, "document": document_prompt}
        folder = Path(model).expanduser()
        self.model_id = f"sentence-transformers:{folder.resolve() if folder.is_dir() else model}"
        if query_prompt or document_prompt:
            self.model_id += f" (prompts {query_prompt!r}, {document_prompt!r})"

    @cached_property
    def _model(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "the sentence-transformers backend needs the package: "
                "pip install -e '.[sentence-transformers]'"
            ) from exc
        try:
            return SentenceTransformer(self._model_name, device="cpu")
        except Exception as exc:  # the library raises many types; name the fix
            raise EmbedderError(
                f"cannot load sentence-transformers model {self._model_name!r} ({exc}). "
                "Set QA_MODEL to a local model folder or to a model name this machine "
                "can download."
            ) from exc

    @cached_property
    def dim(self) -> int:  # type: ignore[override]
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        prompt = self._prompts[kind]
        vectors = self._model.encode(
            [prompt + text for text in texts],
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
