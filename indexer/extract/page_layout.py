"""Whether a scanned page is printed in two columns, from its ink alone (NumPy).

A report or newsletter set in two columns has a white gutter down the middle of its text;
read as one column (ocr.PAGE_SEGMENTATION) Tesseract reads each line across both and
interleaves their sentences. A letter has no such gutter: its body lines run across the
page, and the white between the ที่ line and the office's address, or left of the
signature block, lasts a few lines only."""

from __future__ import annotations

from pathlib import Path

#: Ink: darker than this on the prepared (greyscale) page.
INK = 128
#: A gutter is at least this wide (1/80 of the text's width: 2 mm on A4) ...
GUTTER_WIDTH = 1 / 80
#: ... lies in the middle of the text (this share of its width either side of the centre) ...
MIDDLE = 0.2
#: ... crosses nearly every band of the text (strips of BAND_HEIGHT of its height) white, at
#: most this share of them with ink across it (one column can end before the other) ...
CROSSED = 0.15
#: ... and has ink left and right of it in at least this share of the bands. Two columns
#: split 92-100% of them (bench/ocr_two_columns.py, the tests' pages), 61-74% on a trial page
#: whose column one ends half way down; a letter's head, signature and dust split up to
#: 52%, but its body lines cross the middle (CROSSED): no letter of the bench or the tests
#: came near.
SPLIT = 0.4
BAND_HEIGHT = 1 / 40
#: A skewed scan's gutter drifts sideways down the page (5 mm over A4 text at the bench's
#: 1.2°): each band's gutter is widened by this share of the text's width (2 mm) each way
#: before the bands are matched.
DRIFT = 0.012
#: Ink in fewer pixels than this in a row or column (of a band) is dust, not text.
DUST = 4
#: Text worth reading a column at a time runs at least this share of its width down the
#: page (an A4 page in two columns about 1.5, a landscape one 0.7): a line or three of
#: large type has gaps between its words that cross every band of so short a block (a
#: word on a page came back cut in two, จังห and วัดลำพูน, when such a gap passed for a
#: gutter).
TALL = 0.5


def gutter_share(ink) -> tuple[float, int]:
    """The share of the text's bands that a gutter in its middle splits in two (white for
    GUTTER_WIDTH, ink either side), 0.0 when every middle position has ink across it in more
    than CROSSED of the bands; from a boolean ink array (rows, cols). With it, the column
    of the page the gutter's middle runs down."""
    import numpy as np

    rows = np.nonzero(ink.sum(axis=1) >= DUST)[0]
    cols = np.nonzero(ink.sum(axis=0) >= DUST)[0]
    if len(rows) < 2 or len(cols) < 2:
        return 0.0, 0
    block = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = block.shape
    if height < width * TALL:
        return 0.0, 0
    gutter = max(2, round(width * GUTTER_WIDTH))
    drift = round(width * DRIFT)
    band = max(1, round(height * BAND_HEIGHT))
    middle = slice(round(width * (0.5 - MIDDLE)), round(width * (0.5 + MIDDLE)))
    split = np.zeros(width, int)
    white = np.zeros(width, int)
    bands = 0
    for top in range(0, height, band):
        inked = block[top : top + band].sum(axis=0) >= DUST
        if inked.sum() < DUST:
            continue
        bands += 1
        # white for ``gutter`` columns from x on: no ink in the window's running sum
        window = np.convolve(inked.astype(int), np.ones(gutter, int), mode="valid") == 0
        ink_before = np.maximum.accumulate(inked)
        ink_after = np.maximum.accumulate(inked[::-1])[::-1]
        starts = np.zeros(width, bool)
        starts[: len(window)] = window
        both = starts.copy()
        both[: len(window)] &= ink_before[: len(window)] & ink_after[gutter - 1 :]
        spread = np.ones(2 * drift + 1, int)
        split += np.convolve(both.astype(int), spread, mode="same") > 0
        white += np.convolve(starts.astype(int), spread, mode="same") > 0
    if not bands:
        return 0.0, 0
    split = np.where(white >= bands * (1 - CROSSED), split, 0)[middle]
    best = np.nonzero(split == split.max())[0]
    x = int(cols[0]) + middle.start + (int(best[0]) + int(best[-1])) // 2 + gutter // 2
    return float(split.max()) / bands, x


def page_gutter(image: Path) -> int | None:
    """The column of pixels down the gutter when the page's text runs in two columns side
    by side, else None."""
    import numpy as np
    from PIL import Image

    with Image.open(image) as page:
        ink = np.asarray(page.convert("L")) < INK
    share, x = gutter_share(ink)
    return x if share >= SPLIT else None


def page_columns(image: Path) -> int:
    """2 when the page's text runs in two columns side by side, else 1."""
    return 1 if page_gutter(image) is None else 2
