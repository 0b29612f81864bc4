"""Pages read as one column of text (Tesseract's --psm 4, indexer/extract/ocr.py), and what
the Thai digit reader had to learn for it: on the scan bench's letters the automatic page
segmentation (--psm 3) lost the ที่ of a clean letter's first line, and reading one column
first lost two scanned numbers, both put right here."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pytest
from PIL import Image

from indexer.extract.thai_digit_reader import _number_runs, reread_thai_digits
from tests.test_thai_digit_reader import _glyph_by_glyph, _line_with_words, needs_fonts, scanned

TSV_HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def _year_above_a_line(tmp_path, font: str) -> tuple[str, str]:
    """๒๕๖๒ scanned over a line of Thai, and a TSV as Tesseract wrote it reading one column:
    ๒๕๒๒, the last ๒'s box twice its line's height, down into the letters below."""
    page, _ = scanned("๒๕๖๒\nกลุ่มจังหวัดภาคเหนือ", font)
    rows = np.nonzero((page < 128).any(axis=1))[0]
    top = int(rows[0])
    bottom = next(int(a) + 1 for a, b in itertools.pairwise(rows) if b > a + 1)
    height = bottom - top
    cols = np.nonzero((page[top:bottom] < 128).any(axis=0))[0]
    gaps = [(int(a) + 1, int(b)) for a, b in itertools.pairwise(cols) if b > a + 1]
    starts = [int(cols[0]), *(b for _, b in gaps)]
    ends = [*(a for a, _ in gaps), int(cols[-1]) + 1]
    assert len(starts) == 4, font
    image = tmp_path / "scan.png"
    Image.fromarray(page).save(image)
    lines = [TSV_HEADER]
    for n, (a, b, char) in enumerate(zip(starts, ends, "๒๕๒๒", strict=True)):
        tall = height if n < 3 else int(2.2 * height)
        lines.append(f"5\t1\t1\t1\t1\t{n + 1}\t{a}\t{top}\t{b - a}\t{tall}\t90\t{char}")
    return str(image), "\n".join(lines)


@needs_fonts
@pytest.mark.parametrize("font", ["Garuda", "Loma", "TlwgTypist"])
def test_a_digit_box_reaching_into_the_next_line_leaves_the_number_readable(tmp_path, font):
    """Reading one column, Tesseract drew one ๒ of a scanned Garuda year twice its line's
    height, into the line below: that line's letters joined the ๒'s ink, the year's other
    glyphs (half as tall) were taken for marks, and ๒๕๖๒ stayed ๒๕๒๒. A box far taller
    than the number's others no longer sets the height of the ink looked at."""
    image, tsv = _year_above_a_line(tmp_path, font)
    assert reread_thai_digits(image, "พ.ศ. ๒๕๒๒\n", tsv) == ("พ.ศ. ๒๕๖๒\n", 1)


@needs_fonts
def test_a_list_items_number_written_with_its_dot_as_a_mark_comes_back(tmp_path):
    """A list item's ๒. that Tesseract wrote "©." in one box (a scanned TlwgTypist letter,
    read as one column) is read from its glyph, as a lone "©" or "@" is."""
    image, tsv = _line_with_words(tmp_path, [("๒.", "©.")])
    assert reread_thai_digits(image, "©.\n", tsv) == ("๒.\n", 1)


@pytest.fixture(scope="module")
def clean_bench_letters(tmp_path_factory):
    """The scan bench's letters (bench/scan_corpus.py, --pages 1), rendered clean."""
    from bench.scan_corpus import make_scans

    folder = tmp_path_factory.mktemp("bench-letters")
    return {page.font: page for page in make_scans(folder, 1, degraded=(False,))}


@pytest.mark.skipif(
    not shutil.which("tesseract") or not shutil.which("pdftoppm"),
    reason="needs tesseract-ocr-tha and poppler-utils",
)
@pytest.mark.parametrize("face", ["Garuda", "Kinnari"])
def test_a_clean_letters_first_line_keeps_its_label(clean_bench_letters, face):
    """Its automatic page segmentation took the upper marks of the bench's clean Garuda and
    Kinnari letters' first line for a line of their own and lost the line ("'", "น" came
    back for "ที่ ลป ๐๔๓๕..."; the letter parser then had to find the number without its
    label); read as one column, the line comes back with its label and office."""
    from indexer.extract.pdf import extract_pdf

    page = clean_bench_letters[face]
    printed = page.truth.strip().splitlines()[0].split()
    first = extract_pdf(page.pdf).text.strip().splitlines()[0].split()
    assert printed[0] == "ที่"
    assert first[:2] == printed[:2], first


def test_a_lone_dot_is_no_list_items_number():
    """Only a stand-in with its dot ("©.") is taken for a list item's number: the dots of an
    abbreviation, each in a box of its own, are no number (taken for one, the glyph under
    a dot was named a digit and พ.ศ. came back พ.๑ศ. on the bench's clean Kinnari letters)."""
    rows = [TSV_HEADER] + [
        f"5\t1\t1\t1\t1\t{n + 1}\t{100 + 40 * n}\t50\t30\t40\t90\t{char}"
        for n, char in enumerate(["พ", ".", "ศ", ".", "©."])
    ]
    runs = _number_runs("พ.ศ. ©.\n", "\n".join(rows))
    assert [[word.text for word in run] for run in runs] == [["©."]]


@needs_fonts
def test_a_digit_written_as_a_percent_and_a_letter_comes_back(tmp_path):
    """Reading a clean Garuda letter as one column, Tesseract wrote the ๖ of ๑๘๖๒๘ as "%ใ"
    (two boxes over its glyph), which ended the number there: inside a number, between its
    digits, they stand in for a digit as ฒ does."""
    image, tsv = _glyph_by_glyph(tmp_path, "๑๘๖๒๘", "๑๕๒๒๕", "Garuda")
    header, *rows = tsv.split("\n")
    cells = rows[2].split("\t")
    left, width = int(cells[6]), int(cells[8])
    halves = []
    for n, (start, size, char) in enumerate(
        [(left, width // 2, "%"), (left + width // 2, width - width // 2, "ใ")]
    ):
        halves.append(
            "\t".join([*cells[:5], str(3 + n), str(start), cells[7], str(size), *cells[9:11], char])
        )
    tsv = "\n".join([header, *rows[:2], *halves, *rows[3:]])
    assert reread_thai_digits(image, "ที่ ๑๕%ใ๒๕\n", tsv) == ("ที่ ๑๘๖๒๘\n", 1)
