"""Scanned pages printed in two columns (reports, newsletters): read as one column
(ocr.PAGE_SEGMENTATION), Tesseract read each line across both and a sentence of column one
came back cut by column two's lines; such a page is now told by its gutter
(indexer/extract/page_layout.py) and read column by column. A letter, whose head and
signature leave white in the middle of some lines, is still read as one column."""

from __future__ import annotations

import io
import random
import re
import shutil
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from bench.scan_corpus import (
    FONTS,
    SOURCES,
    _clean_lines,
    degrade,
    rasterise,
    render_columns_pdf,
    two_column_texts,
    wrap_pdf,
)
from indexer.extract import ocr
from indexer.extract.page_layout import page_columns
from tests.test_ocr_scans import ingest, signed_in

needs_fonts = pytest.mark.skipif(
    not all(path.exists() for path in FONTS.values()) or not shutil.which("pdftoppm"),
    reason="needs the TLWG Thai fonts and poppler-utils",
)


def two_column_scan(folder: Path, face: str, scanned: bool = True) -> tuple[Path, list[str]]:
    """A two-column page at 300 dpi, clean or through the bench's scanner: (image, the
    columns as printed)."""
    printed = render_columns_pdf(two_column_texts(), face, folder / "columns.pdf")
    image = rasterise(folder / "columns.pdf", 300, folder / "columns")
    if scanned:
        image = degrade(image, random.Random(5), folder / "columns.jpg")
    return image, printed


def letter_scan(folder: Path, face: str, scanned: bool = True) -> Path:
    """A letter laid out as offices print one: ที่ left and the office's address right on
    the same lines, the date right of the middle, a body across the page, the closing and
    signature block on the right, the division and telephone at the bottom left."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(30, 20, 20)
    pdf.add_font(face, fname=str(FONTS[face]))
    pdf.set_font(face, size=16)
    pdf.set_text_shaping(True)
    pdf.add_page()
    head = [
        ("ที่ ชร ๐๐๑๙.๑/ว ๑๙๕๕๕", "ศาลากลางจังหวัดเชียงราย"),
        ("", "ถนนแม่ฟ้าหลวง ชร ๕๗๑๐๐"),
        ("", "๑๙ มิถุนายน ๒๕๖๗"),
    ]
    for left, right in head:
        y = pdf.get_y()
        pdf.cell(80, 8, left)
        pdf.set_xy(120, y)
        pdf.cell(70, 8, right, new_x="LMARGIN", new_y="NEXT")
    body = _clean_lines(SOURCES[0].read_text(encoding="utf-8"))[4:12]
    for line in ["เรื่อง การปรับแผนการปฏิบัติงาน", "เรียน นายอำเภอทุกอำเภอ", *body]:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    for line in ["ขอแสดงความนับถือ", "", "(นายสมชาย ใจดี)", "ผู้ว่าราชการจังหวัดเชียงราย"]:
        pdf.set_x(110)
        pdf.cell(80, 8, line, new_x="LMARGIN", new_y="NEXT")
    for line in ["สำนักงานจังหวัด", "กลุ่มงานยุทธศาสตร์และข้อมูล", "โทร. ๐ ๕๓๑๕ ๐๑๙๐"]:
        pdf.cell(80, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(folder / "letter.pdf"))
    image = rasterise(folder / "letter.pdf", 300, folder / "letter")
    return degrade(image, random.Random(6), folder / "letter.jpg") if scanned else image


def prepared(image: Path, folder: Path) -> Path:
    return ocr.prepare_page(image, folder / f"prepared-{image.stem}.png")[0]


@needs_fonts
@pytest.mark.parametrize("face", ["Garuda", "Kinnari"])
@pytest.mark.parametrize("scanned", [False, True], ids=["clean", "scan"])
def test_a_two_column_page_is_told_from_a_letter(tmp_path, face, scanned):
    """The gutter between two columns is found; a letter's head (ที่ left, address right),
    its signature block and its bottom-left division are no gutter."""
    columns, _ = two_column_scan(tmp_path, face, scanned)
    letter = letter_scan(tmp_path, face, scanned)
    assert page_columns(prepared(columns, tmp_path)) == 2
    assert page_columns(prepared(letter, tmp_path)) == 1


def test_a_page_with_one_short_centred_column_is_no_two_columns(tmp_path):
    """White either side of a narrow block of text is no gutter: nothing lies beyond it."""
    page = np.full((600, 800), 255, np.uint8)
    for top in range(100, 500, 30):
        page[top : top + 12, 300:500] = 0
    Image.fromarray(page).save(tmp_path / "narrow.png")
    assert page_columns(tmp_path / "narrow.png") == 1


def test_a_few_lines_of_large_type_are_no_two_columns(tmp_path):
    """The gaps between words of a line or three cross every band of so short a block: no
    gutter (a one-word page came back cut in two, จังห and วัดลำพูน, before)."""
    page = np.full((400, 1200), 255, np.uint8)
    for top in (100, 180, 260):
        page[top : top + 50, 100:520] = 0
        page[top : top + 50, 600:1100] = 0
    Image.fromarray(page).save(tmp_path / "large-type.png")
    assert page_columns(tmp_path / "large-type.png") == 1
    # the same two blocks run down a page are two columns
    tall = np.full((1800, 1200), 255, np.uint8)
    for top in range(100, 1700, 40):
        tall[top : top + 20, 100:520] = 0
        tall[top : top + 20, 600:1100] = 0
    Image.fromarray(tall).save(tmp_path / "columns.png")
    assert page_columns(tmp_path / "columns.png") == 2


def _first_line_break(text: str, face: str) -> str:
    """The words either side of column one's first wrap (its first paragraph's first
    printed line's last word and the next line's first), as a phrase: read across both
    columns, a line of column two comes between them."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font(face, fname=str(FONTS[face]))
    pdf.set_font(face, size=14)
    pdf.set_text_shaping(True)
    pdf.add_page()
    width = (pdf.w - 40 - 8) / 2
    for line in text.splitlines():
        wrapped = pdf.multi_cell(width, 7, line, dry_run=True, output="LINES")
        if len(wrapped) > 1 and " " in wrapped[0].strip() and " " in wrapped[1].strip():
            return f"{wrapped[0].split()[-1]} {wrapped[1].split()[0]}"
    raise AssertionError("column one never wraps")


