"""A list item's Thai number that Tesseract wrote nowhere, read from the page.

Tesseract can leave out the first glyph of a line (it misjudged where its block begins), so
"๑. จัดทำบัญชี" comes back ". จัดทำบัญชี": the item's number is in no word, and the Thai digit
reader (thai_digit_reader.py), which reads again what Tesseract wrote, never sees it. A line
that begins with a lone "." and a space is such an item: the glyph just left of the dot is
read by the digit classifier, and its digit goes back before the dot when the classifier is
sure of it (LATIN_CONFIDENCE, as for a number written in Latin letters) and Tesseract, shown
that glyph and its dot alone, reads no Thai letter there: a list lettered ก. ข. ค. stays
(the classifier, which never saw a letter, named Kinnari's ก ๓ and Sawasdee's ง ๐)."""

from __future__ import annotations

import re

import numpy as np

from .four_or_five import Fives
from .glyph_ink import glyphs
from .tesseract_call import tesseract_reads
from .thai_digit_reader import LATIN_CONFIDENCE, THAI_DIGITS, _named
from .tsv import placed_words


def lost_list_numbers(
    page: np.ndarray, text: str, tsv: str, model, fives: Fives
) -> list[tuple[int, int, str]]:
    """(where, where, digit) in ``text``: each list item's number found left of a line's
    first word, a lone dot, to be put back before it."""
    words = list(placed_words(text, tsv))
    found: list[tuple[int, int, str]] = []
    for word in words:
        if word.text != "." or not word.placed or text[word.end : word.end + 1] != " ":
            continue
        if text[text.rfind("\n", 0, word.start) + 1 : word.start].strip():
            continue  # not the line's first word
        line = [w for w in words if w.line == word.line and w is not word]
        if not line:
            continue
        top = int(np.median([w.box[1] for w in line]))
        bottom = int(np.median([w.box[3] for w in line]))
        height = bottom - top
        # the number stands within a digit's width or two of its dot
        left = max(0, word.box[0] - 3 * height)
        rows = slice(max(0, top - height // 4), bottom + height // 4)
        crop = page[rows, left : word.box[0]]
        tall = glyphs(crop) if crop.size else []
        if not tall or word.box[0] - (left + tall[-1].right) > height // 2:
            continue
        named, sure = _named(tall[-1:], model, fives)
        if named not in THAI_DIGITS or float(sure[0]) < LATIN_CONFIDENCE:
            continue
        seen = _tesseract_reads(page[rows, left + tall[-1].left : word.box[2] + 2])
        if seen is not None and not _THAI_LETTER.search(seen):  # the glyph and its dot
            found.append((word.start, word.start, named))
    return found


#: Thai letters, but for those Tesseract writes for the digits it cannot write.
_THAI_LETTER = re.compile("[ก-ฑณ-ภม-ฮ]")
TIMEOUT = 30


def _tesseract_reads(image: np.ndarray) -> str | None:
    """What Tesseract's Thai model reads in a small image (a list item's number), as one
    line; None when it cannot run."""
    from PIL import Image

    pad = image.shape[0]
    framed = np.full((image.shape[0] + 2 * pad, image.shape[1] + 2 * pad), 255, image.dtype)
    framed[pad:-pad, pad:-pad] = image
    return tesseract_reads(Image.fromarray(framed), ["-l", "tha", "--psm", "7"], TIMEOUT)
