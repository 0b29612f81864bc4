"""Issue 18: scanned Thai letters read by OCR, through `khlang ingest` and the pages.

The scans are made here from text (bench/scan_corpus.py: a Thai font, pdftoppm, skew, dust,
blur, grey JPEG, an image-only PDF with a Thai name), never stored as images. OCR costs
5-25 s a page on this machine, so each test reads one page."""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import func, select

from bench.scan_corpus import degrade, letter_texts, rasterise, render_pdf, score, turn, wrap_pdf
from indexer.extract import ocr
from indexer.preserve.fixity import verify
from schemas.models import Document
from service.auth import add_user
from service.cli import main as cli_main
from tests.conftest import DATABASES, app_for, make_core

PASSWORD = "รหัสผ่าน-สแกน-1"

pytestmark = pytest.mark.skipif(
    not shutil.which("tesseract") or not shutil.which("pdftoppm"),
    reason="needs tesseract-ocr-tha and poppler-utils",
)


def scanned_letter(folder: Path, name: str, specks: int = 0) -> tuple[Path, str]:
    """A one-page letter (Arabic digits) in Kinnari, scanned at 300 dpi; ``specks`` more
    dust than a scanner leaves makes a page OCR cannot read well. Returns (pdf, text)."""
    text = letter_texts(2)[1]
    render_pdf(text, "Kinnari", folder / "printed.pdf")
    raster = rasterise(folder / "printed.pdf", 300, folder / "raster")
    scan = degrade(raster, random.Random(3), folder / "scan.jpg")
    if specks:
        rng = random.Random(1)
        with Image.open(scan) as page:
            page = page.convert("L")
            draw = ImageDraw.Draw(page)
            for _ in range(specks):
                x, y = rng.randrange(page.width), rng.randrange(page.height)
                draw.ellipse((x, y, x + 3, y + 3), fill=0)
            page.save(scan, "JPEG", quality=40)
    return wrap_pdf(scan, 300, folder / name), text


def ingest(core, path: Path) -> dict:
    result = CliRunner().invoke(
        cli_main,
        ["--data-dir", str(core.settings.data_dir), "ingest", str(path), "--json"],
        env={"KHLANG_DATABASE_URL": core.settings.database_url},
    )
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["status"] == "ingested", entry
    return entry


