"""Every kind through every door (issue 14): each kind of file staff hand over, made here by
the library that writes it, with a Thai name and Thai words of its own, is ingested through
`khlang ingest` and through `POST /api/uploads`; then each file is found by its own words
(`khlang search --json`, `GET /api/search`) and its provenance is complete.

The files are made once for the module (LibreOffice and OCR are slow); each door gets its
own fresh archive."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import py7zr
import pytest
from docx import Document as WordDocument
from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image
from pptx import Presentation

from tests.conftest import CHROMIUM, make_core
from tests.test_browser import drop_files, live, log_in  # noqa: F401 (fixtures)
from tests.test_ingest_formats import THAI_FONT, events_of, make_video, thai_image
from tests.test_legacy_office import SOFFICE, soffice_convert
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(
    SOFFICE is None or shutil.which("tesseract") is None,
    reason="needs LibreOffice (soffice) and tesseract",
)

PROVENANCE = {"received", "identified", "stored", "extracted", "classified", "indexed"}


@dataclass(frozen=True)
class Kind:
    """One file as the archive names it (a bundle member by its path in the bundle), the
    Thai words only it holds, and the outcome expected of it."""

    name: str
    words: str
    status: str = "ingested"
    bundle: str | None = None  # the bundle's name, for a member


KINDS = [
    Kind("หนังสือราชการ.pdf", "ข้าวแต๋นน้ำแตงโม"),
    Kind("หนังสือสแกน.pdf", "นครสวรรค์"),
    Kind("บันทึกข้อความ.docx", "มะม่วงน้ำดอกไม้"),
    Kind("รายชื่อผู้เข้าร่วม.xlsx", "กาแฟอาราบิก้า"),
    Kind("นำเสนอผลงาน.pptx", "ผ้าทอมือลายน้ำไหล"),
    Kind("รายงานการประชุม.odt", "ข้าวหอมมะลิแดง"),
    Kind("งบประมาณกิจกรรม.ods", "ลำไยอบแห้ง"),
    Kind("สไลด์สรุป.odp", "เครื่องจักสานไม้ไผ่"),
    Kind("หนังสือเวียน.rtf", "สับปะรดภูแล"),
    Kind("บันทึกย่อ.txt", "ชาอู่หลงดอยแม่สลอง"),
    Kind("บันทึกเก่า.txt", "ลิ้นจี่ค่อม"),
    Kind("ตารางผู้รับผิดชอบ.csv", "สตรอว์เบอร์รีดอยอ่างขาง"),
    Kind("ข่าวประชาสัมพันธ์.html", "ไข่เค็มไชยา"),
    Kind("หนังสือเก่า.doc", "หอยนางรมสุราษฎร์"),
    Kind("งบประมาณเก่า.xls", "ปลานิลจิตรลดา"),
    Kind("นำเสนอเก่า.ppt", "กล้วยไข่กำแพงเพชร"),
    Kind("ภาพถ่ายป้าย.jpg", "ขอนแก่น"),
    Kind("ภาพหน้าจอ.png", "พะเยา"),
    Kind("เอกสารสแกน.tiff", "ราชบุรี"),
    Kind("เสียงสัมภาษณ์.mp3", "เพลงกล่อมเด็กเมืองเหนือ", "stored-without-text"),
    Kind("วีดิทัศน์กิจกรรม.mp4", "ตลาดน้ำอัมพวา", "stored-without-text"),
    Kind("ผลงานรวม.zip", "ผลงานรวม"),
    Kind("ภาคผนวก/บันทึกแนบ.docx", "ส้มโอขาวใหญ่", bundle="ผลงานรวม.zip"),
    Kind("ภาคผนวก/ตารางแนบ.xlsx", "ปลาร้าบองแจ่วบอง", bundle="ผลงานรวม.zip"),
    Kind("ภาพ/ป้ายโครงการ.png", "อุบลราชธานี", bundle="ผลงานรวม.zip"),
    Kind("ส่งมอบงาน.7z", "ส่งมอบงาน"),
    Kind("สรุปผล.odt", "ทุเรียนภูเขาไฟ", bundle="ส่งมอบงาน.7z"),
    Kind("ข้อความ.txt", "เงาะโรงเรียนนาสาร", bundle="ส่งมอบงาน.7z"),
    Kind("นำเสนอ.pptx", "มังคุดคัดเกรด", bundle="ส่งมอบงาน.7z"),
]
WORDS = {kind.name: kind.words for kind in KINDS}


# --- making the files, each by the library that writes its kind ---------------------------


def text_pdf(path: Path, words: str) -> None:
    pdf = FPDF()
    pdf.add_font("Garuda", fname=THAI_FONT)
    pdf.set_font("Garuda", size=16)
    pdf.add_page()
    pdf.multi_cell(0, 10, f"หนังสือราชการ เรื่อง {words}\nจังหวัดเชียงใหม่")
    pdf.output(str(path))


def scanned_pdf(path: Path, words: str, scratch: Path) -> None:
    """A page that is only a picture of Thai text (what a scanner writes): OCR reads it."""
    Image.open(thai_image(scratch / "scan.png", words)).save(path, "PDF", resolution=150)


def docx_file(path: Path, words: str) -> None:
    document = WordDocument()
    document.add_heading("บันทึกข้อความ", level=1)
    document.add_paragraph(f"ส่วนราชการ สำนักงานจังหวัด เรื่อง {words}")
    document.save(path)


def xlsx_file(path: Path, words: str) -> None:
    book = Workbook()
    book.active.title = "ผู้เข้าร่วม"
    book.active.append(["ลำดับ", "ชื่อ", "หัวข้อ"])
    book.active.append([1, "นางสาวสมใจ ใจดี", words])
    book.save(path)


def pptx_file(path: Path, words: str) -> None:
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "ผลการดำเนินงาน"
    slide.placeholders[1].text = words
    deck.save(path)


def odt_file(path: Path, words: str) -> None:
    from odf import text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.text.addElement(text.H(outlinelevel=1, text="รายงานการประชุม"))
    document.text.addElement(text.P(text=f"วาระที่ ๑ {words}"))
    document.save(str(path))


def ods_file(path: Path, words: str) -> None:
    from odf import table, text
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    sheet = table.Table(name="งบประมาณ")
    for cells in (["รายการ", "บาท"], [words, "๑๒,๐๐๐"]):
        row = table.TableRow()
        for value in cells:
            cell = table.TableCell(valuetype="string")
            cell.addElement(text.P(text=value))
            row.addElement(cell)
        sheet.addElement(row)
    document.spreadsheet.addElement(sheet)
    document.save(str(path))


def odp_file(path: Path, words: str) -> None:
    from odf import draw, style, text
    from odf.opendocument import OpenDocumentPresentation

    document = OpenDocumentPresentation()
    layout = style.PageLayout(name="หน้า")
    document.automaticstyles.addElement(layout)
    master = style.MasterPage(name="ต้นแบบ", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    page = draw.Page(masterpagename=master, name="สไลด์ ๑")
    document.presentation.addElement(page)
    frame = draw.Frame(width="20cm", height="4cm", x="1cm", y="1cm")
    box = draw.TextBox()
    box.addElement(text.P(text=f"สรุป {words}"))
    frame.addElement(box)
    page.addElement(frame)
    document.save(str(path))


def media_file(path: Path, words: str, *args: str) -> None:
    """ffmpeg's test picture (and a tone), titled in Thai as a recorder or editor tags it."""
    make_video(path, *("-f", "lavfi", "-i", "sine=frequency=440:duration=2"), *args)
    assert path.stat().st_size > 0


