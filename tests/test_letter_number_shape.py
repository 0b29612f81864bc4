"""A year's last digit Tesseract wrote as "«" (indexer/extract/thai_digit_reader.py), as the
scanned letters of tests/test_scanned_letter_fields.py came back."""

from __future__ import annotations

import pytest

from indexer.extract.thai_digit_reader import reread_thai_digits
from tests.test_thai_digit_reader import _glyph_by_glyph, needs_fonts


@needs_fonts
@pytest.mark.parametrize("font", ["Loma", "Kinnari", "Garuda", "TlwgTypist"])
def test_a_guillemet_ending_a_year_is_read_as_its_digit(tmp_path, font):
    """Garuda's scanned ๑๙ พฤษภาคม ๒๕๕๙ came back with ๒๕๕« for the year."""
    image, tsv = _glyph_by_glyph(tmp_path, "๒๕๕๙", "๒๕๕«", font)
    assert reread_thai_digits(image, "๑๙ พฤษภาคม ๒๕๕«\n", tsv) == ("๑๙ พฤษภาคม ๒๕๕๙\n", 1)
