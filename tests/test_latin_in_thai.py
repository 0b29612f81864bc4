"""Thai words Tesseract (tha+eng) wrote in Latin letters, read again with its Thai model
(indexer/extract/latin_in_thai.py). The misreadings are Tesseract's own on the scan bench's
letters (bench/ocr_word_misses.py --show): พ.ศ. as "wa.", จปฐ. as "aug.", อปท. as "aun.",
น. as "U.", คือ as "Aa"; the English it must keep is the same letters' (DSSS, www, OSM)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from indexer.extract.latin_in_thai import (
    accepted_office,
    accepted_reading,
    candidates,
    is_candidate,
    is_office,
    reread_latin_words,
)

FONTS = Path("/usr/share/fonts/truetype/tlwg")
needs_ocr = pytest.mark.skipif(
    not (FONTS / "TlwgTypist.ttf").is_file() or not shutil.which("tesseract"),
    reason="needs fonts-thai-tlwg-ttf and tesseract-ocr-tha",
)
HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


@pytest.mark.parametrize(
    ("word", "before", "after", "text_before"),
    [
        ("aug.", ["ข้อมูล"], ["โดย"], "รจัดเก็บข้อมูล "),  # จปฐ.
        ("aun.", ["ผู้แทน"], ["."], "หารหรือ ผู้แทน "),  # อปท.
        ("U.", ["๐๙.๐๐"], ["ณ"], "นมา เวลา ๐๙.๐๐ "),  # น.
        ("wa.", ["ธันวาคม"], [""], "วันที่ ๒ ธันวาคม "),  # พ.ศ. before a year, after a month
        ("(aug.)", ["ระบบ"], ["และ"], "ระบบ "),
    ],
)
def test_latin_words_inside_thai_lines_are_read_again(word, before, after, text_before):
    assert is_candidate(word, before, after, text_before)


@pytest.mark.parametrize(
    ("word", "before", "after", "text_before"),
    [
        ("DSSS", ["Data"], ["ของ"], "ระบบ Data "),  # an acronym in an English phrase
        ("www", [], [], ""),  # a line of its own, no Thai on it
        ("Cluster", ["(Provincial"], ["ภาค"], "จังหวัด (Provincial "),
        ("wees", ["ธันวาคม"], ["ส่ง"], "วันที่ ๒ ธันวาคม "),  # a year's stand-in: the digit reader's
        ("lo", ["ที่"], ["มกราคม"], "วันที่ "),  # a day's stand-in after ที่
        ("lo.", [], ["จัดทำ"], ""),  # a list item's number at the start of a line
        ("a", ["ที่"], ["ส่ง"], "ที่ "),  # one letter, no dot: too little to go on
        ("๒๕๖๒", ["พ.ศ."], [], "พ.ศ. "),
    ],
)
def test_english_numbers_and_stray_letters_are_left(word, before, after, text_before):
    assert not is_candidate(word, before, after, text_before)


@pytest.mark.parametrize(
    ("latin", "thai", "kept"),
    [
        ("wa.", "พ.ศ.", "พ.ศ."),
        ("W.A.", "พ.ศ.", "พ.ศ."),
        ("aug.", "จปฐ.", "จปฐ."),
        ("aun.", "อปท..", "อปท."),  # the crop's margin held the next word's dot
        ("U.", "น.", "น."),
        ("Aa", "คือ", "คือ"),
        ("aug.", "จปฐ.)", "จปฐ."),
        # the English of the bench's letters, as the Thai model reads it: garbled, or digits
        ("DSSS", "กงรรร", None),
        ("www", "หหพหพพ", None),
        ("OSM", "0571", None),
        ("Cluster", "(7ไนรเอท)", None),
        ("aug.", "จปฐ", None),  # the abbreviation's dot lost: not the word printed
        ("AIBWIWA", "ตัวชีวัด", "ตัวชีวัด"),  # long: several words (its mark comes back later)
        # English between Thai words, as the Thai model reads it (bench.ocr_latin_english)
        ("on", "วท", None),  # too short to be sure of
        ("OK", "อน", None),
        ("USB", "ปรธร", None),  # short and not one word
        ("No.", "พอ.", None),  # an English abbreviation
        ("Dr.", "ทท.", None),
    ],
)
def test_a_reading_replaces_the_latin_word_only_when_it_is_dictionary_thai(latin, thai, kept):
    assert accepted_reading(latin, thai) == kept


def _line(tmp_path: Path, parts: list[tuple[str, str]]) -> tuple[Path, str, str]:
    """A line drawn in TlwgTypist at 300 dpi from (printed, as Tesseract wrote it) parts,
    and the text and TSV Tesseract would give for it: each part's ink as its word box."""
    face = ImageFont.truetype(str(FONTS / "TlwgTypist.ttf"), 62)
    canvas = Image.new("L", (400 * len(parts) + 100, 220), 255)
    draw = ImageDraw.Draw(canvas)
    rows = [HEADER]
    for n, (printed, written) in enumerate(parts):
        left, top, right, bottom = draw.textbbox((50 + 400 * n, 70), printed, font=face)
        draw.text((50 + 400 * n, 70), printed, fill=0, font=face)
        box = f"{left}\t{top}\t{right - left}\t{bottom - top}"
        rows.append(f"5\t1\t1\t1\t1\t{n + 1}\t{box}\t80\t{written}")
    image = tmp_path / "line.png"
    canvas.save(image, dpi=(300, 300))
    return image, " ".join(w for _, w in parts) + "\n", "\n".join(rows)