def make_office_files(folder: Path, scratch: Path) -> None:
    """DOC/XLS/PPT and RTF are saved by LibreOffice from the modern files (one profile)."""
    for source, words, target, name in (
        ("หนังสือเก่า.docx", WORDS["หนังสือเก่า.doc"], "doc", "หนังสือเก่า.doc"),
        ("งบประมาณเก่า.xlsx", WORDS["งบประมาณเก่า.xls"], "xls", "งบประมาณเก่า.xls"),
        ("นำเสนอเก่า.pptx", WORDS["นำเสนอเก่า.ppt"], "ppt", "นำเสนอเก่า.ppt"),
        ("หนังสือเวียน.docx", WORDS["หนังสือเวียน.rtf"], "rtf", "หนังสือเวียน.rtf"),
    ):
        maker = {".docx": docx_file, ".xlsx": xlsx_file, ".pptx": pptx_file}[Path(source).suffix]
        maker(scratch / source, words)
        shutil.move(soffice_convert(scratch / source, target, scratch), folder / name)


@pytest.fixture(scope="module")
def kind_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("ส่งงาน")
    scratch = tmp_path_factory.mktemp("scratch")
    text_pdf(folder / "หนังสือราชการ.pdf", WORDS["หนังสือราชการ.pdf"])
    scanned_pdf(folder / "หนังสือสแกน.pdf", WORDS["หนังสือสแกน.pdf"], scratch)
    docx_file(folder / "บันทึกข้อความ.docx", WORDS["บันทึกข้อความ.docx"])
    xlsx_file(folder / "รายชื่อผู้เข้าร่วม.xlsx", WORDS["รายชื่อผู้เข้าร่วม.xlsx"])
    pptx_file(folder / "นำเสนอผลงาน.pptx", WORDS["นำเสนอผลงาน.pptx"])
    odt_file(folder / "รายงานการประชุม.odt", WORDS["รายงานการประชุม.odt"])
    ods_file(folder / "งบประมาณกิจกรรม.ods", WORDS["งบประมาณกิจกรรม.ods"])
    odp_file(folder / "สไลด์สรุป.odp", WORDS["สไลด์สรุป.odp"])
    (folder / "บันทึกย่อ.txt").write_text(f"บันทึกการเดินทาง\n{WORDS['บันทึกย่อ.txt']}\n", encoding="utf-8")
    # Thai Windows' own code page, as Notepad on a Thai machine saved text for years.
    (folder / "บันทึกเก่า.txt").write_bytes(
        f"บันทึกเรื่องผลไม้ประจำจังหวัด {WORDS['บันทึกเก่า.txt']} ของดีอำเภอ\r\n".encode("cp874")
    )
    (folder / "ตารางผู้รับผิดชอบ.csv").write_text(
        f"ลำดับ,ผู้รับผิดชอบ,ผลผลิต\n1,นายสมชาย,{WORDS['ตารางผู้รับผิดชอบ.csv']}\n",
        encoding="utf-8",
    )
    (folder / "ข่าวประชาสัมพันธ์.html").write_text(
        '<!DOCTYPE html><html lang="th"><head><meta charset="utf-8"><title>ข่าว</title></head>'
        f"<body><h1>ข่าวประชาสัมพันธ์</h1><p>{WORDS['ข่าวประชาสัมพันธ์.html']}</p></body></html>",
        encoding="utf-8",
    )
    make_office_files(folder, scratch)
    for name, fmt in (("ภาพถ่ายป้าย.jpg", "JPEG"), ("ภาพหน้าจอ.png", "PNG")):
        Image.open(thai_image(scratch / "picture.png", WORDS[name])).convert("RGB").save(
            folder / name, fmt
        )
    Image.open(thai_image(scratch / "scan.png", WORDS["เอกสารสแกน.tiff"])).convert("L").save(
        folder / "เอกสารสแกน.tiff", "TIFF", compression="tiff_lzw"
    )
    media_file(
        folder / "เสียงสัมภาษณ์.mp3",
        WORDS["เสียงสัมภาษณ์.mp3"],
        *("-map", "1:a", "-c:a", "libmp3lame", "-metadata"),
        f"title={WORDS['เสียงสัมภาษณ์.mp3']}",
    )
    media_file(
        folder / "วีดิทัศน์กิจกรรม.mp4",
        WORDS["วีดิทัศน์กิจกรรม.mp4"],
        *("-c:v", "mpeg4", "-c:a", "aac", "-shortest", "-metadata"),
        f"title={WORDS['วีดิทัศน์กิจกรรม.mp4']}",
    )
    make_bundles(folder, scratch)
    return sorted(folder.iterdir())


