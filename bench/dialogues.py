"""Speaker detection against hand labels: `python -m bench.dialogues`.

`bench/data/lctt-2019-dialogues.yaml` labels 44 articles of the real archive
(`../shared/bench/lctt-2019`) by hand: whether each is a dialogue (an
interview, a Q&A, a transcript of named speakers) and who speaks in it. This
reads each article as `qa index` does (the archive's boilerplate learned from
all of it) and prints precision and recall of "this article is a dialogue"
(some passage has a speaker) and of the speakers' names, as one JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from qa.ingest.articles import read_article
from qa.ingest.chunker import ChunkSettings
from qa.ingest.documents import corpus_files, learn_boilerplate, passage_records

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "data" / "lctt-2019-dialogues.yaml"
ARCHIVE = ROOT.parent / "shared" / "bench" / "lctt-2019"


def same_person(found: str, labelled: str) -> bool:
    """"Lipton" is "Jeff Lipton"; case and spacing aside."""
    a, b = found.lower().replace(" ", ""), labelled.lower().replace(" ", "")
    return a == b or (min(len(a), len(b)) >= 3 and (a in b or b in a))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def measure(archive: Path, labels: list[dict]) -> dict:
    boilerplate = learn_boilerplate(corpus_files(archive), "https://linux.cn")
    tp = fp = fn = 0
    names_found = names_right = names_labelled = names_recalled = 0
    wrong: list[str] = []
    for label in labels:
        article = read_article(archive / label["file"], "https://linux.cn")
        records = passage_records(article, ChunkSettings(), boilerplate)
        found = sorted({r.speaker for r in records if r.speaker})
        gold = label.get("speakers") or []
        tp += bool(found) and label["dialogue"]
        fp += bool(found) and not label["dialogue"]
        fn += not found and label["dialogue"]
        names_found += len(found)
        names_right += sum(any(same_person(f, g) for g in gold) for f in found)
        names_labelled += len(gold)
        names_recalled += sum(any(same_person(f, g) for f in found) for g in gold)
        if bool(found) != label["dialogue"] or any(not any(same_person(f, g) for g in gold) for f in found):
            wrong.append(f"{label['file']}: found {found}, labelled {gold}")
    return {
        "articles": len(labels), "dialogues": sum(bool(x["dialogue"]) for x in labels),
        "dialogue_precision": _ratio(tp, tp + fp), "dialogue_recall": _ratio(tp, tp + fn),
        "speaker_precision": _ratio(names_right, names_found),
        "speaker_recall": _ratio(names_recalled, names_labelled),
        "disagreements": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--labels", type=Path, default=LABELS)
    args = parser.parse_args()
    labels = yaml.safe_load(args.labels.read_text(encoding="utf-8"))
    print(json.dumps(measure(args.archive, labels), ensure_ascii=False))


if __name__ == "__main__":
    main()
