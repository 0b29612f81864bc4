"""The Thai digits Tesseract cannot write: ๔ ๖ ๗ ๘ ๙, read again from the page image.

Every Thai model Debian ships (tesseract-ocr-tha, tesseract-ocr-script-thai) and the
tessdata_best model in the npm registry's tesseract.js data share one character set in
which ๔ ๖ ๗ ๘ ๙ are missing: Tesseract reads ๔ and ๘ as ๕, ๖ as ๒ or ๐, ๙ as ๓, so
"๒๕๖๒" comes back "๒๕๒๒" and a letter's year, number and amount cannot be found. No
setting or second pass of Tesseract can give a character its model has no code for.

So each Thai digit Tesseract wrote is looked at again: its glyph is cut from the word box
of Tesseract's TSV and compared with the ten digits drawn in Thai fonts (fonts-thai-tlwg).
The comparison may only choose between what Tesseract wrote and the five digits it cannot
write; it replaces a digit only when one of those five is nearest by a margin (MIN_MARGIN), and
keeps what was read whenever the glyphs of a word cannot be paired one for one with its
digits. Separators, Arabic digits and letters are never touched."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
#: The digits missing from the Thai models' character set.
UNWRITABLE = "๔๖๗๘๙"
FONT_DIR = Path("/usr/share/fonts/truetype/tlwg")
#: The faces the digits are drawn from. Loma, Kinnari, Garuda and TlwgTypist are left out
#: on purpose: bench/bench_ocr.py prints its letters in those, so the benchmark measures
#: the reader on faces it has never seen, as it will meet TH Sarabun and office fonts.
TEMPLATE_FONTS = (
    "Laksaman", "Laksaman-Bold", "Norasi", "Norasi-Bold", "Umpush", "Umpush-Bold",
    "Waree", "Waree-Bold", "Sawasdee", "Purisa", "TlwgMono", "TlwgTypo",
    "TlwgTypewriter", "TlwgTypewriter-Bold",
)  # fmt: skip
#: Pixel sizes the templates are drawn at: 10, 15 and 20 pt at 300 dpi, a letter's sizes.
TEMPLATE_SIZES = (42, 62, 84)
#: Gaussian blur (px) of the templates: a scanner's optics soften strokes.
TEMPLATE_BLUR = 1.2
#: Glyphs are compared as GRID x GRID images (24: measured best of 12, 16 and 24).
GRID = 24
#: How much a glyph's height/width (log) counts beside its shape.
ASPECT_WEIGHT = 0.5
#: A digit is replaced only when the nearest unwritable digit is nearer than what
#: Tesseract wrote by this much (0-2 scale). On the bench's letters 0.1 brought back the
#: most numbers; 0 replaced right digits with wrong ones (๒ -> ๖).
MIN_MARGIN = 0.1
_TALL_SEPARATORS = "/:"
_DIGIT_WORD = re.compile(f"^[{THAI_DIGITS}.,/:]+$")


def _shape(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """A glyph (2-D, 1.0 = ink, cropped to its ink) as a unit vector and log(height/width)."""
    from PIL import Image

    height, width = ink.shape
    grid = Image.fromarray((ink * 255).astype(np.uint8)).resize(
        (GRID, GRID), Image.Resampling.BILINEAR
    )
    vector = np.asarray(grid, dtype=np.float32).ravel() / 255.0
    vector -= vector.mean()
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm else vector), float(np.log(height / max(width, 1)))


def _cropped(ink: np.ndarray) -> np.ndarray | None:
    rows, cols = np.nonzero(ink > 0.5)
    if not len(cols):
        return None
    return ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


@lru_cache(maxsize=1)
def templates() -> tuple[tuple[str, np.ndarray, float], ...]:
    """(digit, shape, aspect) for each digit in each template font that is installed, drawn
    the way a scanned digit reaches the reader: at letter sizes, blurred, cut from the paper
    by the same threshold (_otsu). Crisp 64 px drawings fixed 61 digits on the bench's pages
    and broke 10; these fixed 67 and broke 4 (blur 0, 0.8 and 1.6 px did worse)."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    drawn = []
    for name in TEMPLATE_FONTS:
        path = FONT_DIR / f"{name}.ttf"
        if not path.is_file():
            continue
        for size in TEMPLATE_SIZES:
            font = ImageFont.truetype(str(path), size)
            for digit in THAI_DIGITS:
                canvas = Image.new("L", (size * 3, size * 3), 255)
                ImageDraw.Draw(canvas).text((size // 2, size // 4), digit, fill=0, font=font)
                grey = np.asarray(canvas.filter(ImageFilter.GaussianBlur(TEMPLATE_BLUR)))
                ink = _cropped((grey < _otsu(grey)).astype(np.float32))
                if ink is not None:
                    drawn.append((digit, *_shape(ink)))
    return tuple(drawn)


def nearest_digit(ink: np.ndarray, read: str) -> str:
    """The digit for one glyph: ``read`` (what Tesseract wrote) unless one of UNWRITABLE is
    the nearest, by MIN_MARGIN over any other."""
    vector, aspect = _shape(ink)
    best: dict[str, float] = {}
    for digit, shape, template_aspect in templates():
        if digit != read and digit not in UNWRITABLE:
            continue
        distance = 1.0 - float(vector @ shape) + ASPECT_WEIGHT * abs(aspect - template_aspect)
        best[digit] = min(distance, best.get(digit, 9.0))
    ranked = sorted(best, key=best.__getitem__)
    if len(ranked) < 2 or ranked[0] == read:  # no template font installed, or agreed
        return read
    # Unsure between two digits (one may be what was read): keep what was read.
    return ranked[0] if best[ranked[1]] - best[ranked[0]] >= MIN_MARGIN else read


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


def _glyphs(box: np.ndarray) -> list[np.ndarray]:
    """The word's glyphs left to right, cut where a column has no ink; marks lower than half
    the tallest glyph (. , dust) are left out, as separators are not read again."""
    ink = (box < _otsu(box)).astype(np.float32)
    columns = [*(ink.sum(axis=0) > 0), False]
    pieces, start = [], None
    for x, inked in enumerate(columns):
        if inked and start is None:
            start = x
        elif not inked and start is not None:
            piece = _cropped(ink[:, start:x])
            if piece is not None:
                pieces.append(piece)
            start = None
    if not pieces:
        return []
    tallest = max(piece.shape[0] for piece in pieces)
    return [p for p in pieces if p.shape[0] >= tallest / 2 and p.size > 20]


def reread_word(page: np.ndarray, box: tuple[int, int, int, int], word: str) -> str:
    """One TSV word of Thai digits and separators, each digit read again; ``word`` as it was
    when its glyphs and its digits and tall separators do not pair up one for one."""
    left, top, width, height = box
    pad = 2
    crop = page[max(0, top - pad) : top + height + pad, max(0, left - pad) : left + width + pad]
    # Digits, and the separators as tall as a digit ("/" and ":"), each stand as a glyph.
    tall = [c for c in word if c in THAI_DIGITS or c in _TALL_SEPARATORS]
    glyphs = _glyphs(crop) if crop.size else []
    if len(glyphs) != len(tall):
        return word
    glyph_of = iter(glyphs)
    out = []
    for c in word:
        glyph = next(glyph_of) if c in THAI_DIGITS or c in _TALL_SEPARATORS else None
        out.append(nearest_digit(glyph, c) if c in THAI_DIGITS and glyph is not None else c)
    return "".join(out)


def reread_thai_digits(image: Path, text: str, tsv: str) -> tuple[str, int]:
    """``text`` (Tesseract's txt output for ``image``) with the Thai digits of its TSV words
    read again, and how many words changed. The words are found in ``text`` in reading
    order, so a change lands on the word Tesseract wrote, not on an equal one elsewhere."""
    from PIL import Image

    changes: list[tuple[str, str]] = []
    page = None
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        word = cells[11].strip()
        if not _DIGIT_WORD.match(word) or not any(c in THAI_DIGITS for c in word):
            continue
        if page is None:
            with Image.open(image) as opened:
                page = np.asarray(opened.convert("L"))
        box = tuple(int(v) for v in cells[6:10])
        changes.append((word, reread_word(page, box, word)))  # type: ignore[arg-type]
    out, position, changed = [], 0, 0
    for old, new in changes:
        found = text.find(old, position)
        if found < 0:
            continue
        out += [text[position:found], new]
        position = found + len(old)
        changed += new != old
    out.append(text[position:])
    return "".join(out), changed
