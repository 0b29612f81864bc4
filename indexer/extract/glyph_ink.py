"""Glyphs cut from a number's box, for the Thai digit reader (thai_digit_reader.py): pieces
of ink (a digit is one connected piece), and the paper they close round (๕ differs from ๔ by
the small loop on its top)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Ink under this share of the inkiest glyph's is a mark (. , a speck), not a glyph: a
#: comma has about a ninth of a digit's ink.
MARK_SHARE = 0.2
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


@dataclass
class Glyph:
    left: int
    right: int  # exclusive
    top: int
    bottom: int  # exclusive
    ink: np.ndarray  # darkness 0-1 within the glyph's box, 0 off its connected ink

    @property
    def height(self) -> int:
        return self.bottom - self.top


def _otsu(pixels: np.ndarray) -> int:
    """The grey level that best splits ink from paper in a word's box."""
    counts = np.bincount(pixels.ravel(), minlength=256).astype(float)
    below = np.cumsum(counts)
    mass = np.cumsum(counts * np.arange(256))
    total, everything = below[-1], mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (everything * below / total - mass) ** 2 / (below * (total - below))
    spread = np.nan_to_num(spread[:-1], nan=-1.0)
    return int(np.argmax(spread)) if spread.max() > 0 else 128


def _rows(parts: list) -> tuple[int, int]:
    """First and past-last row of a glyph's pieces."""
    return min(int(p[0].min()) for p in parts), max(int(p[0].max()) for p in parts) + 1


def _row_overlap(a: list, b: list) -> int:
    (a_top, a_bottom), (b_top, b_bottom) = _rows(a), _rows(b)
    return max(0, min(a_bottom, b_bottom) - max(a_top, b_top))


def partly_inside(left: int, right: int, span: tuple[int, int]) -> bool:
    """Whether columns left..right lie at least a quarter inside ``span``."""
    return min(right, span[1]) - max(left, span[0]) >= 0.25 * (right - left)


def glyphs(box: np.ndarray, within: tuple[int, int] | None = None) -> list[Glyph]:
    """A number's box's glyphs (digits, "/" and brackets), left to right. Marks under a
    sixth of the inkiest glyph's ink (. , specks) are left out, first, so that a speck
    under a digit does not make it look taller than it is; pieces of ink that stand over
    one another (a glyph broken by a light scan) are one glyph; a glyph under half the
    tallest one's height is left out too, the tallest among those a quarter inside
    ``within`` (columns) when given: a letter beside the number, with the vowel stacked on
    it, is twice a digit's height, and made the short ๓ of a day ๓๑ look like a mark."""
    darkness = (255.0 - box) / 255.0
    ink = box < _otsu(box)
    pieces = [(piece, int((piece[2] - piece[1]).sum())) for piece in components(ink)]
    most = max((area for _, area in pieces), default=0)
    spans = []
    for (rows, starts, ends), area in pieces:
        if area < MARK_SHARE * most:
            continue
        spans.append([int(starts.min()), int(ends.max()), [(rows, starts, ends)]])
    spans.sort(key=lambda span: span[0])
    merged: list[list] = []
    for span in spans:
        if merged:
            last = merged[-1]
            overlap = min(last[1], span[1]) - max(last[0], span[0])
            # one above the other, not side by side: a "/" leans over its neighbours
            stacked = _row_overlap(last[2], span[2]) < 0.3 * min(
                _rows(last[2])[1] - _rows(last[2])[0], _rows(span[2])[1] - _rows(span[2])[0]
            )
            if stacked and overlap > 0.6 * min(last[1] - last[0], span[1] - span[0]):
                last[0], last[1] = min(last[0], span[0]), max(last[1], span[1])
                last[2] += span[2]
                continue
        merged.append(span)
    found = []
    for left, right, parts in merged:
        mask = np.zeros(box.shape, bool)
        for rows, starts, ends in parts:
            for row, start, end in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True):
                mask[row, start:end] = True
        rows_inked = np.nonzero(mask.any(axis=1))[0]
        top, bottom = int(rows_inked[0]), int(rows_inked[-1]) + 1
        piece = np.where(mask, darkness, 0.0)[top:bottom, left:right]
        found.append(Glyph(left, right, top, bottom, piece))
    measured = [g for g in found if within is None or partly_inside(g.left, g.right, within)]
    tallest = max((glyph.height for glyph in measured or found), default=0)
    return [glyph for glyph in found if glyph.height >= tallest / 2]


#: A separator (. , or the lower dot of :) has at least this share of a digit's ink; less
#: is a speck.
SPECK_SHARE = 0.02


def marks(box: np.ndarray) -> list[float]:
    """The middles (columns) of the marks in a number's box that sit low, as its separators
    do: pieces of ink under MARK_SHARE of the inkiest piece's, left out of glyphs(), above
    a speck's ink and with their middle in the lower half of the box."""
    ink = box < _otsu(box)
    pieces = [(piece, int((piece[2] - piece[1]).sum())) for piece in components(ink)]
    most = max((area for _, area in pieces), default=0)
    found = []
    for (rows, starts, ends), area in pieces:
        if not SPECK_SHARE * most <= area < MARK_SHARE * most:
            continue
        widths = ends - starts
        if float((rows * widths).sum()) / area > box.shape[0] / 2:
            found.append(float(((starts + ends) / 2 * widths).sum()) / area)
    return sorted(found)