def signed_in(core):
    add_user(core, "admin", "admin", PASSWORD)
    app = app_for(core)
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post(
        "/login", data={"name": "admin", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    assert response.status_code == 302, response.text
    return client


@pytest.fixture(scope="module", params=DATABASES)
def scanned(request, tmp_path_factory):
    """One readable letter, scanned and read by OCR once per database: the two tests below
    only look at what its ingestion left (the page, the API, the searchable copy), and OCR
    is the slow part."""
    folder = tmp_path_factory.mktemp("scan")
    core = make_core(folder / "data", request.param)
    try:
        pdf, truth = scanned_letter(folder, "หนังสือสแกน-ชม.pdf")
        entry = ingest(core, pdf)
        yield SimpleNamespace(
            core=core, pdf=pdf, truth=truth, document_id=entry["document_id"],
            client=signed_in(core),
        )  # fmt: skip
    finally:
        core.dispose()


def test_scanned_letter_reads_right_on_its_page(scanned):
    """The floor of bench/bench_ocr.py on one page, through the CLI, on SQLite and PostgreSQL:
    the letter's number, date and most of its Thai words come back, the page's confidence is
    recorded, and a readable page carries no review warning."""
    client, truth = scanned.client, scanned.truth
    page = client.get(f"/documents/{scanned.document_id}").text
    number, date, subject = truth.splitlines()[:3]
    assert number.removeprefix("ที่ ") in page  # "ชม 0220.1/2916"
    assert date in page  # "8 มีนาคม 2568"
    words, total = score(truth, page)["words"]
    assert words / total >= 0.85, (words, total)
    assert subject.split()[-1] in page  # the fiscal year of the subject line
    shown = client.get(f"/api/documents/{scanned.document_id}").get_json()
    confidence = shown["metadata"]["technical"][ocr.CONFIDENCE_KEY]["1"]
    assert confidence >= ocr.LOW_CONFIDENCE
    assert "ตรวจทาน" not in page


def test_scan_gets_a_searchable_copy_beside_the_unchanged_original(scanned):
    """The copy offered on the document page has the letter's text selectable in a PDF
    viewer; the original downloads byte for byte as it came; the copy is a `derived` event,
    not a document of its own."""
    core, client, pdf, truth = scanned.core, scanned.client, scanned.pdf, scanned.truth
    document_id = scanned.document_id
    page = client.get(f"/documents/{document_id}").text
    link = f"/api/documents/{document_id}/searchable.pdf"
    assert link in page and "ดาวน์โหลด PDF ที่ค้นหาข้อความได้" in page
    copy = client.get(link)
    assert copy.status_code == 200 and copy.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in copy.headers["Content-Disposition"]
    [copy_page] = PdfReader(io.BytesIO(copy.data)).pages
    layer = copy_page.extract_text()
    number = truth.splitlines()[0].split()[-1]  # "0220.1/2916"
    assert number in layer
    words, total = score(truth, layer)["words"]
    assert words / total >= 0.85, (words, total)
    original = client.get(f"/api/documents/{document_id}/file")
    assert original.data == pdf.read_bytes()
    assert PdfReader(io.BytesIO(original.data)).pages[0].extract_text().strip() == ""
    shown = client.get(f"/api/documents/{document_id}").get_json()
    [derived] = [e for e in shown["provenance"] if e["event"] == "derived"]
    assert derived["outcome"] == "success"
    assert derived["detail"]["tool"].startswith("tesseract ")
    assert "pypdf" in derived["detail"]["tool"]
    assert derived["detail"]["sha256"] == hashlib.sha256(copy.data).hexdigest()
    with core.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
    # the copy is kept out of the preserved objects: `khlang verify` finds no orphan
    assert verify(core, agent="test")["orphans"] == []


def test_poorly_read_page_warns_on_its_page_and_in_search(core, tmp_path):
    """A page OCR reads badly (heavy dust) is flagged for review where staff meet its text."""
    pdf, _truth = scanned_letter(tmp_path, "หนังสือสแกน-เลอะ.pdf", specks=40000)
    entry = ingest(core, pdf)
    client = signed_in(core)
    page = client.get(f"/documents/{entry['document_id']}").text
    assert "ตรวจทาน: ข้อความจากการสแกนอาจไม่ถูกต้อง" in page
    assert re.search(r"ตรวจทาน: ข้อความจากการสแกนอาจไม่ถูกต้อง \(หน้า 1\)", page)
    english = client.get(f"/documents/{entry['document_id']}?lang=en").text
    assert "Review: text read from a scan may be wrong" in english
    hits = client.get("/?q=" + "หนังสือสแกน&lang=th").text
    assert "ข้อความจากการสแกนอาจไม่ถูกต้อง (หน้า 1)" in hits


def test_every_page_of_a_multipage_tiff_scan_is_read(core, tmp_path):
    """Scanners write a several-page letter as one TIFF: each page's text and confidence are
    kept, not only the first page's."""
    texts = [letter_texts(4)[1], letter_texts(4)[3]]  # two letters in Arabic digits
    frames = []
    for n, text in enumerate(texts):
        render_pdf(text, "Garuda", tmp_path / f"printed-{n}.pdf")
        raster = rasterise(tmp_path / f"printed-{n}.pdf", 300, tmp_path / f"raster-{n}")
        with Image.open(degrade(raster, random.Random(n), tmp_path / f"scan-{n}.jpg")) as page:
            frames.append(page.convert("L"))
    tiff = tmp_path / "รายงานสแกน-สองหน้า.tif"
    frames[0].save(tiff, save_all=True, append_images=frames[1:], dpi=(300, 300))
    entry = ingest(core, tiff)
    shown = signed_in(core).get(f"/api/documents/{entry['document_id']}").get_json()
    confidences = shown["metadata"]["technical"][ocr.CONFIDENCE_KEY]
    assert sorted(confidences) == ["1", "2"]
    with core.sessions() as session:
        stored = session.get(Document, entry["document_id"]).text
    for text in texts:
        assert text.splitlines()[0].split()[-1] in stored  # each letter's number


@pytest.mark.skipif("osd" not in ocr.tesseract_languages(), reason="needs tesseract-ocr-osd")
def test_a_letter_scanned_upside_down_is_read(core, tmp_path):
    """A page put in the feeder upside down is turned upright before it is read, through
    `khlang ingest`: its number and most of its Thai words come back (read as it lies,
    tesseract finds almost none), and the document records the turn."""
    _pdf, truth = scanned_letter(tmp_path, "หนังสือสแกน.pdf")
    upside_down = turn(tmp_path / "scan.jpg", 180, tmp_path / "upside-down.jpg")
    turned_pdf = wrap_pdf(upside_down, 300, tmp_path / "หนังสือสแกน-กลับหัว.pdf")
    entry = ingest(core, turned_pdf)
    client = signed_in(core)
    shown = client.get(f"/api/documents/{entry['document_id']}").get_json()
    assert shown["metadata"]["technical"][ocr.ROTATION_KEY] == {"1": 180}
    with core.sessions() as session:
        text = session.get(Document, entry["document_id"]).text
    assert truth.splitlines()[0].split()[-1] in text  # "0220.1/2916"
    words, total = score(truth, text)["words"]
    assert words / total >= 0.85, (words, total)
    # its boxes would land upside down on the original page: no text layer is laid on it
    copy = client.get(f"/api/documents/{entry['document_id']}/searchable.pdf")
    if copy.status_code == 200:  # a copy of the page images alone, or none at all
        [copy_page] = PdfReader(io.BytesIO(copy.data)).pages
        assert copy_page.extract_text().strip() == ""
    else:
        assert copy.status_code == 404, copy.text


@pytest.mark.skipif("osd" not in ocr.tesseract_languages(), reason="needs tesseract-ocr-osd")
def test_a_page_orientation_cannot_tell_is_read_as_it_lies(tmp_path):
    """A page with too little text for orientation detection (here a few specks) is not
    turned on a guess."""
    page = Image.new("L", (1240, 1754), 255)
    ImageDraw.Draw(page).ellipse((600, 800, 606, 806), fill=0)
    page.save(tmp_path / "almost-blank.png", dpi=(150, 150))
    assert ocr.page_rotation(tmp_path / "almost-blank.png") == 0
