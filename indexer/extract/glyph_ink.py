"""Pieces of ink and the paper they enclose, for the Thai digit reader
(thai_digit_reader.py): a digit is one connected piece of ink, and ๕ differs from ๔ by the
small loop on its top, a piece of paper its ink closes round."""

from __future__ import annotations

import numpy as np

#: A loop's middle lies in this top share of its glyph's height to be ๕'s top loop (๔, ๕
#: and ๘ all close a loop lower down, at about 0.6 of their height; ๕'s top one is at
#: about 0.2 in the TLWG faces).
TOP_SHARE = 0.4
#: Paper closed round in fewer pixels than this is a pinhole in a stroke, not a loop.
LOOP_PIXELS = 3


def components(
    ink: np.ndarray, diagonals: bool = True
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """8-connected pieces of ink (4-connected without ``diagonals``), each as its runs (row,
    first column, end column): runs of neighbouring rows that touch are joined (union-find
    over runs, a few ms a word)."""
    height, width = ink.shape
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = ink
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_row: dict[int, list[int]] = {}
    for i, row in enumerate(rows.tolist()):
        by_row.setdefault(row, []).append(i)
    first, end = starts.tolist(), ends.tolist()
    reach = 0 if diagonals else 1  # how far two runs must overlap to touch
    for row, runs in by_row.items():
        for i in runs:
            for k in by_row.get(row - 1, ()):
                if first[k] + reach <= end[i] and end[k] >= first[i] + reach:
                    a, b = root(i), root(k)
                    if a != b:
                        parent[a] = b
    pieces: dict[int, list[int]] = {}
    for i in range(len(rows)):
        pieces.setdefault(root(i), []).append(i)
    return [(rows[p], starts[p], ends[p]) for p in pieces.values()]


def has_top_loop(ink: np.ndarray) -> bool:
    """Whether a glyph's ink (darkness, 0 off its ink) closes round a piece of paper in its
    top part: ๕'s small top loop, which ๔ lacks. Paper pieces are found as the ink's
    pieces are, on the paper padded by a ring that joins all outside paper into one, but
    without diagonals: ink touching at a corner closes a loop (ink is 8-connected)."""
    paper = np.pad(ink <= 0, 1, constant_values=True)
    height = ink.shape[0]
    for rows, starts, ends in components(paper.astype(np.int8), diagonals=False):
        if rows.min() == 0:  # the outside, joined by the padding ring
            continue
        widths = ends - starts
        area = int(widths.sum())
        middle = float(((rows - 1 + 0.5) * widths).sum()) / area
        if area >= LOOP_PIXELS and middle < TOP_SHARE * height:
            return True
    return False
