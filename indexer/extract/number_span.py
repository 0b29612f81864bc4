"""Where a number read again from its glyphs (thai_digit_reader.py) has its separators and
where it ends: Tesseract's boxes can spread a number's characters evenly over several digits,
or reach past its code's slash."""

from __future__ import annotations

import numpy as np

from .glyph_ink import Glyph

#: The separators inside a number (๑,๒๓๔ ๐๘๑๖.๕ ๑๐:๓๐).
SEPARATORS = ".,:"
#: Latin letters are turned into Thai digits only when every glyph is named this surely; a
#: glyph named "/" this surely ends a letter number's code.
LATIN_CONFIDENCE = 0.9


def separators_at_marks(
    separators: list[tuple[float, str]], tall: list[Glyph], left: int, seen: list[float]
) -> list[tuple[float, str]]:
    """The separators Tesseract wrote, each moved onto a mark seen between the glyphs when
    there are as many such marks as separators (a box spanning several digits spreads its
    characters evenly, and ๙,๑๙๖,๓๗๔ came back ๙,๑๙๖๓๗๔,); else where Tesseract put them."""
    between = [
        x
        for x in seen
        if left + tall[0].left < x < left + tall[-1].right
        and not any(left + g.left <= x < left + g.right for g in tall)
    ]
    if not separators or len(between) != len(separators):
        return separators
    return [(x, char) for x, (_, char) in zip(between, sorted(separators), strict=True)]


def before_unwritten_slash(
    tall: list[Glyph], named: str, sureness: np.ndarray, placed: list[tuple[float, str]], left: int
) -> tuple[list[Glyph], str, np.ndarray]:
    """The glyphs before a slash Tesseract wrote nothing over or after but separators: a
    letter number's code ends at its slash, and one box of Tesseract's spanning ๘.๔/ว
    (Loma at 16 pt, its "๑๕๕.") brought the slash and ว into the number's glyphs."""
    for i, (glyph, name, sure) in enumerate(zip(tall, named, sureness, strict=True)):
        if i and name == "/" and sure >= LATIN_CONFIDENCE:
            if not any(c not in SEPARATORS and x >= left + glyph.left for x, c in placed):
                return tall[:i], named[:i], sureness[:i]
            break
    return tall, named, sureness
