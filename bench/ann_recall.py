"""Recall@10 of the approximate (HNSW) index against exact search, on the
real e5 vectors of the shared QA sets: `python -m bench.ann_recall`.

Every context of CMRC 2018 trial and DRCD dev is indexed (through the
embedding cache, so vectors come as `qa eval --squad` made them); the
passages' vectors, and their sentences' too, are indexed with HNSW however
few they are, and each question's 10 nearest by HNSW are compared with its
10 nearest by exact search. Prints one JSON line per set and kind.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from embeddings.cache import EmbeddingCache
from embeddings.store import VectorIndex, VectorMatrix
from qa.build import write_index
from qa.index import Index
from qa.runtime import make_embedder, make_tokenizer
from qa.settings import Settings
from qa.squad import load_squad
from qa.text import normalize

SETS = [Path(__file__).resolve().parents[2] / "shared" / "bench" / name
        for name in ("cmrc2018_trial.json", "drcd_dev.json")]


def recall_at(matrix: VectorMatrix, queries: np.ndarray, k: int = 10) -> float:
    approximate = VectorIndex.build(matrix, exact_up_to=0)
    exact = queries @ matrix.get(slice(None)).T
    found = []
    for row, query in enumerate(queries):
        truth = set(np.argsort(-exact[row], kind="stable")[:k].tolist())
        found.append(len(truth & set(approximate.search(query, k).rows.tolist())) / min(k, matrix.size))
    return round(float(np.mean(found)), 4)


def main() -> int:
    settings = Settings()
    embedder, tokenizer = make_embedder(settings), make_tokenizer(settings)
    for path in SETS:
        squad = load_squad(path)
        cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
        with tempfile.TemporaryDirectory(prefix="qa-ann-") as tmp:
            write_index(Path(tmp), squad.documents(), embedder, tokenizer, cache, {"ann": True})
            index = Index.load(Path(tmp), embedder, tokenizer)
        cache.close()
        questions = [q for q, _ in squad.questions if q.strip()]
        queries = np.stack([embedder.embed_query(normalize(q)) for q in questions])
        dense = index.dense
        for kind, matrix in (("passages", dense.passage_vectors), ("sentences", dense.sentence_vectors)):
            print(json.dumps({"set": path.name, "vectors": kind, "size": matrix.size,
                              "questions": len(questions), "ann_recall@10": recall_at(matrix, queries)}),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
