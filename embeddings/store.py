"""Vectors in a FAISS index on disk, with a JSON manifest beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from qa.errors import IndexMismatchError


@dataclass(frozen=True)
class VectorHit:
    row: int
    score: float


class VectorIndex:
    """Exact inner-product search over L2-normalised vectors (cosine similarity).

    A flat index: exact, and at the few thousand passages of an article site
    faster than building an approximate one.
    """

    index_type = "IDMap,Flat(IP)"

    def __init__(self, index: faiss.Index):
        # One query at a time: OpenMP threads only add start-up cost here and
        # fight the embedder's threads for the same cores.
        faiss.omp_set_num_threads(1)
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexIDMap(faiss.IndexFlatIP(vectors.shape[1]))
        index.add_with_ids(vectors, np.arange(len(vectors), dtype=np.int64))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, vector: np.ndarray, k: int) -> list[VectorHit]:
        k = min(k, self.size)
        if k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, rows = self._index.search(query, k)
        return [VectorHit(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def vectors(self) -> np.ndarray:
        """All vectors in row order (for re-scoring a handful of rows)."""
        flat = faiss.downcast_index(self._index.index)
        return faiss.rev_swig_ptr(flat.get_xb(), self.size * self.dim).reshape(self.size, self.dim).copy()


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def read_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def check_manifest(manifest: dict, model_id: str, dim: int, fix: str) -> None:
    """Refuse an index whose vectors come from another model or dimension."""
    built_with = (manifest.get("model"), manifest.get("dim"))
    if built_with != (model_id, dim):
        raise IndexMismatchError(
            f"the index was built with model {built_with[0]!r} ({built_with[1]} dimensions) "
            f"but the configured model is {model_id!r} ({dim} dimensions). "
            f"Rebuild it with `{fix}`, or configure the model it was built with."
        )
