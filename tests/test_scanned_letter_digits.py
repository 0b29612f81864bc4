"""The Thai digit reader's rules added for issue 18's scanned letters: a short digit beside a
tall letter, Kinnari's ๗ written ๆ, a day written in Latin letters before its month, and ๔
told from ๕ by the page's sure ๕ (indexer/extract/four_or_five.py). Drawn and scanned as tests/test_thai_digit_reader.py
draws them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from indexer.extract import thai_digit_reader
from indexer.extract.thai_digit_reader import reread_thai_digits
from tests.test_thai_digit_reader import _glyph_by_glyph, _line_with_words, needs_fonts, scanned


@needs_fonts
def test_kinnaris_seven_written_as_mai_yamok_is_read(tmp_path):
    """Tesseract wrote Kinnari's ๗ ending a letter number as ๆ (๕๔๔๗ as ๕๕๕ๆ): the sign is a
    stand-in letter like ฒ, read from its glyph."""
    image, tsv = _glyph_by_glyph(tmp_path, "๕๔๔๗", "๕๕๕ๆ", "Kinnari")
    assert reread_thai_digits(image, "ที่ กค ว ๕๕๕ๆ\n", tsv) == ("ที่ กค ว ๕๔๔๗\n", 1)


@needs_fonts
def test_a_tall_letter_beside_a_number_does_not_hide_a_short_digit(tmp_path):
    """A number's crop reaches past its boxes, onto the next word: the ส of สิงหาคม with its
    vowel stacked on it is twice a digit's height, and the day ๓๑ came back ๑ (its short ๓
    was under half the tallest glyph's height, so a mark). Only the glyphs within the
    number's boxes set the height a glyph must reach."""
    page, (_, top, _, height) = scanned("๓๑ สิงหาคม", "Garuda")
    digits = page[top : top + height]
    inked = np.nonzero((digits < 128).any(axis=0))[0]
    gaps = [(a + 1, b) for a, b in itertools.pairwise(inked) if b > a + 1]
    (three_end, one_start), (one_end, _) = gaps[0], gaps[1]
    rows = np.nonzero((page[:, inked[0] : one_end] < 128).any(axis=1))[0]
    digit_top, digit_height = int(rows.min()), int(np.ptp(rows)) + 1
    image = tmp_path / "day.png"
    Image.fromarray(page).save(image)
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    boxes = [  # as Tesseract gave them: the ๓'s box over both, the ๑'s far above and below
        (inked[0], digit_top, one_end - inked[0], digit_height, "๓"),
        (one_start, digit_top - digit_height, one_end - one_start, 3 * digit_height, "๑"),
    ]
    tsv = "\n".join(
        [header]
        + [
            f"5\t1\t1\t1\t1\t{n + 1}\t{a}\t{b}\t{c}\t{d}\t90\t{t}"
            for n, (a, b, c, d, t) in enumerate(boxes)
        ]
    )
    assert three_end < one_start
    assert reread_thai_digits(image, "๓๑ สิงหาคม\n", tsv) == ("๓๑ สิงหาคม\n", 0)


@needs_fonts
@pytest.mark.parametrize("font", ["Kinnari", "TlwgTypist"])
def test_a_four_is_told_from_the_pages_sure_fives_by_its_top(font):
    """Where the page's ๕ show no loop (a small or blurred print fills it in), a glyph the
    classifier cannot tell between ๔ and ๕ is ๔ when its top stands far from every sure ๕'s,
    and never made ๔ when it is a ๕ itself. (Loma's ๔ drawn so stands 0.083 from its ๕,
    under TOP_APART: only the loop tells them there; Garuda's 0.21, over TOP_UNLIKE, is
    left to the classifier, which tells Garuda's apart.)"""
    from indexer.extract.four_or_five import Fives, decide, top
    from indexer.extract.glyph_ink import glyphs

    page, (left, top_row, width, height) = scanned("๕๕๔๕", font)
    box = page[top_row - 4 : top_row + height + 4, left - 4 : left + width + 4]
    five, other_five, four, third_five = glyphs(box)
    tallest = max(g.height for g in (five, other_five, four, third_five))
    rows = [thai_digit_reader.features(g, tallest) for g in (five, other_five, four, third_five)]
    fives = Fives(loops=False, tops=[top(rows[0]), top(rows[1])])
    assert decide(four, rows[2], fives) is False
    assert decide(third_five, rows[3], fives) is None  # left to the classifier
    assert decide(four, rows[2], Fives(loops=False, tops=[top(rows[0])])) is None  # one ๕
    assert decide(four, rows[2], Fives(loops=True)) is False
    assert decide(third_five, rows[3], Fives(loops=True)) is True


@needs_fonts
def test_a_day_written_in_latin_letters_before_its_month_comes_back(tmp_path):
    """A date line's day ๒๕, which Tesseract wrote "we" at the line's start, is read from its
    glyphs because a month follows it; the same letters before another word stay."""
    image, tsv = _line_with_words(tmp_path, [("๒๕", "we"), ("๒๕", "we")])
    text = "we พฤศจิกายน ๒๕๖๓\nwe ส่ง\n"
    assert reread_thai_digits(image, text, tsv) == ("๒๕ พฤศจิกายน ๒๕๖๓\nwe ส่ง\n", 1)


@needs_fonts
def test_a_stand_in_ending_a_letter_numbers_code_or_its_number_is_read(tmp_path):
    """TlwgTypist's ชร ๐๕๑๔.๗/ว ๓๔๕๖ came back ๐๕๑๕.ญ/ว ๓๕๕5: the letter ending the code
    before its slash, after a separator, and the Arabic digit ending the number are
    stand-ins for digits Tesseract cannot write, read from their glyphs."""
    image, tsv = _glyph_by_glyph(tmp_path, "๑๔.๗", "๑๕.ญ", "TlwgTypist")
    assert reread_thai_digits(image, "ที่ ชร ๑๕.ญ/ว\n", tsv) == ("ที่ ชร ๑๔.๗/ว\n", 1)
    image, tsv = _glyph_by_glyph(tmp_path, "๓๔๕๖", "๓๕๕5", "TlwgTypist")
    assert reread_thai_digits(image, "ที่ ชร ว ๓๕๕5\n", tsv) == ("ที่ ชร ว ๓๔๕๖\n", 1)
