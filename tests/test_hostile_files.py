"""Hostile and odd files (issue 15, items 6-12): each ends with its own reason naming the
file, in Thai and English, within bounded time and memory, while the rest of the batch
goes on. Real files made by their own libraries, through the doors users use: ``khlang
ingest`` and ``POST /api/uploads``. Slow real cases (100,000 pages, a far cell) are
stood in for by low configured limits."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.waiting import wait_until

THAI = "รายงานผลการดำเนินงานโครงการพัฒนาจังหวัดเชียงใหม่ ประจำปีงบประมาณ"


def ingest_json(core, *paths: Path, env: dict | None = None, workers: int = 1):
    """`khlang ingest --json` through the command line, with extra environment settings;
    (exit code, results by file name)."""
    from click.testing import CliRunner

    from service.cli import main

    result = CliRunner().invoke(
        main,
        [
            *("--data-dir", str(core.settings.data_dir), "ingest", "--json"),
            *("--workers", str(workers), *map(str, paths)),
        ],
        env={"KHLANG_DATABASE_URL": core.settings.database_url, **(env or {})},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, {Path(r["path"]).name: r for r in json.loads(result.stdout)}


def upload(client, files: list[tuple[bytes, str]]) -> dict:
    """POST /api/uploads and wait for the job's status (GET /api/jobs/<id>) to settle."""
    response = client.post(
        "/api/uploads",
        data={"files": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.text
    job_id = response.get_json()["job_id"]

    def finished():
        answer = client.get(f"/api/jobs/{job_id}").get_json()
        return answer if answer["status"] != "running" else None

    return wait_until(finished, f"upload job {job_id}")


def search_ids(client, query: str) -> set[int]:
    answer = client.get("/api/search", query_string={"q": query})
    assert answer.status_code == 200, answer.text
    return {hit["document_id"] for hit in answer.get_json()["hits"]}


# --- 6: folders nested thousands of levels deep ---------------------------------------------


def nest(top: Path, levels: int, name: str, text: str) -> None:
    """A file ``levels`` folders below ``top``, made relative to an open folder at each
    step: the full path of a 10,000-level folder is past what one system call takes."""
    current = os.open(top, os.O_RDONLY)
    try:
        for _ in range(levels):
            if "ชั้น" not in os.listdir(current):
                os.mkdir("ชั้น", dir_fd=current)
            deeper = os.open("ชั้น", os.O_RDONLY, dir_fd=current)
            os.close(current)
            current = deeper
        handle = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=current)
        os.write(handle, text.encode())
        os.close(handle)
    finally:
        os.close(current)


@pytest.fixture
def deep_tmp(tmp_path):
    """tmp_path, emptied at the end with rm: pytest removes old temporary folders with
    shutil.rmtree, which recurses once per level and fails on a 10,000-level folder."""
    yield tmp_path
    subprocess.run(["rm", "-rf", "--", str(tmp_path)], check=True)


def test_a_folder_thousands_of_levels_deep_is_refused_with_a_reason(any_core, deep_tmp):
    top = deep_tmp / "ส่งมอบ"
    (top / "ปกติ").mkdir(parents=True)
    (top / "ปกติ" / "รายงาน.txt").write_text(THAI, encoding="utf-8")
    nest(top, 10_000, "ลึกมาก.txt", "ไฟล์ที่อยู่ลึกเกินไป")
    code, results = ingest_json(any_core, top)
    assert code == 1
    assert results["รายงาน.txt"]["status"] == "ingested"
    refused = results["ชั้น"]
    assert refused["status"] == "rejected"
    assert "ลึกเกิน 64 ชั้น" in refused["error"] and "deeper than 64 levels" in refused["error"]
    assert refused["path"].startswith(str(top / "ชั้น" / "ชั้น"))


def test_the_folder_depth_limit_is_a_setting(core, deep_tmp):
    top = deep_tmp / "ส่งมอบ"
    top.mkdir()
    nest(top, 2, "สองชั้น.txt", THAI)
    nest(top / "ชั้น", 3, "สี่ชั้น.txt", THAI + " ลึก")
    code, results = ingest_json(core, top, env={"KHLANG_MAX_FOLDER_DEPTH": "3"})
    assert code == 1
    assert results["สองชั้น.txt"]["status"] == "ingested"
    assert "สี่ชั้น.txt" not in results
    assert "deeper than 3 levels" in results["ชั้น"]["error"]


# --- 11: every door carries the reason a file has no text -------------------------------------

SEED_PDF = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "seeds"


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SEED_PDF / "000_b5296e7a1e0e78d3.pdf"))
    writer.encrypt(user_password="ลับมาก", owner_password="เจ้าของ", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_upload_job_names_why_a_file_was_stored_without_text(client):
    job = upload(client, [(encrypted_pdf(), "สัญญา ลับ.pdf"), (THAI.encode(), "บันทึก.txt")])
    by_name = {f["path"]: f for f in job["files"]}
    locked = by_name["สัญญา ลับ.pdf"]
    assert locked["status"] == "stored-without-text"
    assert "เข้ารหัส" in locked["error"] and "encrypted PDF" in locked["error"]
    assert by_name["บันทึก.txt"]["status"] == "ingested" and by_name["บันทึก.txt"]["error"] is None
    page = client.get(f"/upload/jobs/{job['job_id']}")
    assert page.status_code == 200 and "encrypted PDF, password required" in page.text


# --- 10: lines in two encodings, stray bytes ----------------------------------------------------

UTF8_LINE = "บันทึกข้อความ สำนักงานจังหวัดลำปาง เรื่อง ขออนุมัติโครงการ\n"
TIS_LINE = "ผู้ว่าราชการจังหวัดพะเยา ลงนามแล้ว\n"


def test_a_line_in_tis620_among_utf8_lines_is_read_as_tis620():
    from indexer.extract.text import decode_bytes, decode_line

    assert decode_line(TIS_LINE.encode("tis-620")) == (TIS_LINE, "cp874", 0)
    assert decode_line(UTF8_LINE.encode()) == (UTF8_LINE, "utf-8", 0)
    mixed = UTF8_LINE.encode() + TIS_LINE.encode("tis-620") + UTF8_LINE.encode()
    assert decode_bytes(mixed) == (UTF8_LINE + TIS_LINE + UTF8_LINE, "utf-8+cp874")


def test_a_stray_byte_costs_only_itself_not_the_thai_character_it_fell_into():
    from indexer.extract.text import decode_line

    line = UTF8_LINE.encode()
    at = line.index("จังหวัด".encode()) + 1  # inside จ (E0 B8 88)
    damaged = line[:at] + b"\xff" + line[at:]
    assert decode_line(damaged) == (UTF8_LINE, "utf-8", 1)
    # a byte that cannot begin a character, between two words
    at = line.index(b" ")
    assert decode_line(line[:at] + b"\xc0" + line[at:]) == (UTF8_LINE, "utf-8", 1)


def test_mixed_and_damaged_texts_are_ingested_with_every_readable_word(any_core, tmp_path):
    folder = tmp_path / "ข้อความ"
    folder.mkdir()
    (folder / "สองเครื่อง.txt").write_bytes(
        UTF8_LINE.encode() * 3 + TIS_LINE.encode("tis-620") + UTF8_LINE.encode()
    )
    body = (UTF8_LINE * 1000).encode()  # about 100 KB
    at = body.index("จังหวัด".encode(), len(body) // 2) + 1  # inside จ (E0 B8 88)
    (folder / "ไบต์หลง.txt").write_bytes(body[:at] + b"\x9f" + body[at:])
    code, results = ingest_json(any_core, folder)
    assert code == 0, results
    assert {r["status"] for r in results.values()} == {"ingested"}
    hits = any_core.search_backend.search("พะเยา").as_dict()["hits"]
    assert [h["document_id"] for h in hits] == [results["สองเครื่อง.txt"]["document_id"]]
    from schemas.models import Document

    with any_core.sessions() as session:
        damaged = session.get(Document, results["ไบต์หลง.txt"]["document_id"])
        assert damaged.text.count("ลำปาง") == 1000
        assert damaged.text.count("จังหวัด") == 1000


# --- 12: SVG drawings ------------------------------------------------------------------------


def svg_drawing(words: str) -> bytes:
    """An SVG as a drawing program writes it, built with ElementTree."""
    from xml.etree import ElementTree

    ns = "http://www.w3.org/2000/svg"
    ElementTree.register_namespace("", ns)
    root = ElementTree.Element(f"{{{ns}}}svg", width="800", height="600", viewBox="0 0 800 600")
    ElementTree.SubElement(root, f"{{{ns}}}title").text = "แผนผังอาคาร"
    ElementTree.SubElement(root, f"{{{ns}}}rect", x="10", y="10", width="300", height="200")
    label = ElementTree.SubElement(root, f"{{{ns}}}text", x="20", y="40")
    label.text = words
    ElementTree.SubElement(label, f"{{{ns}}}tspan", x="20", dy="20").text = "ชั้นที่ ๒"
    return ElementTree.tostring(root, xml_declaration=True, encoding="utf-8")


ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>'
)


def test_an_svg_is_stored_as_an_image_and_its_text_is_searchable(any_core, tmp_path):
    folder = tmp_path / "ภาพวาด"
    folder.mkdir()
    (folder / "แผนผังศาลากลาง.svg").write_bytes(svg_drawing("ศาลากลางจังหวัดแพร่"))
    (folder / "ระเบิด.svg").write_bytes(ENTITY_BOMB)
    code, results = ingest_json(any_core, folder)
    assert code == 1
    drawing = results["แผนผังศาลากลาง.svg"]
    assert drawing["status"] == "ingested", drawing
    refused = results["ระเบิด.svg"]
    assert refused["status"] == "rejected"
    assert "SVG" in refused["error"] and "unsafe SVG XML" in refused["error"]
    hits = any_core.search_backend.search("ศาลากลางจังหวัดแพร่").as_dict()["hits"]
    assert [h["document_id"] for h in hits] == [drawing["document_id"]]
    from schemas.models import Document

    with any_core.sessions() as session:
        document = session.get(Document, drawing["document_id"])
        assert (document.category, document.mime) == ("image", "image/svg+xml")
        assert "ชั้นที่ ๒" in document.text
        technical = document.meta["technical"]
        assert (technical["title"], technical["viewbox"]) == ("แผนผังอาคาร", "0 0 800 600")


def test_an_uploaded_svg_is_found_by_its_thai_text(client):
    job = upload(client, [(svg_drawing("ผังเมืองรวมจังหวัดตาก"), "ผังเมือง.svg")])
    (entry,) = job["files"]
    assert entry["status"] == "ingested", entry
    assert search_ids(client, "ผังเมืองรวมจังหวัดตาก") == {entry["document_id"]}


# --- 8: a sheet that claims a far cell ---------------------------------------------------------


def far_cell_workbook(path: Path) -> Path:
    """5 KB: a sheet whose dimension is A1:XFD1048576, for one cell in the far corner."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "สรุปงบ"
    sheet["A1"] = "งบประมาณจังหวัดสุโขทัย"
    sheet["B2"] = "ค่าวัสดุสำนักงาน"
    sheet["XFD1048576"] = "หมายเหตุท้ายตาราง"
    second = workbook.create_sheet("แผ่นสอง")
    for row in range(1, 40):
        second.append([f"รายการที่ {row}", row * 100])
    workbook.save(path)
    return path


def test_a_sheet_claiming_a_far_cell_is_read_by_its_real_content(any_core, tmp_path):
    folder = tmp_path / "ตาราง"
    folder.mkdir()
    far_cell_workbook(folder / "งบประมาณ.xlsx")
    (folder / "บันทึก.txt").write_text(THAI, encoding="utf-8")
    code, results = ingest_json(any_core, folder)
    assert code == 0, results
    sheet = results["งบประมาณ.xlsx"]
    assert sheet["status"] == "ingested" and not sheet["warnings"], sheet
    for words in ("สุโขทัย", "หมายเหตุท้ายตาราง", "รายการที่"):
        found = any_core.search_backend.search(words).as_dict()["hits"]
        assert [h["document_id"] for h in found] == [sheet["document_id"]], words


def test_reading_a_workbook_stops_at_the_cell_limit_and_keeps_what_was_read(core, tmp_path):
    far_cell_workbook(tmp_path / "งบประมาณ.xlsx")
    code, results = ingest_json(
        core, tmp_path / "งบประมาณ.xlsx", env={"KHLANG_MAX_SHEET_CELLS": "1000"}
    )
    sheet = results["งบประมาณ.xlsx"]
    assert code == 0 and sheet["status"] == "ingested"
    (cut,) = sheet["warnings"]
    assert "เกิน 1,000 เซลล์" in cut and "stopped at sheet 'สรุปงบ': over 1,000 cells" in cut
    from schemas.models import Document, Event

    with core.sessions() as session:
        text = session.get(Document, sheet["document_id"]).text
        assert "สุโขทัย" in text and "ค่าวัสดุสำนักงาน" in text and "รายการที่" not in text
        extracted = session.query(Event).filter_by(
            document_id=sheet["document_id"], event_type="extracted"
        )
        assert extracted.one().detail["warnings"] == [cut]


# --- 7: a PDF of many blank pages ---------------------------------------------------------------


def pdf_with_blank_pages(path: Path, blank: int) -> Path:
    """A seed report's page with Thai text, then ``blank`` blank pages (each needs OCR)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SEED_PDF / "000_b5296e7a1e0e78d3.pdf"))
    for _ in range(blank):
        writer.add_blank_page(595, 842)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def extracted_event(core, document_id: int) -> dict:
    from schemas.models import Event

    with core.sessions() as session:
        events = session.query(Event).filter_by(document_id=document_id)
        return {e.event_type: e.detail for e in events}


def test_a_pdf_past_the_page_limit_keeps_the_pages_read_and_says_what_was_cut(any_core, tmp_path):
    pdf = pdf_with_blank_pages(tmp_path / "รายงานหนามาก.pdf", 30)
    code, results = ingest_json(any_core, pdf, env={"KHLANG_MAX_PDF_PAGES": "2"})
    report = results["รายงานหนามาก.pdf"]
    assert code == 0 and report["status"] == "ingested", report
    cut = "read the first 2 of 31 pages: the page limit per document"
    assert any(cut in w and "อ่านเพียง 2 หน้าแรกจาก 31 หน้า" in w for w in report["warnings"])
    events = extracted_event(any_core, report["document_id"])
    assert any(cut in w for w in events["extracted"]["warnings"])
    assert events["extracted"]["pages"] == 31


def test_ocr_stops_at_its_time_limit_per_document_and_keeps_the_text_read(core, tmp_path):
    """Twenty blank pages take more than a second of OCR on any machine (a pdftoppm and a
    tesseract process each); the limit is one second."""
    pdf = pdf_with_blank_pages(tmp_path / "สแกนว่าง.pdf", 20)
    code, results = ingest_json(core, pdf, env={"KHLANG_MAX_OCR_SECONDS": "1"})
    report = results["สแกนว่าง.pdf"]
    assert code == 0 and report["status"] == "ingested", report
    events = extracted_event(core, report["document_id"])
    skipped = events["ocr-skipped"]["reason"]
    assert "OCR stopped at its time limit of 1 s per document" in skipped
    assert "หยุดอ่านด้วย OCR" in skipped and skipped.endswith("-21)")  # the last page
    from schemas.models import Document

    with core.sessions() as session:
        assert "ทรัพยากร" in session.get(Document, report["document_id"]).text


# --- 9: pixel floods and large texts -------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, "PNG")
    return out.getvalue()


def test_an_image_past_the_pixel_limit_is_stored_without_decoding(any_core, tmp_path):
    folder = tmp_path / "ภาพ"
    folder.mkdir()
    (folder / "น้ำท่วม.png").write_bytes(png(4000, 3000))  # 12 M pixels, 40 KB
    (folder / "บันทึก.txt").write_text(THAI, encoding="utf-8")
    code, results = ingest_json(any_core, folder, env={"KHLANG_MAX_IMAGE_PIXELS": "10000000"})
    flood = results["น้ำท่วม.png"]
    assert code == 1 and flood["status"] == "stored-without-text"
    assert "ภาพใหญ่เกิน 10,000,000 พิกเซล" in flood["error"]
    assert "image of 4,000 x 3,000 pixels is over the limit of 10,000,000 pixels" in flood["error"]
    assert results["บันทึก.txt"]["status"] == "ingested"
    events = extracted_event(any_core, flood["document_id"])
    assert events["ocr-skipped"]["reason"] == flood["error"]


PROVINCES = [
    "เชียงราย",
    "แม่ฮ่องสอน",
    "ลำพูน",
    "ลำปาง",
    "แพร่",
    "น่าน",
    "พะเยา",
    "อุตรดิตถ์",
    "สุโขทัย",
    "พิษณุโลก",
    "กาญจนบุรี",
    "ราชบุรี",
    "เพชรบุรี",
    "ประจวบคีรีขันธ์",
    "ชุมพร",
    "ระนอง",
    "สุราษฎร์ธานี",
    "พังงา",
    "ภูเก็ต",
    "กระบี่",
]


def test_a_long_text_is_read_and_indexed_in_pieces_and_every_word_is_found(core, tmp_path):
    """Pieces of 120 characters stand in for the real 1,000,000: every line of this text
    lies near a piece boundary, and every province it names is still found."""
    from indexer.extract.text import extract_plain
    from indexer.search.analysis import encode_units, short_grams
    from indexer.search.normalize import normalize
    from schemas.models import Document

    lines = [
        f"บรรทัดที่ {n}\r\nรายงานการตรวจราชการจังหวัด{name} งบประมาณ {n * 1000:,} บาท ท้ายบรรทัด"
        for n, name in enumerate(PROVINCES, start=1)
    ]
    path = tmp_path / "รายงานยาว.txt"
    path.write_text("\n".join(lines * 5), encoding="utf-8")
    whole = extract_plain(path)
    encoded = encode_units(normalize(whole.text))
    grams = short_grams(encoded)
    code, results = ingest_json(core, path, env={"KHLANG_TEXT_PIECE_CHARS": "120"})
    report = results["รายงานยาว.txt"]
    assert code == 0 and report["status"] == "ingested"
    with core.sessions() as session:
        assert session.get(Document, report["document_id"]).text == whole.text
    os.environ["KHLANG_TEXT_PIECE_CHARS"] = "120"
    try:
        assert extract_plain(path).text == whole.text
        assert encode_units(normalize(whole.text)) == encoded
        assert short_grams(encoded) == grams
    finally:
        del os.environ["KHLANG_TEXT_PIECE_CHARS"]
    for name in PROVINCES:
        for query in (name, f"จังหวัด{name}", f'"ตรวจราชการจังหวัด{name}"'):
            hits = core.search_backend.search(query).as_dict()["hits"]
            assert [h["document_id"] for h in hits] == [report["document_id"]], query


def test_text_pieces_join_back_and_end_at_line_breaks_or_spaces():
    from schemas.pieces import text_pieces

    text = "ก" * 50 + "\n" + "ข" * 30 + " " + "ค" * 200 + "\nง"
    pieces = list(text_pieces(text, 60))
    assert "".join(pieces) == text
    assert pieces[0] == "ก" * 50 + "\n"
    assert pieces[1] == "ข" * 30 + " "
    assert pieces[2] == "ค" * 60  # a line with no break for a whole piece is cut at the size
    assert list(text_pieces("", 10)) == [""]


def test_a_large_scan_is_shrunk_for_ocr_and_its_thai_is_read(core, tmp_path):
    """Over 4,000 pixels wide: resized straight from the decoded image for OCR."""
    from PIL import Image, ImageDraw, ImageFont

    scan = Image.new("RGB", (6000, 1200), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/tlwg/Garuda.ttf", 220)
    ImageDraw.Draw(scan).text((200, 400), "จังหวัดลำปาง", font=font, fill="black")
    scan.save(tmp_path / "ป้ายศาลากลาง.png")
    code, results = ingest_json(core, tmp_path / "ป้ายศาลากลาง.png")
    sign = results["ป้ายศาลากลาง.png"]
    assert code == 0 and sign["status"] == "ingested", sign
    assert [h["document_id"] for h in core.search_backend.search("ลำปาง").as_dict()["hits"]] == [
        sign["document_id"]
    ]