@needs_ocr
def test_thai_abbreviations_written_in_latin_letters_come_back(tmp_path):
    """จปฐ. and อปท., which Tesseract wrote "aug." and "aun." on the bench's TlwgTypist
    letter, are read again from their boxes in one call; the Thai words are untouched."""
    image, text, tsv = _line(
        tmp_path, [("ข้อมูล", "ข้อมูล"), ("จปฐ.", "aug."), ("ผู้แทน", "ผู้แทน"), ("อปท.", "aun.")]
    )
    new_text, new_tsv, changed = reread_latin_words(image, text, tsv)
    assert (new_text, changed) == ("ข้อมูล จปฐ. ผู้แทน อปท.\n", 2)
    assert [row.split("\t")[11] for row in new_tsv.splitlines()[1:]] == new_text.split()


@needs_ocr
@pytest.mark.parametrize("english", ["DSSS", "in", "SME", "USB"])
def test_english_inside_a_thai_line_stays(tmp_path, english):
    """English between Thai words is read by the Thai model as letters that make no Thai
    word, or too short a one, so it stays as Tesseract wrote it."""
    image, text, tsv = _line(tmp_path, [("ระบบ", "ระบบ"), (english, english), ("ของ", "ของ")])
    assert [w.text for w, _ in candidates(text, tsv)] == [english]
    assert reread_latin_words(image, text, tsv) == (text, tsv, 0)


@pytest.mark.parametrize(
    ("before", "word", "after"),
    [
        ("ที่ ", "AW", " ๐๐ใ๒๓.๓๕ว ฒ๑๕9"),  # Garuda's scanned ที่ ลพ ๐๐๒๓.๓/ว ๙๑๔๖
        ("A ", "UW", " ๐๗๔๕.๑/ว ๒๔๘๐"),  # ที่ นพ, its ที่ lost too
        ("ที่ ", "AD", " 0204.9/ว 6451"),
    ],
)
def test_a_letter_numbers_office_in_latin_letters_is_read_again(before, word, after):
    """Between ที่ and the code, where the digit reader owns the numbers, an office written
    in Latin letters is read again with the Thai model."""
    assert is_office(word, before, after)
    assert not is_candidate(word, [before.strip()], [], before)  # not by the general rule


@pytest.mark.parametrize(
    ("before", "word", "after"),
    [
        ("ติดต่อ ", "DSSS", " ๐๒๑๒"),  # more than a label before it, and four letters
        ("", "Tel", " 0 2123 4567"),  # no code: a telephone number
        ("ที่ ", "AW", " ถนนราชดำเนิน"),  # no digits after it
        ("ที่ ", "AW", " 12/3"),  # an address's number, not a code from 0
    ],
)
def test_latin_letters_elsewhere_are_no_office(before, word, after):
    assert not is_office(word, before, after)


def test_an_office_read_again_is_kept_when_it_is_a_provinces_prefix():
    assert accepted_office("ลพ") == "ลพ"
    assert accepted_office(" นพ ") == "นพ"
    assert accepted_office("ลท") is None  # no province's
    assert accepted_office("ลพบ") is None
    assert accepted_office("ลพ.") is None
