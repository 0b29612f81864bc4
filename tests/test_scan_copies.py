"""Issue 18: every scan, image or PDF, gets a searchable copy beside its unchanged original;
`khlang derive searchable` makes the copies again; the API says which pages OCR read badly.

The scans are drawn here with Pillow (a few Thai lines in Garuda, one page dusted so that
OCR reads it poorly), never stored: small pages, so OCR costs a second or two each."""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader
from sqlalchemy import func, select

from indexer.inventory.gaps import gap_report
from indexer.preserve import searchable
from indexer.preserve.fixity import verify
from schemas.models import Document, Event
from service.auth import create_token
from service.cli import main as cli_main
from tests.conftest import DATABASES, app_for, make_core
from tests.test_gaps import ROWS, code_of, import_rows
from tests.test_service_web import openapi_checker, wait_for_job

pytestmark = pytest.mark.skipif(not shutil.which("tesseract"), reason="needs tesseract-ocr-tha")

GARUDA = "/usr/share/fonts/truetype/tlwg/Garuda.ttf"
# What each scan says, a line at a time, and a word of it OCR reads back.
LETTER = ["หนังสือราชการ เรื่อง งบประมาณ", "จังหวัดลำปาง ปีงบประมาณ 2567"]  # งบประมาณ
MEMO = ["บันทึกข้อความ ส่วนราชการ", "สำนักงานจังหวัดน่าน"]  # บันทึกข้อความ
REGISTER = ["ทะเบียนครุภัณฑ์ สำนักงาน", "จังหวัดพะเยา"]  # พะเยา
MINUTES = ["รายงานการประชุม คณะกรรมการ", "อำเภอเมือง เชียงใหม่"]  # dusted: read poorly