@pytest.mark.skipif(
    not shutil.which("tesseract") or not shutil.which("pdftoppm"),
    reason="needs tesseract-ocr-tha and poppler-utils",
)
@needs_fonts
def test_a_sentence_of_a_scanned_two_column_report_is_found_whole(core, tmp_path):
    """A two-column report scanned to an image-only PDF with a Thai name, through `khlang
    ingest`: a phrase that runs from one line of column one to the next is found by a
    quoted search, and the document records that its page was read as two columns."""
    image, printed = two_column_scan(tmp_path, "Garuda")
    pdf = wrap_pdf(image, 300, tmp_path / "รายงานผลการดำเนินงาน-สองคอลัมน์.pdf")
    phrase = _first_line_break(printed[0], "Garuda")
    entry = ingest(core, pdf)
    client = signed_in(core)
    shown = client.get(f"/api/documents/{entry['document_id']}").get_json()
    assert shown["metadata"]["technical"][ocr.COLUMNS_KEY] == {"1": 2}
    found = client.get("/api/search?q=" + urllib.parse.quote(f'"{phrase}"')).get_json()
    assert entry["document_id"] in [hit["document_id"] for hit in found["hits"]], (phrase, found)
    # the searchable copy lays each column's lines over the page, where they were read
    copy = client.get(f"/api/documents/{entry['document_id']}/searchable.pdf")
    assert copy.status_code == 200, copy.text
    [copy_page] = PdfReader(io.BytesIO(copy.data)).pages
    laid = re.sub(r"\s+", "", copy_page.extract_text())
    assert all(word in laid for word in phrase.split()), phrase
