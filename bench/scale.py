"""How big can it get: `make bench-scale` (python -m bench.scale).

Builds synthetic archives of 10,000, 100,000 and 400,000 passages from the
contexts of the shared QA sets (CMRC 2018 trial, DRCD dev), asks them the
sets' questions in-process, and prints one JSON line per size:

    passages, sentences, build_s, build_peak_rss_mb, serve_rss_mb (with
    serve_rss_anon_mb / serve_rss_file_mb: private memory and the shared,
    memory-mapped index files), ask_p50_ms, ask_p99_ms (retrieval and answer,
    everything but the model's embedding of the question, with the index
    files in the page cache), ann_recall@10 (the passages' FAISS index against
    exact search, over the first 200 questions), vector_index.

The vectors come from `TextHashEmbedder`, a stand-in that hashes character
bigrams into 384 dimensions: it costs no model time, so that the figures
are those of the index, not of the embedder. It is for this benchmark only,
never a setting a user can choose. A synthetic passage is a run of sentences
of one context plus a few sentences of others, so passages are distinct but
the vocabulary is that of the two sets (a real archive's is larger).

Each size is built and served in its own process (peak memory is per
process). Sizes that cannot finish within --max-minutes are skipped with a
note. Times on this project's 2-core machine: README "How big can it get".

    python -m bench.scale [--sizes 10000 100000 400000] [--questions 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from embeddings.base import Embedder, Kind
from qa.build import write_index
from qa.index import Index
from qa.ingest.documents import Document
from qa.records import ArticleInfo, PassageRecord
from qa.retrieval import Query
from qa.service import QAService
from qa.squad import asked, load_squad
from qa.text import sentence_spans
from qa.tokenize import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
SETS = [ROOT.parent / "shared" / "bench" / name for name in ("cmrc2018_trial.json", "drcd_dev.json")]
PASSAGES_PER_ARTICLE = 30
SECONDS_PER_PASSAGE = 0.004  # build time on the 2-core machine, for the time budget


class TextHashEmbedder(Embedder):
    """Vectors derived from the text: character bigrams hashed into 384
    dimensions. A stand-in for the benchmark, with no model cost."""

    model_id = "bench-text-hash"
    dim = 384

    def encode(self, texts: list[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = [zlib.crc32(text[i : i + 2].encode()) for i in range(max(len(text) - 1, 1))]
            out[row] = np.bincount(np.array(grams) % self.dim, minlength=self.dim)
        return out


def _load_sets() -> tuple[list[str], list[str]]:
    """The contexts and the questions of the shared sets."""
    sets = [load_squad(path) for path in SETS]
    return [p.text for squad in sets for p in squad.passages], [q for squad in sets for q in asked(squad)]


def synthetic_documents(size: int, seed: int = 1) -> Iterator[Document]:
    """`size` distinct passages in articles of PASSAGES_PER_ARTICLE."""
    rng = random.Random(seed)
    contexts, _ = _load_sets()
    sentences = [[c[s:e] for s, e in sentence_spans(c)] for c in contexts]
    pool = [s for group in sentences for s in group]
    for start in range(0, size, PASSAGES_PER_ARTICLE):
        article = f"s{start // PASSAGES_PER_ARTICLE}"
        records = []
        for n in range(1, min(PASSAGES_PER_ARTICLE, size - start) + 1):
            own = sentences[rng.randrange(len(sentences))]
            first = rng.randrange(max(len(own) - 3, 1))
            parts = own[first : first + rng.randint(3, 8)] + rng.sample(pool, rng.randint(1, 3))
            text = "".join(parts)
            records.append(PassageRecord(f"{article}#p{n}", article, text, None, n, (0, len(text)),
                                         tuple(sentence_spans(text))))
        yield ArticleInfo(article, f"合成文章 {article}", None, None, None), records


def rss_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def build(size: int, folder: Path) -> dict:
    started = time.perf_counter()
    report = write_index(folder, synthetic_documents(size), TextHashEmbedder(), Tokenizer(), None,
                         {"bench": "scale"})
    return {"passages": report.passages, "sentences": report.sentences,
            "build_s": round(time.perf_counter() - started, 1),
            "build_peak_rss_mb": round(rss_mb()["VmHWM"])}


def warm_page_cache(folder: Path, chunk: int = 1 << 24) -> None:
    """Read every file of the index once, as a server that has run a while
    finds them in the page cache: a cold cache times the disk, not the index."""
    for path in sorted(p for p in folder.resolve().rglob("*") if p.is_file()):
        with path.open("rb") as file:
            while file.read(chunk):
                pass


def serve(folder: Path, questions: int) -> dict:
    warm_page_cache(folder / "current")
    embedder = TextHashEmbedder()
    index = Index.load(folder, embedder, Tokenizer())
    service = QAService(index, cache_size=0)
    _, pool = _load_sets()
    asked = random.Random(2).sample(pool, questions + 10)
    for question in asked[questions:]:  # warm up (tokenizer, first page faults) on questions not timed
        service.ask(question)
    asked = asked[:questions]
    times = []
    for question in asked:
        timings = service.ask(question).timings_ms
        times.append(timings["total"] - timings["embed"])
    memory = rss_mb()
    return {"ask_p50_ms": round(float(np.percentile(times, 50)), 2),
            "ask_p99_ms": round(float(np.percentile(times, 99)), 2),
            "serve_rss_mb": round(memory["VmRSS"]), "serve_rss_anon_mb": round(memory["RssAnon"]),
            "serve_rss_file_mb": round(memory["RssFile"]),
            "ann_recall@10": ann_recall(index, [embedder.embed_query(q) for q in asked[:200]]),
            "vector_index": index.manifest["vector_index"]}


def ann_recall(index: Index, vectors: list[np.ndarray], k: int = 10) -> float:
    """Share of the exact 10 nearest passages that the FAISS index returns."""
    matrix = index.dense.passage_vectors
    exact = np.zeros((len(vectors), matrix.size), dtype=np.float32)
    queries = np.stack(vectors)
    for start, chunk in zip(range(0, matrix.size, 65536), matrix.chunks(65536), strict=True):
        exact[:, start : start + len(chunk)] = queries @ chunk.T
    found = []
    for row, vector in enumerate(vectors):
        truth = set(np.argsort(-exact[row], kind="stable")[:k].tolist())
        found.append(len(truth & set(index.dense.candidates(Query("", [], vector), k).tolist())) / k)
    return round(float(np.mean(found)), 4)


def _child(command: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.scale", command, *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench-scale: `{command} {' '.join(args)}` failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("build", "serve"):  # a child process
        folder = Path(argv[2] if argv[0] == "build" else argv[1])
        result = build(int(argv[1]), folder) if argv[0] == "build" else serve(folder, int(argv[2]))
        print(json.dumps(result))
        return 0
    args = _parser().parse_args(argv)
    deadline = time.monotonic() + args.max_minutes * 60
    for size in args.sizes:
        if time.monotonic() + size * SECONDS_PER_PASSAGE > deadline:
            print(json.dumps({"passages": size, "skipped": f"would not finish within --max-minutes "
                                                          f"{args.max_minutes}"}), flush=True)
            continue
        folder = args.workdir / f"n{size}"
        result = _child("build", str(size), str(folder))
        result |= _child("serve", str(folder), str(args.questions))
        print(json.dumps(result), flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 400_000])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--max-minutes", type=float, default=120)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench-scale")
    return parser


if __name__ == "__main__":
    sys.exit(main())
