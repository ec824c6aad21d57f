"""The embedder interface: one required method, two conveniences."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Literal

import numpy as np

Kind = Literal["query", "document"]


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors.

    Queries and documents are separate calls because asymmetric models (e5,
    bge) prefix them differently. Subclasses load their model lazily, on the
    first call, never at import or construction.
    """

    #: Identifies the model and its settings; an index records it and refuses
    #: to be searched with vectors of another model.
    model_id: str
    dim: int
    #: (floor, span) of this model's question–sentence cosines as evidence of
    #: an answer: `floor` and below says nothing, `floor + span` is sure. None
    #: when not calibrated; answerability then rests on words alone.
    answer_cosines: tuple[float, float] | None = None
    #: The same scale for a question in another language than the articles,
    #: when none of its words is in the dictionary (`qa.crosslingual`).
    cross_lingual_cosines: tuple[float, float] | None = None

    @abstractmethod
    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        """Vectors of `texts`, one row each."""

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalize(self.encode([text], "query"))[0]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(self.encode(texts, "document"))

    def embed_document_batches(self, batches: Iterable[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        """Each batch with its document vectors, as each is done. In order
        here; an embedder that fans out (`embeddings.pool`) works on several
        batches at once and yields them as they finish."""
        for batch in batches:
            yield batch, self.embed_documents(batch)

    def close(self) -> None:
        """Let go of what the embedder started (worker processes); it starts them again when used."""
        return None


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)
