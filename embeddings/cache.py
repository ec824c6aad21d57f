"""A disk cache of document vectors keyed by model and text.

Re-indexing an unchanged corpus then embeds nothing, and adding an article
embeds only its new passages and sentences.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from embeddings.base import Embedder

BATCH = 16  # texts embedded, and written to the cache, at a time


class EmbeddingCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(keys), 500):  # SQLite's limit on bound variables
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk)
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


def embed_with_cache(
    embedder: Embedder,
    texts: list[str],
    cache: EmbeddingCache | None,
    progress=None,
) -> tuple[np.ndarray, int]:
    """Document vectors of `texts` and how many had to be computed.

    `progress`, if given, is called with the number of texts done so far.
    """
    keys = [EmbeddingCache.key(embedder.model_id, t) for t in texts]
    known = cache.get(list(set(keys))) if cache else {}
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
    done = len(texts) - len(missing)
    batches = (missing[start : start + BATCH] for start in range(0, len(missing), BATCH))
    for batch, vectors in embedder.embed_document_batches(batches):
        fresh = {EmbeddingCache.key(embedder.model_id, t): v
                 for t, v in zip(batch, vectors, strict=True)}
        if cache:
            cache.put(fresh)  # batch by batch: an interrupted build keeps what it embedded
        known.update(fresh)
        done += len(batch)
        if progress:
            progress(done)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    return np.stack([known[k] for k in keys]).astype(np.float32), len(missing)
