"""A letter number's look-alikes mended from its shape (indexer/extract/letter_number_shape.py)
and a year's last digit Tesseract wrote as "«" (indexer/extract/thai_digit_reader.py), as
the scanned letters of tests/test_scanned_letter_fields.py came back."""

from __future__ import annotations

import pytest

from indexer.extract.glyph_ink import glyphs
from indexer.extract.letter_number_shape import digit_before_slash, mend_letter_numbers
from indexer.extract.thai_digit_reader import _model, _named, reread_thai_digits
from tests.test_thai_digit_reader import _glyph_by_glyph, drawn, needs_fonts, scanned


def test_a_bracket_after_a_codes_slash_is_the_circulars_wo():
    """Kinnari's scanned ว came back ")": สธ ๐๒๐๔.๙/) ๖๔๕๑."""
    assert mend_letter_numbers("ที่ สธ ๐๒๐๔.๙/) ๖๔๕๑      |\nสำนักงานจังหวัด\n") == (
        "ที่ สธ ๐๒๐๔.๙/ว ๖๔๕๑      |\nสำนักงานจังหวัด\n",
        1,
    )
    # a label lost to "fi", or written against the office, and Arabic digits
    assert mend_letter_numbers("fi ad 0204.9/) 6451")[0] == "fi ad 0204.9/ว 6451"
    assert mend_letter_numbers("ที่มท ๐๘๑๖.๕/)๔๕๙๔")[0] == "ที่มท ๐๘๑๖.๕/ว๔๕๙๔"


def test_a_no_nen_among_a_codes_digits_is_a_nine():
    """Garuda's ๙ came back ณ in the code: ชม ๐๐๑ณ.๔/ว."""
    assert mend_letter_numbers("ที่ ชม ๐๐๑ณ.๔/ว ๗๘๔๕\n") == ("ที่ ชม ๐๐๑๙.๔/ว ๗๘๔๕\n", 1)


@pytest.mark.parametrize(
    "text",
    [
        "ประชุม ณ ห้อง ๐๑๒๓.",  # ณ, the word "at", before a number
        "บ้านเลขที่ ๙๙/) ซอย ๓",  # no government code
        "(๒) ๐๑๒๓/) ๔",  # not at a line's head
        "สำนักงานจังหวัดเชียงใหม่ ๐๐๑ณ.๔/) ๒",  # more than an office before the code
        "ที่ ชม ๐๐๑ณ/ว ๒",  # no dot after the code: not a letter number's shape
        "ดังนี้ ๐๒๐๔.๙/)",  # no sequence number after the bracket
    ],
)
def test_outside_a_letter_numbers_shape_nothing_changes(text):
    assert mend_letter_numbers(text) == (text, 0)


def _name(pieces):
    return _named(pieces, _model())


@needs_fonts
@pytest.mark.parametrize("font", ["Garuda", "Kinnari", "TlwgTypist"])
@pytest.mark.parametrize("digit", list("๐๑๒๓๔๕๖๗๘๙"))
def test_the_digit_before_a_slash_is_read_touching_or_apart(font, digit):
    """The ink of a box over a digit and its slash: two pieces, or one where a scan joined
    them (Garuda's ๓/ ๔/ ๕/), read as the digit."""
    for how in (drawn, scanned):
        page, (left, top, width, height) = how(digit + "/", font)
        pieces = glyphs(page[top - 5 : top + height + 5, left - 5 : left + width + 5])
        assert digit_before_slash(pieces, _name) == digit, how.__name__


@needs_fonts
@pytest.mark.parametrize("digit", list("๐๑๒๓๔๕๖๗๘๙"))
def test_where_the_classifier_is_unsure_the_digit_is_not_guessed(digit):
    """In Loma the classifier is unsure of ๔ beside its slash: no digit rather than a wrong
    one (the letter stays as Tesseract wrote it)."""
    for how in (drawn, scanned):
        page, (left, top, width, height) = how(digit + "/", "Loma")
        pieces = glyphs(page[top - 5 : top + height + 5, left - 5 : left + width + 5])
        assert digit_before_slash(pieces, _name) in (digit, None), how.__name__


@needs_fonts
def test_a_letter_and_a_lone_digit_are_not_a_digit_and_slash():
    page, (left, top, width, height) = scanned("ซ", "Garuda")
    assert digit_before_slash(glyphs(page[top : top + height, left : left + width]), _name) is None
    page, (left, top, width, height) = scanned("๑๒๓", "Garuda")
    assert digit_before_slash(glyphs(page[top : top + height, left : left + width]), _name) is None


@needs_fonts
def test_a_letter_over_the_units_digit_and_slash_comes_back_as_the_two(tmp_path):
    """Garuda's clean ชม ๐๐๑๙.๔/ว ๗๘๔๕ came back ชม ๐๐๑ณ.ซว (the ๔ touching its slash):
    both come back, through the digit reader."""
    image, tsv = _glyph_by_glyph(tmp_path, "๐๐๑๙.๔/ว", "๐๐๑ณ.ซว", "Garuda")
    mended, _ = reread_thai_digits(image, "ที่ ชม ๐๐๑ณ.ซว ๗๘๔๕\n", tsv)
    assert mended == "ที่ ชม ๐๐๑๙.๔/ว ๗๘๔๕\n"


@needs_fonts
@pytest.mark.parametrize("font", ["Loma", "Kinnari", "Garuda", "TlwgTypist"])
def test_a_guillemet_ending_a_year_is_read_as_its_digit(tmp_path, font):
    """Garuda's scanned ๑๙ พฤษภาคม ๒๕๕๙ came back with ๒๕๕« for the year."""
    image, tsv = _glyph_by_glyph(tmp_path, "๒๕๕๙", "๒๕๕«", font)
    assert reread_thai_digits(image, "๑๙ พฤษภาคม ๒๕๕«\n", tsv) == ("๑๙ พฤษภาคม ๒๕๕๙\n", 1)
