"""๔ or ๕, where the Thai digit reader's classifier cannot tell (thai_digit_reader.py).

The two differ only at the top: ๕ has a small loop (or, in Loma, a curl) where ๔ has a plain
arch. The classifier, trained on faces whose ๔ is wider than their ๕, hesitates between them
in a face whose ๔ is as narrow (Loma). Two things on the page then decide, both judged from
the ๕ the classifier is sure of, so that a face is compared with itself:

- the loop: where those ๕ show their top loop, a glyph with one is ๕ and one without is ๔
  (glyph_ink.has_top_loop); a small or smudged print fills the loop in, and then
- the top: the glyph's top part beside those ๕'s (the ink grid the classifier sees, top
  rows only: the bottoms of ๔ and ๕ are alike, and would only add the scan's noise). A ๕
  matches a sure ๕ of its page there; a ๔ differs by its missing curl. Only a glyph far from
  every one of them is made ๔; a nearer one keeps the classifier's name, which leaves
  Tesseract's ๕ where the reader is unsure.

bench/ocr_four_five.py measures both over every TLWG face."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .glyph_ink import Glyph, has_top_loop

#: The classifier's two likeliest names are ๔ and ๕, together at least this likely, and it
#: is sure of neither (CLASSIFIER_SURE): the page decides.
FOUR_OR_FIVE = 0.6
CLASSIFIER_SURE = 0.9
#: The top rows of the GRID x GRID ink compared (of 20: ๕'s curl lies in its top third).
TOP_ROWS = 8
#: A glyph whose top differs from every sure ๕'s by this much (mean darkness, 0-1) is ๔.
#: Drawn in every TLWG face the way the classifier is trained (bench/ocr_four_five.py), a
#: ๕ the classifier hesitates over stood at most 0.076 from its drawing's sure ๕ in most
#: faces, but 0.094-0.122 in three typewriter ones, where the drawing held one sure ๕; a
#: Loma ๔ stands 0.048-0.15 from them (0.1 and more for half), a 12 pt Loma scan's 0.10-0.11.
TOP_APART = 0.1
#: Further apart than this, the glyph is no ๕ without its curl but one cut or joined
#: differently (a Waree-Bold ๕ stood 0.45 from its drawing's sure ๕): left as it is.
TOP_UNLIKE = 0.2
#: How many sure ๕ the page must show before their tops are trusted (one may be an odd
#: print: the typewriter faces' three ๕ above were each beside a lone sure ๕).
FIVES_SEEN = 2


@dataclass
class Fives:
    """The ๕ the classifier is sure of on a page: whether they show their top loop, and
    the top rows of each one's ink grid."""

    loops: bool = False
    tops: list[np.ndarray] = field(default_factory=list)


def sure_fives(named: list[tuple[Glyph, str, float, np.ndarray]]) -> Fives:
    """The page's Fives from its glyphs (glyph, name, sureness, features): loops shown when
    at least one sure ๕ shows one, and two of every three do."""
    sure = [(g, f) for g, name, s, f in named if name == "๕" and s >= CLASSIFIER_SURE]
    loops = [has_top_loop(g.ink) for g, _ in sure]
    return Fives(
        loops=bool(loops) and 3 * sum(loops) >= 2 * len(loops),
        tops=[top(f) for _, f in sure],
    )


def top(row: np.ndarray) -> np.ndarray:
    """The top rows of a glyph's ink grid, from its feature row (thai_digit_reader.features)."""
    grid = round((len(row) - 2) ** 0.5)
    return row[: grid * grid].reshape(grid, grid)[:TOP_ROWS]


def decide(glyph: Glyph, row: np.ndarray, fives: Fives) -> bool | None:
    """Whether a glyph the classifier cannot tell between ๔ and ๕ is ๕ (True) or ๔ (False)
    on this page, or None when the page cannot say either."""
    if fives.loops:
        return has_top_loop(glyph.ink)
    if len(fives.tops) >= FIVES_SEEN and not has_top_loop(glyph.ink):
        apart = min(float(np.abs(top(row) - other).mean()) for other in fives.tops)
        if TOP_APART <= apart <= TOP_UNLIKE:
            return False
    return None
