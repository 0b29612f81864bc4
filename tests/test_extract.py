"""Extractors on real files built here with the real libraries (no mocks)."""

from __future__ import annotations

import shutil
import struct
import wave
from pathlib import Path

import magic
import pytest

from indexer.extract import Extraction, UnsoundFile, extract
from tests.shared_paths import SEED_FIXTURES, SEEDS

THAI_FONT = Path("/usr/share/fonts/truetype/tlwg/Loma.ttf")
SEED_PDF = SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf"
HAS_OCR = shutil.which("tesseract") is not None and shutil.which("pdftoppm") is not None
needs_ocr = pytest.mark.skipif(not HAS_OCR, reason="tesseract/pdftoppm not installed")


def run(path: Path, **kwargs) -> Extraction:
    return extract(path, magic.from_file(str(path), mime=True), **kwargs)


# --- PDF ---------------------------------------------------------------------------


def test_pdf_text_layer_with_metadata():
    result = run(SEED_PDF)
    assert result.method == "pdf-text-layer"
    assert result.pages == 1
    assert "ดำเนินโครงการ" in result.text and "ไม่สูญหาย" in result.text
    assert any(t.startswith("pypdf ") for t in result.tools)
    assert result.metadata["page_count"] == 1


def test_truncated_pdf_is_unsound(tmp_path):
    data = SEED_PDF.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnsoundFile) as info:
        run(cut)
    assert info.value.code == "pdf-truncated"
    assert "PDF" in str(info.value) and "(" in str(info.value)


def test_encrypted_pdf_gives_no_text_with_reason(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SEED_PDF))
    writer.encrypt(user_password="ลับมาก", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    result = run(locked)
    assert result.text == ""
    assert result.method == "none"
    assert "เข้ารหัส" in result.no_text_reason and "encrypted" in result.no_text_reason


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SEED_PDF))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "open.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    result = run(locked)
    assert "ดำเนินโครงการ" in result.text
    assert "decrypted:empty-password" in result.fallbacks


