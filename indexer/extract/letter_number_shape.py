"""A letter number's characters mended from its shape, where Tesseract chose a look-alike.

An official letter's number line reads ``ที่ <office> <code>.<unit>/ว <sequence>``: two or
three Thai letters for the office, a government code of four digits beginning with 0, a
dot and the unit's digits, a slash, the ว of a circular (or none), and the sequence number
(ระเบียบงานสารบรรณ). Within that shape, at the head of a line, two glyph choices of
Tesseract's Thai model can only be wrong:

- ณ among the code's digits: the model has no ๙ (thai_digit_reader.py), and writes
  Garuda's ๙, whose tail it shares, as ณ (ชม ๐๐๑ณ.ซว for ชม ๐๐๑๙.๔/ว);
- ")" after the code's slash, before the sequence number: the circular's ว, whose open
  left side Kinnari draws as a thin arc (สธ ๐๒๐๔.๙/) ๖๔๕๑ for สธ ๐๒๐๔.๙/ว ๖๔๕๑);

and one it makes where the unit's digit touches its slash (one piece of ink): a letter
between the code's dot and the ว (Garuda's ๔/ as ซ), which is read from the page by
:func:`slash_joined_digits`, cut where the digit classifier names a sure digit on its
left and the slash on its right.

Anywhere else (a body line, an address's ๙๙/๑, a list item's "๒)") nothing changes."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from .glyph_ink import Glyph, glyphs
from .tsv import placed_words

_DIGIT = "0-9๐-๙"
#: The head of a number line: its label (ที่, or what a scan left of it: "fi", "ท") and
#: the office (Thai letters, or Latin ones where Tesseract misread them), no digit: at most
#: 12 characters before the code ("ที่มท ", "ท AD ").
_HEAD = rf"^[^{_DIGIT}\n]{{1,12}}?"
#: The government code: four characters from 0, digits or ณ for a ๙.
_CODE = re.compile(rf"({_HEAD})([0๐][{_DIGIT}ณ]{{3}})(?=[^\S\n]*\.)", re.MULTILINE)
#: A code, its unit, the slash, and ")" where the ว stands before the sequence number.
_CIRCULAR = re.compile(
    rf"({_HEAD}[0๐][{_DIGIT}]{{3}}(?:[^\S\n]*\.[^\S\n]*[{_DIGIT}]+)*[^\S\n]*/[^\S\n]*)\)"
    rf"(?=[^\S\n]*[{_DIGIT}])",
    re.MULTILINE,
)


def mend_letter_numbers(text: str) -> tuple[str, int]:
    """``text`` with the look-alikes in its letter number lines mended (see the module's
    docstring), and how many characters changed."""
    changed = 0

    def code(match: re.Match[str]) -> str:
        nonlocal changed
        changed += match[2].count("ณ")
        return match[1] + match[2].replace("ณ", "๙")

    def circular(match: re.Match[str]) -> str:
        nonlocal changed
        changed += 1
        return match[1] + "ว"

    text = _CODE.sub(code, text)
    return _CIRCULAR.sub(circular, text), changed


#: A letter Tesseract wrote for the unit's digit and its slash, touching, before the ว.
_JOINED_SLASH = re.compile(
    rf"{_HEAD}[0๐][{_DIGIT}ณ]{{3}}[^\S\n]*\.[^\S\n]*([ก-ฮ])(?=ว[^\S\n]*[{_DIGIT}])", re.MULTILINE
)
#: How sure the classifier must be of the digit and of the slash (the slash's left edge,
#: cut off, is often named ")"), each: its REBUILD_CONFIDENCE.
SPLIT_SURE = 0.6


def _trimmed(ink: np.ndarray, left: int, top: int) -> Glyph | None:
    rows, cols = np.nonzero(ink.max(axis=1) > 0)[0], np.nonzero(ink.max(axis=0) > 0)[0]
    if not len(rows) or not len(cols):
        return None
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return Glyph(left + cols[0], left + cols[-1] + 1, top + rows[0], top + rows[-1] + 1, box)


def _digit_and_slash(
    pair: list[Glyph], name: Callable[[list[Glyph]], tuple[str, np.ndarray]]
) -> tuple[str | None, float]:
    """The digit of two glyphs named a sure Thai digit and a sure slash, and the two's
    sureness; (None, 0) otherwise."""
    named, sure = name(pair)
    if named[0] in "๐๑๒๓๔๕๖๗๘๙" and named[1] in "/)" and min(sure) >= SPLIT_SURE:
        return named[0], float(sure[0] * sure[1])
    return None, 0.0


def digit_before_slash(
    pieces: list[Glyph], name: Callable[[list[Glyph]], tuple[str, np.ndarray]]
) -> str | None:
    """The digit of a unit's digit and its slash, from the ink of the box Tesseract wrote
    one letter over: two pieces named as the two, or one piece (the two touching) cut
    where ``name`` (the digit classifier: characters and how sure) is surest of both,
    between a third of its width and its end; None when nothing is surely the two."""
    if len(pieces) == 2:
        return _digit_and_slash(sorted(pieces, key=lambda g: g.left), name)[0]
    if len(pieces) != 1:
        return None
    (glyph,) = pieces
    best, digit = 0.0, None
    width = glyph.ink.shape[1]
    for cut in range(width // 3, width - 2):
        left = _trimmed(glyph.ink[:, :cut], glyph.left, glyph.top)
        right = _trimmed(glyph.ink[:, cut:], glyph.left + cut, glyph.top)
        if left is not None and right is not None:
            named, sure = _digit_and_slash([left, right], name)
            if named and sure > best:
                best, digit = sure, named
    return digit


def slash_joined_digits(
    page: np.ndarray, text: str, tsv: str, name: Callable[[list[Glyph]], tuple[str, np.ndarray]]
) -> list[tuple[int, int, str]]:
    """Edits (start, end, digit and slash) of ``text`` for each letter number whose unit's
    digit and slash Tesseract wrote as one letter (see the module's docstring)."""
    at = {m.start(1): m[1] for m in _JOINED_SLASH.finditer(text)}
    edits = []
    for word in placed_words(text, tsv) if at else ():
        if at.get(word.start) != word.text:
            continue
        left, top, right, bottom = word.box
        margin = (bottom - top) // 4
        crop = page[max(0, top - margin) : bottom + margin, max(0, left - margin) : right + margin]
        digit = digit_before_slash(glyphs(crop) if crop.size else [], name)
        if digit:
            edits.append((word.start, word.end, digit + "/"))
    return edits