def make_bundles(folder: Path, scratch: Path) -> None:
    members = scratch / "members"
    members.mkdir()
    makers = {".docx": docx_file, ".xlsx": xlsx_file, ".pptx": pptx_file, ".odt": odt_file}
    for kind in KINDS:
        if kind.bundle is None:
            continue
        path = members / kind.bundle / kind.name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".png":
            thai_image(path, kind.words)
        elif path.suffix == ".txt":
            path.write_text(f"ข้อความแนบ {kind.words}\n", encoding="utf-8")
        else:
            makers[path.suffix](path, kind.words)
    with zipfile.ZipFile(folder / "ผลงานรวม.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((members / "ผลงานรวม.zip").rglob("*.*")):
            archive.write(path, path.relative_to(members / "ผลงานรวม.zip").as_posix())
    with py7zr.SevenZipFile(folder / "ส่งมอบงาน.7z", "w") as archive:
        for path in sorted((members / "ส่งมอบงาน.7z").iterdir()):
            archive.write(path, path.name)


# --- what every door must give ---------------------------------------------------------


def check_archive(core, outcome: dict[str, dict], search) -> None:
    """``outcome``: each file's name in the archive -> its result (status, document_id).
    ``search(words)`` -> the ids of the documents found. Every kind is named, so a failure
    lists every kind that failed, not only the first."""
    assert set(outcome) == set(WORDS), set(WORDS) ^ set(outcome)
    wrong = {
        kind.name: outcome[kind.name]
        for kind in KINDS
        if outcome[kind.name]["status"] != kind.status
    }
    assert not wrong, wrong
    bundles = {kind.name: outcome[kind.name]["document_id"] for kind in KINDS if not kind.bundle}
    not_found, incomplete = {}, {}
    for kind in KINDS:
        document_id = outcome[kind.name]["document_id"]
        found = search(kind.words)
        if document_id not in found:
            not_found[kind.name] = (kind.words, found)
        events = events_of(core, document_id)
        missing = PROVENANCE - set(events)
        if kind.bundle:
            unpacked = events.get("unpacked-from")
            if unpacked is None or unpacked.detail["path_in_bundle"] != kind.name:
                missing.add("unpacked-from")
            elif unpacked.detail["bundle_document_id"] != bundles[kind.bundle]:
                missing.add("unpacked-from the right bundle")
        if missing:
            incomplete[kind.name] = sorted(missing)
    assert not not_found, f"not found by their own words: {not_found}"
    assert not incomplete, f"provenance incomplete: {incomplete}"


def test_every_kind_through_khlang_ingest(cli, core, kind_files):
    answer = cli("ingest", *map(str, kind_files), "--json")
    # 1: not every file gave text (the recordings are kept with their metadata only)
    assert answer.exit_code == 1, answer.output
    entries = json.loads(answer.stdout)
    outcome = {entry["filename"]: entry for entry in entries}
    check_archive(core, outcome, lambda words: search_cli(cli, words))


def search_cli(cli, words: str) -> set[int]:
    return {hit["document_id"] for hit in cli.json("search", words, "--limit", "50")["hits"]}


def test_every_kind_through_the_upload_api(client, core, kind_files):
    files = [(io.BytesIO(path.read_bytes()), path.name) for path in kind_files]
    response = client.post(
        "/api/uploads", data={"files": files}, content_type="multipart/form-data"
    )
    assert response.status_code == 202, response.text
    job_id = response.get_json()["job_id"]

    def finished():
        job = client.get(f"/api/jobs/{job_id}").get_json()
        return job if job["status"] != "running" else None

    job = wait_until(finished, f"upload job {job_id} to finish", every=0.2)
    assert job["status"] == "finished", job
    outcome = {entry["path"]: entry for entry in job["files"]}

    def search_api(words: str) -> set[int]:
        found = client.get("/api/search", query_string={"q": words, "limit": 50}).get_json()
        return {hit["document_id"] for hit in found["hits"]}

    check_archive(core, outcome, search_api)


@pytest.mark.skipif(not os.environ.get("KHLANG_TEST_DATABASE_URL"), reason="no PostgreSQL")
def test_every_kind_through_khlang_ingest_on_postgresql(tmp_path, kind_files):
    """The CLI door again, with the archive's database on PostgreSQL."""
    from click.testing import CliRunner

    from service.cli import main

    pg_core = make_core(tmp_path / "data", "postgresql")
    try:
        runner = CliRunner()
        env = {"KHLANG_DATABASE_URL": pg_core.settings.database_url}
        base = ["--data-dir", str(pg_core.settings.data_dir)]
        answer = runner.invoke(main, [*base, "ingest", *map(str, kind_files), "--json"], env=env)
        assert answer.exit_code == 1, answer.output
        outcome = {entry["filename"]: entry for entry in json.loads(answer.stdout)}

        def search(words: str) -> set[int]:
            found = runner.invoke(
                main, [*base, "search", words, "--limit", "50", "--json"], env=env
            )
            return {hit["document_id"] for hit in json.loads(found.stdout)["hits"]}

        check_archive(pg_core, outcome, search)
    finally:
        pg_core.dispose()


# A subset through the upload page, as an officer drops them on it in Chromium.
THROUGH_THE_PAGE = [
    "รายชื่อผู้เข้าร่วม.xlsx",
    "บันทึกเก่า.txt",
    "ภาพถ่ายป้าย.jpg",
    "หนังสือเก่า.doc",
    "ส่งมอบงาน.7z",
]


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")
def test_a_subset_through_the_upload_page_in_chromium(live, browser, kind_files):  # noqa: F811
    chosen = [path for path in kind_files if path.name in THROUGH_THE_PAGE]
    members = [kind for kind in KINDS if kind.bundle in THROUGH_THE_PAGE]
    page = browser.new_context(locale="th-TH").new_page()
    try:
        log_in(page, live["base"], "dsss_cm")
        page.goto(f"{live['base']}/upload")
        page.wait_for_selector("#drop")
        drop_files(page, "#drop", chosen)
        page.click("#send")
        page.wait_for_selector("#progress[data-status]", timeout=120_000)
        assert page.get_attribute("#progress", "data-status") == "finished"
        ingested = page.locator("#results tr.st-ingested")
        assert ingested.count() == len(chosen) + len(members), page.inner_text("#results")
        assert page.locator("#results tr.st-rejected").count() == 0
        for kind in KINDS:
            if kind.name in THROUGH_THE_PAGE or kind.bundle in THROUGH_THE_PAGE:
                page.goto(f"{live['base']}/?q={kind.words}")
                page.wait_for_selector(".results-head")
                hits = page.inner_text("main")
                assert PurePosixPath(kind.name).name in hits, (kind.name, hits[:500])
    finally:
        page.context.close()
