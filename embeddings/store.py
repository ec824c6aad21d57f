"""Vectors on disk: 8-bit rows memory-mapped for exact scoring, a FAISS
index for finding the nearest ones. (The index's manifest, which records the
model the vectors come from, is `qa.manifest`.)

- `VectorMatrix`: the vectors as int8 codes, one scale per row, in raw files
  (a quarter of float32's bytes; a cosine moves by 0.0002 on average). It
  is memory-mapped, so the pages a question touches are read on demand and
  every server process on the machine shares one copy in the page cache.
  8-bit codes also turn back into floats twenty times faster than float16
  does in numpy, which matters: a question rescores a few thousand
  sentence vectors.
- `VectorIndex`: FAISS search over those vectors. Exact (a flat scan of
  float16 codes) up to `EXACT_UP_TO` vectors, where it takes well under a
  millisecond; an HNSW graph over float16 codes beyond, whose candidates the
  caller rescores from the matrix (over 8-bit codes, the graph's recall@10
  against exact search was 0.986-0.989 on DRCD, quantisation flipping
  near-ties whatever efSearch; over float16, 0.995-0.998). The FAISS file
  is memory-mapped too where FAISS allows it.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

EXACT_UP_TO = 20_000  # vectors; see the README's "How big can it get"
HNSW_M = 32  # neighbours per node
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128  # recall@10 against exact search: see `bench/ann_recall.py`
_LEVELS = 127


@dataclass(frozen=True)
class Neighbours:
    """Rows of a `VectorIndex` search, best first, with their inner products."""

    rows: np.ndarray  # int64
    scores: np.ndarray  # float32


class VectorMatrix:
    """Vectors as int8 codes times a scale per row (its largest magnitude over
    127), in row order. A scale per row never clips; on e5 vectors a cosine
    moves by 0.0002 on average, 0.0013 at most."""

    def __init__(self, codes: np.ndarray, scales: np.ndarray):
        self._codes = codes
        self._scales = scales

    @classmethod
    def of(cls, vectors: np.ndarray) -> VectorMatrix:
        """In memory (tests and small sets)."""
        return cls(*_quantise(np.atleast_2d(np.asarray(vectors, dtype=np.float32))))

    @classmethod
    def open(cls, path: Path, dim: int) -> VectorMatrix:
        """Memory-mapped read-only from the files `MatrixWriter` wrote."""
        size = path.stat().st_size
        if size % dim:
            raise ValueError(f"{path} holds {size} bytes, not whole rows of {dim} codes")
        scales = np.fromfile(_scales_path(path), dtype=np.float32)
        if len(scales) * dim != size:
            raise ValueError(f"{_scales_path(path)} holds {len(scales)} scales for {size // dim} rows")
        return cls(_mapped(path, np.int8).reshape(-1, dim), scales)

    @property
    def size(self) -> int:
        return int(self._codes.shape[0])

    @property
    def dim(self) -> int:
        return int(self._codes.shape[1])

    def get(self, rows: np.ndarray | slice) -> np.ndarray:
        """The vectors of `rows`, as float32."""
        return self._codes[rows].astype(np.float32) * self._scales[rows, None]

    def cosines(self, vector: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Inner product of `vector` with each of `rows` (cosine: both are unit
        vectors). numpy's own loop, not BLAS: BLAS threads would spin against
        the embedder's for a product this small."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        return np.einsum("ij,j->i", self._codes[rows].astype(np.float32), query) * self._scales[rows]

    def chunks(self, size: int = 65536) -> Iterator[np.ndarray]:
        for start in range(0, self.size, size):
            yield self.get(slice(start, start + size))


class MatrixWriter:
    """Appends rows to a file of int8 codes and a file of row scales, chunk by
    chunk (memory bounded by the chunk)."""

    def __init__(self, path: Path, dim: int):
        self.path, self.dim, self.size = path, dim, 0
        self._codes = path.open("wb")
        self._scales = _scales_path(path).open("wb")

    def write(self, vectors: np.ndarray) -> None:
        codes, scales = _quantise(np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim))
        self._codes.write(codes.tobytes())
        self._scales.write(scales.tobytes())
        self.size += len(codes)

    def close(self) -> None:
        self._codes.close()
        self._scales.close()

    def __enter__(self) -> MatrixWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _scales_path(path: Path) -> Path:
    return path.with_name(path.name + ".scales")


def _quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and the scale of each row."""
    largest = np.abs(vectors).max(axis=1) if vectors.size else np.zeros(len(vectors), np.float32)
    scales = np.where(largest > 0, largest / _LEVELS, 1.0).astype(np.float32)
    return np.rint(vectors / scales[:, None]).astype(np.int8), scales


def _mapped(path: Path, dtype: type) -> np.ndarray:
    """The file's values, memory-mapped read-only (an empty array for an empty file)."""
    if not path.stat().st_size:
        return np.zeros(0, dtype=dtype)
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    mapped.madvise(mmap.MADV_RANDOM)  # rows are read a few at a time: no read-ahead
    return np.frombuffer(mapped, dtype=dtype)


class VectorIndex:
    """Inner-product search (cosine over unit vectors) over a `VectorMatrix`."""

    def __init__(self, index: faiss.Index):
        # One query at a time: OpenMP threads only add start-up cost here and
        # fight the embedder's threads for the same cores.
        faiss.omp_set_num_threads(1)
        self._index = index
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH

    @classmethod
    def build(cls, matrix: VectorMatrix, exact_up_to: int = EXACT_UP_TO) -> VectorIndex:
        """Exact for `exact_up_to` vectors or fewer, HNSW beyond; added chunk by chunk."""
        metric = faiss.METRIC_INNER_PRODUCT
        if matrix.size <= exact_up_to:
            index = faiss.IndexScalarQuantizer(matrix.dim, faiss.ScalarQuantizer.QT_fp16, metric)
        else:
            index = faiss.IndexHNSWSQ(matrix.dim, faiss.ScalarQuantizer.QT_fp16, HNSW_M, metric)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.train(_sample(matrix, 65536))
        for chunk in matrix.chunks():
            index.add(chunk)
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self._index, faiss.IndexHNSW) else "exact"

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def search(self, vector: np.ndarray, k: int) -> Neighbours:
        """The `k` nearest rows (fewer when the index is smaller), best first."""
        k = min(k, self.size)
        if k <= 0:
            return Neighbours(np.zeros(0, np.int64), np.zeros(0, np.float32))
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, rows = self._index.search(query, k)
        keep = rows[0] >= 0  # FAISS pads with -1 when it finds fewer than k
        return Neighbours(rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32))


def _sample(matrix: VectorMatrix, count: int) -> np.ndarray:
    """Up to `count` rows spread over the matrix, for training the quantiser."""
    rows = np.linspace(0, matrix.size - 1, min(count, matrix.size)).astype(np.int64)
    return matrix.get(rows)