def scan(lines: list[str], dust: int = 0) -> Image.Image:
    """A greyscale page of ``lines``; ``dust`` specks make OCR read it with low confidence
    (600 of them: about 70 of 100 here, under ocr.LOW_CONFIDENCE)."""
    font = ImageFont.truetype(GARUDA, 48)
    page = Image.new("L", (1400, 60 + 100 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(lines):
        draw.text((60, 40 + 100 * n), line, font=font, fill=0)
    rng = random.Random(1)
    for _ in range(dust):
        x, y = rng.randrange(page.width), rng.randrange(page.height)
        draw.ellipse((x, y, x + 4, y + 4), fill=0)
    return page


def ingest(core, *args: str) -> list[dict]:
    result = CliRunner().invoke(
        cli_main,
        ["--data-dir", str(core.settings.data_dir), "ingest", "--json", "--workers", "1", *args],
        env={"KHLANG_DATABASE_URL": core.settings.database_url},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def khlang(core, *args: str):
    return CliRunner().invoke(
        cli_main,
        ["--data-dir", str(core.settings.data_dir), *args],
        env={"KHLANG_DATABASE_URL": core.settings.database_url},
    )


def api_client(core):
    app = app_for(core)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {create_token(core, 'tests', 'admin')}"
    return app, client


def copy_pages(client, document_id: int) -> list[str]:
    """The text a PDF viewer finds on each page of the document's searchable copy."""
    copy = client.get(f"/api/documents/{document_id}/searchable.pdf")
    assert copy.status_code == 200 and copy.mimetype == "application/pdf", copy.text
    return [page.extract_text() for page in PdfReader(io.BytesIO(copy.data)).pages]


@pytest.fixture(scope="module", params=DATABASES)
def scans(request, tmp_path_factory):
    """A PNG, a JPEG and a two-page TIFF (its second page dusted), with Thai names, and a
    text file, through `khlang ingest`; the PNG is delivered for an inventory item."""
    folder = tmp_path_factory.mktemp("scans")
    core = make_core(folder / "data", request.param)
    try:
        import_rows(core, ROWS[:2], folder)
        photos = code_of(core, "ภาพถ่ายกิจกรรม")  # two are due
        files = {
            "png": folder / "หนังสือสแกน-งบประมาณ.png",
            "jpeg": folder / "บันทึกข้อความ-สแกน.jpg",
            "tiff": folder / "ทะเบียนสแกน-สองหน้า.tif",
            "text": folder / "บันทึกพิมพ์.txt",
        }
        scan(LETTER).save(files["png"])
        scan(MEMO).convert("RGB").save(files["jpeg"], quality=85)
        first, second = scan(REGISTER), scan(MINUTES, dust=600)
        first.save(files["tiff"], save_all=True, append_images=[second], dpi=(300, 300))
        files["text"].write_text("บันทึกพิมพ์ เรื่อง การประชุมประจำเดือน\n", encoding="utf-8")
        [png] = ingest(core, "--item", photos, str(files["png"]))
        rest = ingest(core, *(str(files[k]) for k in ("jpeg", "tiff", "text")))
        ids = {"png": png["document_id"]}
        ids.update(zip(("jpeg", "tiff", "text"), (r["document_id"] for r in rest), strict=True))
        app, client = api_client(core)
        yield SimpleNamespace(core=core, files=files, ids=ids, photos=photos, client=client)
        app.extensions["khlang"].dispose()
    finally:
        core.dispose()


def test_each_scanned_image_gets_a_searchable_copy_of_its_pages(scans):
    """PNG, JPEG and every frame of a TIFF: the copy is a PDF of the image's pages with the
    Thai text findable in it, the original downloads byte for byte, the copy is a `derived`
    event with its tools; a JPEG's page is the scanner's own JPEG bytes."""
    client, ids, files = scans.client, scans.ids, scans.files
    assert "งบประมาณ" in copy_pages(client, ids["png"])[0]
    assert "บันทึกข้อความ" in copy_pages(client, ids["jpeg"])[0]
    first, second = copy_pages(client, ids["tiff"])
    assert "พะเยา" in first and "พะเยา" not in second
    assert "อำเภอเมือง" in second  # repaired: the copy's text is the document's text
    for kind in ("png", "jpeg", "tiff"):
        original = client.get(f"/api/documents/{ids[kind]}/file")
        assert original.data == files[kind].read_bytes(), kind
        copy = client.get(f"/api/documents/{ids[kind]}/searchable.pdf").data
        shown = client.get(f"/api/documents/{ids[kind]}").get_json()
        [derived] = [e for e in shown["provenance"] if e["event"] == "derived"]
        assert derived["outcome"] == "success"
        assert derived["detail"]["sha256"] == hashlib.sha256(copy).hexdigest()
        assert (
            derived["detail"]["tool"].startswith("tesseract ")
            and "fpdf2" in derived["detail"]["tool"]
        )
    jpeg_copy = client.get(f"/api/documents/{ids['jpeg']}/searchable.pdf").data
    assert files["jpeg"].read_bytes() in jpeg_copy  # not re-encoded
    page = client.get(f"/documents/{ids['tiff']}").text
    assert "ดาวน์โหลด PDF ที่ค้นหาข้อความได้" in page
    # a typed text has no copy, and says so
    missing = client.get(f"/api/documents/{ids['text']}/searchable.pdf")
    assert (
        missing.status_code == 404 and missing.get_json()["error"]["code"] == "no_searchable_copy"
    )


def test_the_copy_is_neither_a_document_nor_a_deliverable(scans):
    """The copy is no row, no search entry and no delivery of its own: the scan delivered
    for an item of two counts once; the copies' folder holds no preserved object."""
    core, ids = scans.core, scans.ids
    with core.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == len(ids)
    assert core.search_backend.ids() == set(ids.values())
    found = core.search_backend.search("พะเยา", limit=10)
    assert [hit.document_id for hit in found.hits] == [ids["tiff"]]
    item = next(i for i in gap_report(core, 2562)["items"] if i["code"] == scans.photos)
    assert item["received"] == 1 and item["status"] != "received", item
    assert [d["document_id"] for d in item["documents"]] == [ids["png"]]
    report = verify(core, agent="test")
    assert report["ok"] and report["orphans"] == [] and report["checked"] == len(ids)


def test_pages_read_poorly_are_named_in_the_api_hits_and_document(scans):
    """ocr_review says which pages OCR read with low confidence, in GET /api/search's hits
    and GET /api/documents/{id}, as the OpenAPI document declares it; null elsewhere."""
    client, ids = scans.client, scans.ids
    check = openapi_checker(client.application)
    answer = client.get("/api/search", query_string={"q": "พะเยา"})
    check(answer, "/api/search")
    [hit] = answer.get_json()["hits"]
    assert hit["document_id"] == ids["tiff"] and hit["ocr_review"] == {"pages": [2]}
    answer = client.get("/api/search", query_string={"q": "งบประมาณ"})
    check(answer, "/api/search")
    assert [(h["document_id"], h["ocr_review"]) for h in answer.get_json()["hits"]] == [
        (ids["png"], None)
    ]
    for kind, review in (("tiff", {"pages": [2]}), ("png", None), ("text", None)):
        shown = client.get(f"/api/documents/{ids[kind]}")
        check(shown, "/api/documents/{document_id}")
        assert shown.get_json()["ocr_review"] == review, kind
    spec = check.spec["components"]["schemas"]
    assert "ocr_review" in spec["Hit"]["properties"]
    assert spec["OcrReview"]["required"] == ["pages"]
    page = client.get("/?q=พะเยา&lang=th").text
    assert "ข้อความจากการสแกนอาจไม่ถูกต้อง (หน้า 2)" in page


def test_lost_copies_are_named_by_verify_and_made_again(scans):
    """A lost copy fails no fixity check but `khlang verify` names it and, asked to, makes
    it again from the original; `khlang derive searchable --all --missing-only` does the
    same and skips the copies that are there; each rebuild is a new derived event."""
    core, ids, client = scans.core, scans.ids, scans.client
    lose_copy(core, ids["png"])
    lost = client.get(f"/api/documents/{ids['png']}/searchable.pdf")
    assert lost.status_code == 404
    problem = lost.get_json()["error"]
    assert problem["code"] == "searchable_copy_missing"
    assert f"khlang derive searchable {ids['png']}" in problem["message_en"]
    assert "ดาวน์โหลด PDF ที่ค้นหาข้อความได้" not in client.get(f"/documents/{ids['png']}").text
    result = khlang(core, "verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["copies_missing"] == [
        {"document_id": ids["png"], "filename": "หนังสือสแกน-งบประมาณ.png"}
    ]
    result = khlang(core, "verify", "--rebuild-copies")
    assert result.exit_code == 0, result.output
    assert f"สร้างใหม่แล้ว (rebuilt): เอกสาร #{ids['png']} หนังสือสแกน-งบประมาณ.png" in result.stdout
    assert "งบประมาณ" in copy_pages(client, ids["png"])[0]

    lose_copy(core, ids["jpeg"])
    result = khlang(core, "derive", "searchable", "--all", "--missing-only", "--json")
    assert result.exit_code == 0, result.output
    outcomes = {e["document_id"]: e["outcome"] for e in json.loads(result.stdout)}
    assert outcomes == {ids["png"]: "skipped", ids["jpeg"]: "rebuilt", ids["tiff"]: "skipped"}
    assert "บันทึกข้อความ" in copy_pages(client, ids["jpeg"])[0]
    with core.sessions() as session:
        derived = session.scalars(
            select(Event)
            .where(Event.document_id.in_([ids["png"], ids["jpeg"]]), Event.event_type == "derived")
            .order_by(Event.id)
        ).all()
    made = [(e.document_id, e.outcome, (e.detail or {}).get("rebuilt")) for e in derived]
    assert made[2:] == [(ids["png"], "success", True), (ids["jpeg"], "success", True)]
    assert khlang(core, "verify", "--json").stdout.count('"copies_missing": []') == 1


def test_derive_searchable_names_what_it_cannot_rebuild_and_goes_on(scans):
    """Documents named one by one: a missing original, a typed text and an unknown id are
    each named with the reason in Thai and English, and the PNG after them is rebuilt."""
    core, ids = scans.core, scans.ids
    assert khlang(core, "derive", "searchable").exit_code == 2  # neither ids nor --all
    original = core.store.path_for(core_sha256(core, ids["tiff"]))
    aside = original.with_name("aside")
    original.rename(aside)
    try:
        result = khlang(
            core, "derive", "searchable", str(ids["tiff"]), str(ids["text"]), "999999",
            str(ids["png"]),
        )  # fmt: skip
    finally:
        aside.rename(original)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"ไม่สำเร็จ (failed): เอกสาร #{ids['tiff']} ทะเบียนสแกน-สองหน้า.tif: "
        "ไฟล์ต้นฉบับหายจากคลัง (the original is missing)"
    )
    assert lines[1].startswith(
        f"ไม่สำเร็จ (failed): เอกสาร #{ids['text']} บันทึกพิมพ์.txt: ไม่ใช่เอกสารสแกน"
    )
    assert "(not a scan: its text was not read by OCR" in lines[1]
    assert (
        lines[2]
        == "ไม่สำเร็จ (failed): เอกสาร #999999: ไม่พบเอกสารหมายเลข 999999 (no document 999999)"
    )
    assert lines[3].startswith(f"สร้างใหม่แล้ว (rebuilt): เอกสาร #{ids['png']} หนังสือสแกน-งบประมาณ.png")
    assert "(4 documents: 1 rebuilt, 0 skipped, 3 failed)" in result.stderr


def lose_copy(core, document_id: int) -> None:
    with core.sessions() as session:
        sha256 = searchable.copy_of(session, document_id)
    searchable.derived_store(core).path_for(sha256).unlink()


def core_sha256(core, document_id: int) -> str:
    with core.sessions() as session:
        return session.get(Document, document_id).sha256


def test_an_uploaded_scan_gets_its_searchable_copy(core, client, tmp_path):
    """POST /api/uploads with a scanned JPEG named in Thai: its searchable copy downloads
    with the Thai text in it, beside the original, unchanged."""
    path = tmp_path / "หนังสือเวียน-สแกน.jpg"
    scan(MEMO).convert("RGB").save(path, quality=85)
    response = client.post(
        "/api/uploads",
        data={"files": [(io.BytesIO(path.read_bytes()), path.name)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.get_json()["job_id"]).get_json()
    [entry] = job["files"]
    assert entry["status"] == "ingested", entry
    document_id = entry["document_id"]
    assert "บันทึกข้อความ" in copy_pages(client, document_id)[0]
    assert client.get(f"/api/documents/{document_id}/file").data == path.read_bytes()
    shown = client.get(f"/api/documents/{document_id}").get_json()
    assert shown["filename"] == path.name and shown["ocr_review"] is None


def test_a_tiff_copy_keeps_to_the_frames_ocr_reads(tmp_path, monkeypatch):
    """A four-page TIFF whose second frame is over KHLANG_MAX_IMAGE_PIXELS, with OCR
    reading at most three frames: frames 1 and 3 are read, frame 2 is named as too large,
    and the copy has the three frames OCR looked at, frame 2 a blank page (nothing of it
    decoded), so each copy page is still its frame."""
    from indexer.extract import media

    monkeypatch.setattr(media, "OCR_MAX_FRAMES", 3)
    monkeypatch.setenv("KHLANG_MAX_IMAGE_PIXELS", "2000000")
    core = make_core(tmp_path / "data", "sqlite")
    flood = Image.new("L", (2000, 1500), 255)  # 3 million pixels
    path = tmp_path / "ทะเบียนสแกน-สี่หน้า.tif"
    scan(REGISTER).save(
        path, save_all=True, append_images=[flood, scan(LETTER), scan(MEMO)], dpi=(300, 300)
    )
    [entry] = ingest(core, str(path))
    assert entry["status"] == "ingested", entry
    assert any(
        "frames 2 are over the limit of 2,000,000 pixels" in w and "หน้า 2 ของภาพใหญ่เกิน" in w
        for w in entry["warnings"]
    ), entry["warnings"]
    assert "ocr-frames-limit:3" in entry["warnings"]
    app, client = api_client(core)
    try:
        copy = client.get(f"/api/documents/{entry['document_id']}/searchable.pdf")
        pages = PdfReader(io.BytesIO(copy.data)).pages
        assert len(pages) == 3
        assert "พะเยา" in pages[0].extract_text() and "งบประมาณ" in pages[2].extract_text()
        assert len(pages[1].images) == 0 and pages[1].extract_text().strip() == ""
    finally:
        app.extensions["khlang"].dispose()
        core.dispose()