def _image_only_pdf(tmp_path: Path) -> Path:
    """Rasterise the top of a seed PDF page and wrap it as an image-only PDF."""
    import subprocess

    from PIL import Image

    stem = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(SEED_PDF), str(stem)],
        check=True,
        timeout=60,
    )
    with Image.open(stem.with_suffix(".png")) as page:
        top = page.crop((0, 0, page.width, page.height // 5)).convert("RGB")
        scanned = tmp_path / "scanned.pdf"
        top.save(scanned, "PDF", resolution=150)
    return scanned


@needs_ocr
def test_scanned_pdf_is_read_by_ocr(tmp_path):
    result = run(_image_only_pdf(tmp_path))
    assert result.method == "pdf-ocr"
    assert result.fallbacks == ["ocr-pages:1"]
    assert any(t.startswith("tesseract") for t in result.tools)
    assert "กลุ่มจังหวัด" in result.text


@needs_ocr
def test_scanned_pdf_without_ocr_records_ocr_skipped(tmp_path):
    result = run(_image_only_pdf(tmp_path), ocr=False)
    assert result.text == ""
    assert result.ocr_skipped and "OCR" in result.ocr_skipped
    assert result.no_text_reason


# --- DOCX / XLSX / PPTX / ODF ------------------------------------------------------


def test_docx_body_table_header_footer_in_order(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "แนวทางการจัดเก็บทรัพยากร"
    document.core_properties.author = "สำนักงานจังหวัดเชียงใหม่"
    document.sections[0].header.paragraphs[0].text = "ด่วนที่สุด ที่ ขร ๐๐๑๙.๑/๑๙๕๕๕"
    document.sections[0].footer.paragraphs[0].text = "กลุ่มงานยุทธศาสตร์และข้อมูลเพื่อการพัฒนาจังหวัด"
    document.add_heading("แนวทางการจัดเก็บทรัพยากร", level=1)
    document.add_paragraph("ก่อนตาราง: บัญชีรายละเอียดทรัพยากร")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "อำเภอ"
    table.cell(0, 1).text = "งบประมาณ (บาท)"
    table.cell(1, 0).text = "เมืองเชียงราย"
    table.cell(1, 1).text = "๑๒,๕๐๐"
    document.add_paragraph("หลังตาราง: ส่งภายในวันที่ ๓๑ ตุลาคม ๒๕๖๒")
    path = tmp_path / "letter.docx"
    document.save(path)

    result = run(path)
    assert result.method == "docx"
    text = result.text
    assert "อำเภอ\tงบประมาณ (บาท)" in text and "เมืองเชียงราย\t๑๒,๕๐๐" in text
    assert text.index("ก่อนตาราง") < text.index("เมืองเชียงราย") < text.index("หลังตาราง")
    assert "ด่วนที่สุด" in text and "กลุ่มงานยุทธศาสตร์" in text
    assert result.title == "แนวทางการจัดเก็บทรัพยากร"
    assert result.metadata["author"] == "สำนักงานจังหวัดเชียงใหม่"


@pytest.mark.parametrize("level", [0, 2])
def test_docx_without_a_title_property_takes_its_first_heading(tmp_path, level):
    import docx

    document = docx.Document()
    document.add_paragraph("ที่ มท ๐๒๑๓/ว ๑๒๓ (ไม่ใช่หัวเรื่อง)")
    document.add_heading("รายงานสรุปผลการดำเนินงานโครงการ", level=level)  # 0: the Title style
    document.add_heading("หัวข้อถัดไป", level=1)
    path = tmp_path / "report.docx"
    document.save(path)
    assert run(path).title == "รายงานสรุปผลการดำเนินงานโครงการ"


def test_docx_headers_of_every_section_and_first_page(tmp_path):
    """The headers and footers the sections use: a first-page header, and a later
    section's own header; a section that links to the previous one adds nothing twice."""
    import docx

    document = docx.Document()
    document.add_paragraph("ส่วนที่หนึ่ง")
    first = document.sections[0]
    first.header.paragraphs[0].text = "หัวกระดาษทุกหน้า"
    first.different_first_page_header_footer = True
    first.first_page_header.paragraphs[0].text = "หัวกระดาษหน้าแรก"
    second = document.add_section()
    document.add_paragraph("ส่วนที่สอง")
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "หัวกระดาษส่วนที่สอง"
    document.add_section()  # linked to the previous section's header
    path = tmp_path / "sections.docx"
    document.save(path)
    text = run(path).text
    for line in ("หัวกระดาษทุกหน้า", "หัวกระดาษหน้าแรก", "หัวกระดาษส่วนที่สอง"):
        assert text.count(line) == 1, line


def test_docx_properties_are_the_files_own():
    """A LibreOffice DOCX with empty properties gives none: no title, author or dates
    made up (python-docx's Document() invents "Word Document" by "python-docx", modified
    now, when it does not find the part under the relationship name LibreOffice writes)."""
    result = run(SEED_FIXTURES / "003_d2773d3a604759fe.docx")
    assert result.title is None or result.title != "Word Document"
    assert "python-docx" not in result.metadata.values()
    assert "modified" not in result.metadata


def test_seed_docx_fixture_reads_like_its_source():
    path = SEED_FIXTURES / "003_d2773d3a604759fe.docx"
    result = run(path)
    assert result.method == "docx"
    source = (SEEDS / "003_d2773d3a604759fe.txt").read_text(encoding="utf-8")
    for phrase in ("ศาลากลางจังหวัดเชียงราย", "ความจำเป็นพื้นฐาน", "ถนนแม่ฟ้าหลวง ขร ๕๗๑๐๐"):
        assert phrase in source and phrase in result.text


def test_corrupt_docx_is_unsound(tmp_path):
    good = (SEED_FIXTURES / "000_b5296e7a1e0e78d3.docx").read_bytes()
    bad = tmp_path / "broken.docx"
    bad.write_bytes(good[: len(good) * 2 // 3])
    with pytest.raises(UnsoundFile) as info:
        extract(bad, magic.from_file(str(bad), mime=True), filename="broken.docx")
    assert info.value.code == "docx-corrupt"


def _damage_member(source: Path, target: Path, member: str) -> None:
    """Copy the DOCX with one byte of ``member``'s compressed data flipped: the package
    still opens, and only reading that member finds the damage (its CRC or deflate data)."""
    import zipfile

    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(member)
    # local header: 30 bytes, then the name and the extra field, then the data
    name_len, extra_len = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    target.write_bytes(bytes(data))


@pytest.mark.parametrize("member", ["word/document.xml", "word/styles.xml", "word/settings.xml"])
def test_docx_with_a_damaged_member_is_unsound(tmp_path, member):
    """The body (read for text) and parts no text comes from are both checked."""
    from docx import Document

    made = tmp_path / "made.docx"
    document = Document()
    for n in range(40):
        document.add_paragraph(f"รายงานสรุปผลการดำเนินงานโครงการ ย่อหน้าที่ {n}")
    document.save(made)
    bad = tmp_path / "damaged.docx"
    _damage_member(made, bad, member)
    assert run(made).text.startswith("รายงานสรุปผลการดำเนินงานโครงการ")
    with pytest.raises(UnsoundFile) as info:
        run(bad)
    assert info.value.code == "docx-corrupt"


def test_xlsx_all_sheets(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "งบประมาณ"
    sheet.append(["อำเภอ", "จำนวนเงิน (บาท)"])
    sheet.append(["เมืองเชียงราย", 12500])
    second = workbook.create_sheet("ผู้รับผิดชอบ")
    second.append(["นายอำเภอ", "พัฒนาการอำเภอ"])
    workbook.properties.title = "แผนการใช้จ่ายงบประมาณ"
    path = tmp_path / "budget.xlsx"
    workbook.save(path)

    result = run(path)
    assert result.method == "xlsx"
    assert "อำเภอ\tจำนวนเงิน (บาท)" in result.text
    assert "เมืองเชียงราย\t12500" in result.text
    assert "นายอำเภอ\tพัฒนาการอำเภอ" in result.text
    assert result.metadata["sheets"] == ["งบประมาณ", "ผู้รับผิดชอบ"]
    assert result.title == "แผนการใช้จ่ายงบประมาณ"


def test_pptx_slides_tables_and_notes(tmp_path):
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "ผลการดำเนินงานโครงการ"
    rows = slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1)).table
    rows.cell(0, 0).text = "ตัวชี้วัด"
    rows.cell(0, 1).text = "ร้อยละ"
    rows.cell(1, 0).text = "การเบิกจ่าย"
    rows.cell(1, 1).text = "๘๕"
    slide.notes_slide.notes_text_frame.text = "บันทึกผู้บรรยาย: อบรมระบบ PADME"
    path = tmp_path / "deck.pptx"
    deck.save(path)

    result = run(path)
    assert result.method == "pptx"
    assert result.pages == 1
    assert "ผลการดำเนินงานโครงการ" in result.text
    assert "การเบิกจ่าย\t๘๕" in result.text
    assert "บันทึกผู้บรรยาย" in result.text
    assert result.title == "ผลการดำเนินงานโครงการ"


def test_odf_text_and_spreadsheet(tmp_path):
    from odf import table as odftable
    from odf import text as odftext
    from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText

    document = OpenDocumentText()
    document.text.addElement(odftext.H(outlinelevel=1, text="รายงานการประชุม"))
    document.text.addElement(odftext.P(text="ความก้าวหน้าการดำเนินโครงการ ประจำเดือนธันวาคม"))
    odt = tmp_path / "minutes.odt"
    document.save(str(odt))
    result = run(odt)
    assert result.method == "odf"
    assert "รายงานการประชุม" in result.text and "ความก้าวหน้า" in result.text

    sheet_doc = OpenDocumentSpreadsheet()
    sheet = odftable.Table(name="สรุป")
    for values in (("อำเภอ", "ครัวเรือน"), ("แม่สาย", "๑๒๐")):
        row = odftable.TableRow()
        for value in values:
            cell = odftable.TableCell()
            cell.addElement(odftext.P(text=value))
            row.addElement(cell)
        sheet.addElement(row)
    sheet_doc.spreadsheet.addElement(sheet)
    ods = tmp_path / "summary.ods"
    sheet_doc.save(str(ods))
    result = run(ods)
    assert "แม่สาย\t๑๒๐" in result.text


def test_legacy_doc_without_soffice_says_why(tmp_path, monkeypatch):
    # An OLE2 compound file header is what libmagic needs to call it a Word 97 file.
    if shutil.which("soffice"):
        pytest.skip("soffice installed: conversion path exercised instead")
    path = tmp_path / "old.doc"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504)
    result = extract(path, "application/msword", filename="old.doc")
    assert result.text == ""
    assert "soffice" in result.no_text_reason


# --- text and HTML -----------------------------------------------------------------


def test_cp874_text_is_decoded_as_thai(tmp_path):
    source = (SEEDS / "004_b16aa6efba4dfd19.txt").read_text(encoding="utf-8")
    sample = "\n".join(source.splitlines()[:15])
    path = tmp_path / "letter.txt"
    path.write_bytes(sample.encode("cp874"))
    result = run(path)
    assert result.method == "plain-text"
    assert "encoding:cp874" in result.fallbacks
    assert result.text == sample.strip()


def test_csv_utf8(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("อำเภอ,ครัวเรือน\nแม่สาย,120\n", encoding="utf-8")
    result = run(path)
    assert "แม่สาย,120" in result.text
    assert result.fallbacks == []


def test_undecodable_bytes_give_reason_not_crash(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(256)) * 8)
    result = extract(path, "text/plain")
    assert result.text == ""
    assert result.no_text_reason


def test_html_to_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>ข่าวจังหวัดนครพนม</title><style>p{color:red}</style></head>"
        "<body><h1>ประกาศ</h1><p>จังหวัดนครพนม&nbsp;เผยแพร่ข้อมูล</p>"
        "<script>var x = 'ไม่ใช่ข้อความ';</script>"
        "<table><tr><td>หน่วยงาน</td><td>ผู้รับผิดชอบ</td></tr></table></body></html>",
        encoding="utf-8",
    )
    result = run(path)
    assert result.method == "html"
    assert result.title == "ข่าวจังหวัดนครพนม"
    assert "จังหวัดนครพนม" in result.text and "เผยแพร่ข้อมูล" in result.text
    assert "หน่วยงาน\tผู้รับผิดชอบ" in result.text
    assert "ไม่ใช่ข้อความ" not in result.text and "color" not in result.text


# --- images and media ---------------------------------------------------------------


@needs_ocr
def test_image_with_thai_text_is_ocred(tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(THAI_FONT), 48)
    image = Image.new("RGB", (900, 140), "white")
    ImageDraw.Draw(image).text((20, 30), "สำนักงานจังหวัดเชียงใหม่", font=font, fill="black")
    path = tmp_path / "sign.png"
    image.save(path)

    result = run(path)
    assert result.method == "ocr-image"
    assert result.metadata["width"] == 900 and result.metadata["format"] == "PNG"
    assert "เชียงใหม่" in result.text


def test_image_without_ocr_keeps_metadata(tmp_path):
    from PIL import Image

    path = tmp_path / "photo.jpg"
    image = Image.new("RGB", (64, 48), "gray")
    exif = Image.Exif()
    exif[0x0132] = "2024:06:19 10:30:00"
    image.save(path, exif=exif)
    result = run(path, ocr=False)
    assert result.metadata["height"] == 48
    assert result.metadata["exif_datetime"] == "2024:06:19 10:30:00"
    assert result.ocr_skipped


def test_audio_metadata_and_reason(tmp_path):
    path = tmp_path / "meeting.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(struct.pack("<h", 0) * 16000)
    result = run(path)
    assert result.text == ""
    assert result.metadata["duration_seconds"] == pytest.approx(2.0)
    assert result.metadata["sample_rate"] == 8000
    assert "เสียง" in result.no_text_reason


def test_unknown_type_gives_reason(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01\x02\x03" * 10)
    result = extract(path, "application/octet-stream")
    assert result.text == "" and result.no_text_reason


def test_docx_title_falls_back_to_the_first_heading(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("ด่วนที่สุด")
    document.add_heading("รายงานสรุปผลการดำเนินงานโครงการ", level=1)
    document.add_heading("กิจกรรมที่ ๑", level=2)
    path = tmp_path / "report.docx"
    document.save(path)
    assert run(path).title == "รายงานสรุปผลการดำเนินงานโครงการ"
