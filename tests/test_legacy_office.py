"""Legacy Office (.doc, .xls, .ppt) through LibreOffice, and RTF, as Thai Windows offices
write them. The legacy files are made here: python-docx, openpyxl and python-pptx write
the modern format, and LibreOffice itself saves it in the old one (once per module: it is
slow)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document as WordDocument
from openpyxl import Workbook
from pptx import Presentation
from sqlalchemy import select

from indexer.ingest.jobs import run_ingest_job
from schemas.models import Document, Event

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")

LETTER = "หนังสือราชการ สำนักงานจังหวัดเชียงใหม่ ขอส่งรายงานผลการดำเนินงาน"
SHEET = "งบประมาณโครงการ อำเภอแม่ริม"
SLIDE = "สรุปผลการดำเนินงานกลุ่มจังหวัดภาคเหนือตอนบน ๑"


def soffice_convert(source: Path, target: str, outdir: Path) -> Path:
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(outdir / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = outdir / f"{source.stem}.{target}"
    assert converted.is_file(), f"LibreOffice did not write {converted}"
    return converted


@pytest.fixture(scope="module")
def legacy_files(tmp_path_factory) -> dict[str, Path]:
    """หนังสือ.doc, งบประมาณ.xls, สรุป.ppt and หนังสือ.rtf, saved by LibreOffice."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) not installed")
    folder = tmp_path_factory.mktemp("modern")
    out = tmp_path_factory.mktemp("legacy")
    word = WordDocument()
    word.add_heading("บันทึกข้อความ", level=1)
    word.add_paragraph(LETTER)
    word.save(folder / "หนังสือ.docx")
    book = Workbook()
    book.active.title = "สรุป"
    book.active.append(["รายการ", "จำนวนเงิน"])
    book.active.append([SHEET, 125000])
    book.save(folder / "งบประมาณ.xlsx")
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = SLIDE
    slide.placeholders[1].text = "จังหวัดลำพูน ลำปาง"
    deck.save(folder / "สรุป.pptx")
    return {
        "doc": soffice_convert(folder / "หนังสือ.docx", "doc", out),
        "xls": soffice_convert(folder / "งบประมาณ.xlsx", "xls", out),
        "ppt": soffice_convert(folder / "สรุป.pptx", "ppt", out),
        "rtf": soffice_convert(folder / "หนังสือ.docx", "rtf", out),
    }


@needs_soffice
def test_legacy_office_files_are_read_through_libreoffice(core, legacy_files):
    paths = [str(legacy_files[kind]) for kind in ("doc", "xls", "ppt")]
    results = run_ingest_job(core, paths, agent="dsss")
    assert [r.status for r in results] == ["ingested"] * 3, [r.as_dict() for r in results]
    expected = {"หนังสือ.doc": LETTER, "งบประมาณ.xls": SHEET, "สรุป.ppt": SLIDE}
    with core.sessions() as session:
        for result in results:
            document = session.get(Document, result.document_id)
            assert expected[document.filename] in document.text, document.text
            events = {e.event_type: e for e in document.events}
            assert events["extracted"].detail["method"] == "legacy-office"
            assert events["extracted"].tool.startswith("LibreOffice")
            assert "format-warning" not in events
        categories = {d.filename: d.category for d in session.scalars(select(Document))}
    assert categories == {
        "หนังสือ.doc": "text",
        "งบประมาณ.xls": "spreadsheet",
        "สรุป.ppt": "presentation",
    }
    assert core.search_backend.search("แม่ริม").as_dict()["total"] == 1


@needs_soffice
def test_a_legacy_file_libreoffice_cannot_convert_is_kept_without_text(core, tmp_path):
    """An OLE2 compound file (what every .doc is) whose content LibreOffice cannot read:
    the bytes are kept and findable by name, with the reason."""
    broken = tmp_path / "หนังสือเก่า.doc"
    broken.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504)
    [result] = run_ingest_job(core, [str(broken)], agent="dsss")
    assert result.status == "stored-without-text", result.as_dict()
    assert "LibreOffice" in result.error
    assert core.store.exists(result.sha256)


def test_rtf_from_thai_windows_gives_its_text_without_a_format_warning(core, tmp_path):
    """Word on Thai Windows: code page 874 bytes as \\'hh, and \\uN escapes."""
    in_cp874 = "".join(f"\\'{b:02x}" for b in "รายงานสรุปผลโครงการ".encode("cp874"))
    escaped = "".join(f"\\u{ord(c)}?" for c in "จังหวัดเชียงใหม่")
    rtf = (
        r"{\rtf1\ansi\ansicpg874\deff0{\fonttbl{\f0\fnil\fcharset222 Angsana New;}}"
        r"\viewkind4\uc1\pard\f0\fs32 " + in_cp874 + r"\par " + escaped + r"\par}"
    )
    path = tmp_path / "รายงาน.rtf"
    path.write_text(rtf, encoding="ascii")
    [result] = run_ingest_job(core, [str(path)], agent="dsss")
    assert result.status == "ingested" and not result.warnings, result.as_dict()
    with core.sessions() as session:
        document = session.get(Document, result.document_id)
        assert document.text == "รายงานสรุปผลโครงการ\nจังหวัดเชียงใหม่"
        assert document.category == "text"
        kinds = set(session.scalars(select(Event.event_type).where(Event.document_id == 1)))
    assert "format-warning" not in kinds


@needs_soffice
def test_rtf_written_by_libreoffice(core, legacy_files):
    [result] = run_ingest_job(core, [str(legacy_files["rtf"])], agent="dsss")
    assert result.status == "ingested" and not result.warnings, result.as_dict()
    with core.sessions() as session:
        text = session.get(Document, result.document_id).text
    assert LETTER in text and "{" not in text and "\\" not in text


@needs_soffice
def test_a_compound_file_is_converted_by_the_name_it_arrived_with(legacy_files, tmp_path):
    """Excel 97-2003 files from some Thai offices are named by libmagic only as a compound
    file ('application/CDFV2'): the arriving name's suffix chooses the conversion, never the
    stored copy's path, which has none (it was converted as a Word file, and gave nothing).
    LibreOffice's own .xls are named precisely, so this is shown on the extractor."""
    from indexer.extract import extract

    stored = tmp_path / "objects" / "ab12cd34"
    stored.parent.mkdir()
    shutil.copyfile(legacy_files["xls"], stored)
    result = extract(stored, "application/CDFV2", filename="งบประมาณ.xls")
    assert SHEET in result.text, result.text
    assert result.fallbacks == ["converted:xlsx"]
