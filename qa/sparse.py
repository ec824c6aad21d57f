"""BM25 built in bounded memory, stored as plain .npy files, searched by
posting list.

`SparseBuilder` takes passages chunk by chunk and writes each chunk's (term,
passage, count) triples to disk sorted by term. `finish` merges them, one
range of terms at a time, into a CSC matrix of precomputed BM25 scores (the
"lucene" variant: idf = log(1 + (N - df + 0.5) / (df + 0.5)), times
tf / (tf + k1 (1 - b + b dl / avgdl))): for each term (column), its passages
(`rows.npy`) and their scores (`scores.npy`), from `indptr.npy[col]` to
`indptr.npy[col + 1]`. `SparseIndex` memory-maps those files, so a question
reads only the posting lists of its terms and several server processes share
one copy.

The format is this module's own. bm25s (the reference this was first built
on) indexes a corpus held in memory as token lists, which an archive of
400,000 passages does not fit, keeps a vocabulary dictionary (see below), and
sums a question's postings with `np.add.at`, several times slower than the
bincount here: it did no work at run time. It stays the oracle that
`tests/qa/test_sparse.py` checks every score against.

Terms are named by a 64-bit hash instead of a vocabulary dictionary: the
sorted hashes of the indexed terms are the vocabulary (column i holds the
term whose hash is i-th), searched with `np.searchsorted`. A phrase index of
an archive holds tens of millions of distinct terms; a dictionary of them
would cost gigabytes in every server process.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import mmap
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

K1, B = 1.2, 0.75
RUN_ENTRIES = 8_000_000  # (term, passage) entries per sorted run on disk
MERGE_ENTRIES = 4_000_000  # (term, passage) entries merged at a time: bounds the merge's memory
# Posting-list entries a question's candidates are found in, at most (`SparseIndex.match`).
# On 100,000 synthetic passages (200 questions), 20,000 keep 98% of BM25's own
# top 10 among its best 50 candidates (50,000: 99.7%), and the hybrid's top 1
# and top 5 agree with full scoring as often (0.735 / 0.819 against 0.750 /
# 0.823: fusion's other parts find the rest), at 0.9 ms a question against
# 1.35. Below it, as on the public sets of a thousand passages, all terms count.
POSTINGS_BUDGET = 20_000
# The type of each posting's BM25 score on disk (scores are summed in float32).
# float16 keeps 11 significant bits: a relative error of at most 0.05%.
POSTING_SCORE = np.float16
# The files of a sparse index: the vocabulary (sorted term hashes), each
# column's start in the postings, the postings' rows and scores, and K1, B and
# the number of passages (and their mean length); the terms of each passage
# (`lengths.npy`, absent from indexes built before it: `SparseIndex.score_rows`).
_TERMS, _INDPTR, _PARAMS = "terms.u64.npy", "indptr.npy", "params.json"
_LENGTHS = "lengths.npy"
_ROWS, _SCORES = "rows.npy", "scores.npy"
_RUN = np.dtype([("term", "<u8"), ("doc", "<i4"), ("tf", "<u4")])


def term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")


# Questions share most of their terms (什么, 是, their bigrams): a question's
# forty-odd terms hashed and searched for again cost more than remembering
# their columns (`SparseIndex.columns`).
COLUMN_MEMO = 65_536
TERM_MEMO = 1_000_000  # terms whose hash the build remembers: a speed-up, not a vocabulary


def term_hashes(terms: Iterable[str], memo: dict[str, int] | None = None) -> np.ndarray:
    """The hashes of `terms`; `memo` spares hashing a term twice."""
    memo = {} if memo is None else memo
    out = []
    for term in terms:
        value = memo.get(term)
        if value is None:
            value = memo[term] = term_hash(term)
        out.append(value)
    return np.array(out, dtype=np.uint64)


class SparseBuilder:
    """Writes a BM25 index of passages given in order, chunk by chunk, into `folder`."""

    def __init__(self, folder: Path, run_entries: int = RUN_ENTRIES):
        self.folder = folder
        self._runs = folder / "runs"
        self._runs.mkdir(parents=True, exist_ok=True)
        self._run_entries = run_entries
        self._lengths: list[np.ndarray] = []  # terms per passage, one array per `add`
        self._pending: list[np.ndarray] = []  # entries not yet written to a run
        self._docs = 0
        self._memo: dict[str, int] = {}

    def add(self, passages: Sequence[Sequence[str]]) -> None:
        """Index the next passages, each as its list of terms (repeats count)."""
        lengths = np.array([len(t) for t in passages], dtype=np.int64)
        hashes = term_hashes(itertools.chain.from_iterable(passages), self._memo)
        docs = np.repeat(np.arange(self._docs, self._docs + len(passages), dtype=np.int32), lengths)
        order = np.lexsort((docs, hashes))
        hashes, docs = hashes[order], docs[order]
        new = np.ones(len(hashes), dtype=bool)  # where a (term, doc) pair starts
        new[1:] = (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(new)
        entries = np.empty(len(starts), dtype=_RUN)
        entries["term"], entries["doc"] = hashes[starts], docs[starts]
        entries["tf"] = np.diff(np.append(starts, len(hashes)))
        self._pending.append(entries)
        self._lengths.append(lengths.astype(np.int32))
        self._docs += len(passages)
        if sum(len(e) for e in self._pending) >= self._run_entries:
            self._write_run()
        if len(self._memo) > TERM_MEMO:
            self._memo.clear()

    def _write_run(self) -> None:
        if not self._pending:
            return
        run = np.concatenate(self._pending)
        run = run[np.argsort(run["term"], kind="stable")]  # docs stay in order within a term
        number = len(list(self._runs.glob("*.run")))
        run.tofile(self._runs / f"{number:06d}.run")
        np.unique(run["term"]).tofile(self._runs / f"{number:06d}.terms")
        self._pending = []

    def finish(self) -> None:
        """Merge the runs into the index's files and remove them."""
        self._write_run()
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int32)
        runs = sorted(self._runs.glob("*.run"))
        vocab = np.unique(np.concatenate(
            [np.zeros(0, np.uint64)] + [np.fromfile(r.with_suffix(".terms"), np.uint64) for r in runs]))
        df = self._document_frequencies(runs, vocab)
        indptr = np.concatenate([[0], np.cumsum(df, dtype=np.int64)])
        nnz = int(indptr[-1])
        np.save(self.folder / _TERMS, vocab)
        np.save(self.folder / _INDPTR, indptr)
        np.save(self.folder / _LENGTHS, lengths)
        idf = np.log1p((len(lengths) - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = max(float(lengths.mean()), 1e-9) if len(lengths) else 1.0
        norm = (K1 * (1 - B + B * lengths / avgdl)).astype(np.float32)
        # float16 scores: half the size of the largest files of an index, and
        # a term's score moves by at most 0.05% (see POSTING_SCORE).
        scores = np.lib.format.open_memmap(self.folder / _SCORES, "w+", POSTING_SCORE, (nnz,))
        rows = np.lib.format.open_memmap(self.folder / _ROWS, "w+", np.int32, (nnz,))
        at = 0
        for part in _merged(runs, vocab, MERGE_ENTRIES):
            cols = np.searchsorted(vocab, part["term"])
            tf = part["tf"].astype(np.float32)
            scores[at : at + len(part)] = idf[cols] * tf / (tf + norm[part["doc"]])
            rows[at : at + len(part)] = part["doc"]
            at += len(part)
        if at != nnz:
            raise AssertionError(f"merged {at} postings of {nnz}")
        scores.flush()
        rows.flush()
        del scores, rows  # unmapped: the files are complete
        (self.folder / _PARAMS).write_text(
            json.dumps({"k1": K1, "b": B, "passages": len(lengths), "avgdl": avgdl}), "utf-8")
        shutil.rmtree(self._runs)

    @staticmethod
    def _document_frequencies(runs: list[Path], vocab: np.ndarray) -> np.ndarray:
        df = np.zeros(len(vocab), dtype=np.int64)
        for run in runs:
            terms = np.fromfile(run, dtype=_RUN)["term"]
            df += np.bincount(np.searchsorted(vocab, terms), minlength=len(vocab))
        return df


def _merged(runs: list[Path], vocab: np.ndarray, budget: int) -> Iterable[np.ndarray]:
    """All entries of the runs in (term, doc) order, a range of terms at a time.

    Each run is sorted by term and runs hold increasing docs, so within a term
    range, concatenating the runs' slices in run order and sorting stably by
    term gives (term, doc) order.
    """
    sizes = [run.stat().st_size // _RUN.itemsize for run in runs]
    per_term = max(1, budget * len(vocab) // max(sum(sizes), 1))
    starts = [0] * len(runs)
    for low in range(0, len(vocab), per_term):
        high = vocab[min(low + per_term, len(vocab)) - 1]
        parts = []
        for i, run in enumerate(runs):
            part = _read_upto(run, starts[i], sizes[i], high)
            starts[i] += len(part)
            parts.append(part)
        block = np.concatenate(parts) if parts else np.zeros(0, dtype=_RUN)
        yield block[np.argsort(block["term"], kind="stable")]


def _read_upto(run: Path, start: int, size: int, high: np.uint64) -> np.ndarray:
    """Entries of `run` from `start` whose term is at most `high` (read in pieces)."""
    pieces, at = [], start
    while at < size:
        piece = np.fromfile(run, dtype=_RUN, count=min(1 << 20, size - at), offset=at * _RUN.itemsize)
        end = int(np.searchsorted(piece["term"], high, side="right"))
        pieces.append(piece[:end])
        at += end
        if end < len(piece):
            break
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=_RUN)


def _mapped(path: Path) -> np.ndarray:
    """A .npy file's array, memory-mapped read-only as a plain ndarray
    (`np.memmap`'s indexing costs microseconds a call), without read-ahead:
    a question reads a few posting lists, not their neighbours."""
    with path.open("rb") as file:
        fmt = np.lib.format
        major, _ = fmt.read_magic(file)
        read_header = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
        shape, fortran_order, dtype = read_header(file)
        offset = file.tell()
        if fortran_order or len(shape) != 1:
            raise ValueError(f"{path} holds a {shape} array, not one row of values")
        if not shape[0]:
            return np.zeros(0, dtype=dtype)
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    mapped.madvise(mmap.MADV_RANDOM)
    return np.frombuffer(mapped, dtype=dtype, count=shape[0], offset=offset)


@dataclass
class SparseIndex:
    """A BM25 index written by `SparseBuilder`, memory-mapped."""

    vocab: np.ndarray  # sorted term hashes; the column of a term is its position
    indptr: np.ndarray  # column `c`'s postings: [indptr[c], indptr[c + 1])
    indices: np.ndarray  # each posting's row (passage), increasing within a column
    data: np.ndarray  # each posting's BM25 score
    size: int  # passages
    # Terms of each passage and their mean, as the scores were computed with;
    # None in an index built before they were kept.
    lengths: np.ndarray | None = None
    avgdl: float | None = None
    _known: dict[str, int] = field(default_factory=dict, repr=False)  # term -> column, -1: not held

    @classmethod
    def load(cls, folder: Path) -> SparseIndex:
        params = json.loads((folder / _PARAMS).read_text("utf-8"))
        kept = (folder / _LENGTHS).is_file() and "avgdl" in params
        return cls(*(_mapped(folder / name) for name in (_TERMS, _INDPTR, _ROWS, _SCORES)),
                   size=int(params["passages"]), lengths=_mapped(folder / _LENGTHS) if kept else None,
                   avgdl=float(params["avgdl"]) if kept else None)

    def columns(self, terms: Iterable[str]) -> list[int]:
        """The columns of those `terms` the index holds, each once."""
        return list(dict.fromkeys(c for c in self._columns(terms).values() if c >= 0))

    def _columns(self, terms: Iterable[str]) -> dict[str, int]:
        """Each distinct term's column (-1 for a term the index lacks)."""
        found = {term: self._known.get(term, -1) for term in terms}
        unknown = [term for term, col in found.items() if col < 0 and term not in self._known]
        if unknown and len(self.vocab):
            hashes = term_hashes(unknown)
            cols = np.minimum(np.searchsorted(self.vocab, hashes), len(self.vocab) - 1)
            held = self.vocab[cols] == hashes
            if len(self._known) + len(unknown) > COLUMN_MEMO:  # a speed-up, not a vocabulary
                self._known.clear()
            for term, col, is_held in zip(unknown, cols.tolist(), held.tolist(), strict=True):
                found[term] = self._known[term] = col if is_held else -1
        return found

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        """The BM25 score of every passage (zeros when no term is indexed)."""
        return self._summed(self._joined(np.array(self.columns(terms), dtype=np.int64)))

    def score_rows(self, terms: Iterable[str], rows: np.ndarray,
                   within: np.ndarray | None = None) -> np.ndarray:
        """The BM25 score of each of `rows`, every term looked up in its
        postings (no pass over every passage). With `within` (sorted rows
        that hold `rows`: a question's scope), the score an index of those
        passages alone would give (`_rescored`): 陈恺 is rare in an archive
        and names no paragraph of his interview, where he is everywhere."""
        cols = np.array(self.columns(terms), dtype=np.int64)
        if within is None:
            return self._contribution(cols, rows)
        return self._rescored(cols, rows, within).sum(axis=0, dtype=np.float32)

    def _rescored(self, cols: np.ndarray, rows: np.ndarray, within: np.ndarray) -> np.ndarray:
        """The score each of `cols` gives each of `rows` in an index of the
        passages `within` alone (terms x rows): its idf over them, and each
        passage's length over their mean length. The term count is read
        back from the stored score (score / idf = tf / (tf + norm), norm from
        the passage's length), rounded to a whole count. An index without
        the lengths (built before they were kept) changes the idf only."""
        scores = self._term_scores(cols, rows).astype(np.float64)
        stored = idfs(self.indptr[cols + 1] - self.indptr[cols], self.size)[:, None]
        local = idfs(self._counts_within(cols, within), len(within))[:, None]
        if self.lengths is None or self.avgdl is None or not len(within):
            return (scores * np.divide(local, stored, out=np.zeros_like(stored), where=stored > 0)
                    ).astype(np.float32)
        length = self.lengths[rows].astype(np.float64)
        norm = K1 * (1 - B + B * length / self.avgdl)
        local_norm = K1 * (1 - B + B * length / max(float(self.lengths[within].mean()), 1e-9))
        share = np.clip(np.divide(scores, stored, out=np.zeros_like(scores), where=stored > 0), 0, 0.999)
        tf = np.where(scores > 0, np.maximum(np.rint(share * norm / (1 - share)), 1), 0)
        return (local * tf / (tf + local_norm)).astype(np.float32)

    def _postings(self, cols: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Each column's posting list: its rows (sorted) and their scores."""
        data, indices, indptr = self.data, self.indices, self.indptr
        # Python ints from one lookup: a numpy scalar per column costs microseconds.
        for start, end in zip(indptr[cols].tolist(), indptr[cols + 1].tolist(), strict=True):
            yield indices[start:end], data[start:end]

    def posting_rows(self, terms: Iterable[str]) -> Iterator[np.ndarray]:
        """The rows (sorted) holding each of `terms` the index holds, the
        shortest list first."""
        cols = np.array(self.columns(terms), dtype=np.int64)
        lengths = self.indptr[cols + 1] - self.indptr[cols]
        for rows, _ in self._postings(cols[np.argsort(lengths, kind="stable")]):
            yield rows

    def _joined(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The posting lists of `cols` one after another: rows and scores."""
        lists = list(self._postings(cols))
        if not lists:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        return np.concatenate([rows for rows, _ in lists]), np.concatenate([values for _, values in lists])

    def _summed(self, joined: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Posting lists (`_joined`) summed for every passage, in one bincount
        (bm25s's `np.add.at`, or an indexed add per column, cost several
        times more)."""
        rows, values = joined
        return np.bincount(rows, weights=values, minlength=self.size).astype(np.float32)

    def match(self, terms: Iterable[str], budget: int = POSTINGS_BUDGET) -> Match:
        """A question's terms scored against the index: see `Match`."""
        cols = np.array(self.columns(terms), dtype=np.int64)
        indptr = self.indptr
        lengths = indptr[cols + 1] - indptr[cols]
        order = np.argsort(lengths, kind="stable")
        fits = int(np.searchsorted(np.cumsum(lengths[order]), budget, side="right"))
        rare, common = cols[order[: max(1, fits)]], cols[order[max(1, fits):]]
        joined = self._joined(rare)
        return Match(self, self._summed(joined), common, joined[0], len(rare))

    def _contribution(self, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The scores `cols` add to each of `rows`."""
        return self._term_scores(cols, rows).sum(axis=0, dtype=np.float32)

    def _term_scores(self, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The score each of `cols` gives each of `rows` (terms x rows): each
        row looked up in each term's posting list, which is sorted by passage."""
        data, indices, indptr = self.data, self.indices, self.indptr
        starts, ends = indptr[cols], indptr[cols + 1]
        # Where each row would stand in each term's list: one search per term,
        # the rest in whole-array steps (per-term steps cost microseconds each).
        # Rows in the postings' own type: searching int64 keys in an int32
        # list would first copy the whole list to int64.
        keys = rows.astype(indices.dtype)
        at = np.empty((len(cols), len(rows)), dtype=np.int64)
        for term, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            at[term] = indices[start:end].searchsorted(keys)
        at = np.minimum(at + starts[:, None], ends[:, None] - 1)  # past a list's end: its last entry
        held = indices[at] == rows
        return np.where(held, data[at], 0).astype(np.float32)

    def document_frequencies(self, terms: Sequence[str],
                             within: tuple[int, int] | np.ndarray | None = None) -> list[int]:
        """The passages that hold each of `terms` (0 for a term the index
        lacks); with `within`, those among rows [start, end) or among the
        sorted rows given."""
        found = self._columns(terms)
        cols = np.array([found[term] for term in terms], dtype=np.int64)
        indptr = self.indptr
        if within is None:
            return np.where(cols >= 0, indptr[cols + 1] - indptr[cols], 0).tolist()
        if isinstance(within, tuple):
            within = np.arange(*within)
        counts = self._counts_within(np.maximum(cols, 0), within)
        return np.where(cols >= 0, counts, 0).tolist()

    def _counts_within(self, cols: np.ndarray, within: np.ndarray) -> np.ndarray:
        """How many of the sorted rows `within` each of `cols` holds. A run of
        consecutive rows (an article) costs two searches a term; other sets
        a search of the shorter list in the longer, so the cost is bounded by
        `within`, not by the corpus."""
        counts = np.zeros(len(cols), dtype=np.int64)
        if not len(within):
            return counts
        consecutive = int(within[-1]) - int(within[0]) + 1 == len(within)
        for at, (start, end) in enumerate(zip(self.indptr[cols].tolist(), self.indptr[cols + 1].tolist(),
                                              strict=True)):
            rows = self.indices[start:end]
            if consecutive:
                counts[at] = rows.searchsorted(within[-1], "right") - rows.searchsorted(within[0])
            else:
                counts[at] = np.count_nonzero(members(within, rows) if len(within) < len(rows)
                                              else members(rows, within))
        return counts


def members(values: np.ndarray, sorted_rows: np.ndarray) -> np.ndarray:
    """Whether each of `values` is in `sorted_rows` (sorted, distinct): a
    search each, no pass over `sorted_rows`."""
    if not len(sorted_rows):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_rows, values), len(sorted_rows) - 1)
    return sorted_rows[at] == values


def idf(df: int, n: int) -> float:
    """BM25's (lucene) inverse document frequency."""
    return math.log1p((n - df + 0.5) / (df + 0.5))


def idfs(df: np.ndarray, n: int) -> np.ndarray:
    """`idf` of each of the document frequencies `df` (float64)."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n - df + 0.5) / (df + 0.5))


@dataclass
class Match:
    """One question's terms against a `SparseIndex`.

    Its rarest terms, whose posting lists together hold the budget's entries
    (always the rarest one), are summed over every passage in one pass
    (`partial`): they find the candidates. A common term adds a little to very
    many passages and, on an archive, would cost more than all the rest; it
    is looked up only for the rows scored (`score_rows`). Below the budget
    (every question of a small corpus) the two are one and the same.
    """

    index: SparseIndex
    partial: np.ndarray  # the rare terms' score of every passage
    common: np.ndarray  # columns of the terms left out of `partial`
    touched: np.ndarray  # the rows in the rare terms' postings, once per term they hold
    rare_terms: int

    def best(self, k: int) -> np.ndarray:
        """Up to `k` rows with the highest scores of the rare terms, best first
        (a passage without one of them is no candidate). Read from the
        postings, not from a scan of every passage: a row appears there at
        most once per rare term, so the best k x terms entries hold the best
        k rows."""
        rows = self.touched
        enough = k * max(self.rare_terms, 1)
        if len(rows) > enough:
            rows = rows[np.argpartition(-self.partial[rows], enough - 1)[:enough]]
        found = np.unique(rows)
        found = found[np.argsort(-self.partial[found], kind="stable")]
        return found[:k]

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        """The BM25 score, every term counted, of each of `rows`."""
        scores = self.partial[rows]
        return scores + self.index._contribution(self.common, rows) if len(self.common) else scores
