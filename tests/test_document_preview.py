"""Issue 21 (B): the preview of the original on the document page.

A PDF's pages rendered by pdftoppm, an office file through its LibreOffice PDF, an image
scaled (each frame of a multi-page TIFF a page), paged through on the document page; the
page images under the document's own path, for the page and the API, with the download's
access rules; every rendering a cached derived file and the original untouched.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from tests.test_service_web import build_site, login, openapi_checker, post, wait_for_job
from tests.test_service_web import wait_for_jobs as wait_for_all_jobs


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("preview") / "data")
    site.openapi = openapi_checker(site.app)
    yield site
    wait_for_all_jobs(site.core)
    site.app.extensions["khlang"].dispose()
    site.core.dispose()


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


def upload(site, files: list[tuple[bytes, str]]) -> dict[str, int]:
    """Upload through the upload form's API as the DSSS officer; name -> document id."""
    officer = login(site.app, "dsss_cm")
    response = post(
        officer,
        "/api/uploads",
        data={"files": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.text
    job = wait_for_job(officer, response.get_json()["job_id"]).get_json()
    assert all(f["document_id"] for f in job["files"]), job["files"]
    return {f["path"].rsplit("/", 1)[-1]: f["document_id"] for f in job["files"]}


def test_a_pdf_is_previewed_page_by_page_and_the_original_is_untouched(site):
    doc = site.ids["003"]  # five pages
    strategy = login(site.app, "strategy")
    original = strategy.get(f"/api/documents/{doc}/file").data

    info_response = strategy.get(f"/api/documents/{doc}/preview")
    site.openapi(info_response, "/api/documents/{document_id}/preview")
    info = info_response.get_json()
    assert info["kind"] == "pdf" and info["pages"] == 5
    assert info["page_urls"][1] == f"/api/documents/{doc}/preview/2.png"

    page = strategy.get(f"/documents/{doc}?page=2")
    assert f"/documents/{doc}/preview/2.png" in page.text
    assert "หน้า ๒ / ๕" in page.text and "?page=3#preview" in page.text
    image = strategy.get(f"/documents/{doc}/preview/2.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    width, height = png_size(image.data)
    assert width == 1200 or height == 1200  # scaled to the preview's size
    api_image = strategy.get(f"/api/documents/{doc}/preview/2.png")
    site.openapi(api_image, "/api/documents/{document_id}/preview/{page}.png")
    assert api_image.data == image.data  # the cached rendering, served to both doors

    sha256 = hashlib.sha256(original).hexdigest()
    cached = site.core.settings.data_dir / "derived" / "previews" / sha256 / "page-2.png"
    assert cached.is_file()  # a derived file, outside the preserved objects
    assert not list(site.core.settings.objects_dir.rglob("*.png"))
    assert strategy.get(f"/api/documents/{doc}/file").data == original

    missing = strategy.get(f"/api/documents/{doc}/preview/6.png")
    assert missing.status_code == 404 and missing.get_json()["error"]["message_en"]
    assert strategy.get(f"/documents/{doc}/preview/0.png").status_code == 404
    # a page number beyond the end on the document page shows the last page
    assert "หน้า ๕ / ๕" in strategy.get(f"/documents/{doc}?page=99").text


def test_visitors_preview_published_documents_only(site):
    internal, published = site.ids["003"], site.ids["000"]
    visitor = site.app.test_client()
    for path in (f"/api/documents/{internal}/preview", f"/api/documents/{internal}/preview/1.png"):
        assert visitor.get(path).status_code == 404
    assert visitor.get(f"/documents/{internal}/preview/1.png").status_code == 404
    assert visitor.get(f"/api/documents/{published}/preview").get_json()["pages"] == 1
    assert visitor.get(f"/documents/{published}/preview/1.png").status_code == 200
    assert f"/documents/{published}/preview/1.png" in visitor.get(f"/documents/{published}").text


def test_images_office_files_and_text_each_get_their_preview(site):
    photo = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 120, 40)).save(photo, "JPEG")
    scan = io.BytesIO()
    pages = [Image.new("L", (800, 1100), shade) for shade in (255, 128)]
    pages[0].save(scan, "TIFF", save_all=True, append_images=pages[1:])
    from docx import Document as Docx

    report = Docx()
    report.add_heading("รายงานสรุปผลการดำเนินงานโครงการกาแฟอราบิก้า", 1)
    report.add_paragraph("จังหวัดเชียงใหม่ ปีงบประมาณ ๒๕๖๒ " * 20)
    word = io.BytesIO()
    report.save(word)
    ids = upload(
        site,
        [
            (photo.getvalue(), "ภาพกิจกรรมอบรม.jpg"),
            (scan.getvalue(), "หนังสือสแกน.tiff"),
            (word.getvalue(), "รายงานสรุปผล.docx"),
            ("บันทึกข้อความ เรื่อง ติดตามผลการดำเนินงาน\n".encode() * 30, "บันทึก.txt"),
        ],
    )
    staff = login(site.app, "strategy")

    photo_info = staff.get(f"/api/documents/{ids['ภาพกิจกรรมอบรม.jpg']}/preview").get_json()
    assert photo_info["kind"] == "image" and photo_info["pages"] == 1
    assert png_size(staff.get(photo_info["page_urls"][0]).data) == (1200, 800)

    scan_id = ids["หนังสือสแกน.tiff"]
    scan_info = staff.get(f"/api/documents/{scan_id}/preview").get_json()
    assert scan_info["pages"] == 2  # every frame of the TIFF is a page
    second = Image.open(io.BytesIO(staff.get(scan_info["page_urls"][1]).data)).convert("L")
    assert second.getpixel((10, 10)) == 128  # the second frame, not the first again

    office = staff.get(f"/api/documents/{ids['รายงานสรุปผล.docx']}/preview").get_json()
    assert office["kind"] == "office" and office["pages"] >= 1, office
    assert staff.get(office["page_urls"][0]).mimetype == "image/png"

    text_info = staff.get(f"/api/documents/{ids['บันทึก.txt']}/preview").get_json()
    assert text_info == {
        "document_id": ids["บันทึก.txt"],
        "kind": "none",
        "pages": 0,
        "page_urls": [],
    }
    page = staff.get(f"/documents/{ids['บันทึก.txt']}").text
    assert 'id="preview"' not in page and "ติดตามผลการดำเนินงาน" in page


def test_an_original_that_cannot_be_rendered_says_why_on_the_page_and_the_api(site):
    """An image too large to decode safely is kept as it came (stored without text: the
    archive keeps what it was sent); its preview is a 422 with the reason in Thai and
    English, on the document page, at the page image's address and in the API."""
    huge = io.BytesIO()
    Image.new("1", (13_000, 13_000), 1).save(huge, "PNG")  # 169 M pixels, a few KB
    doc = upload(site, [(huge.getvalue(), "แผนที่ใหญ่.png")])["แผนที่ใหญ่.png"]
    staff = login(site.app, "strategy")

    info = staff.get(f"/api/documents/{doc}/preview").get_json()
    assert info["kind"] == "image" and info["pages"] == 0 and info["page_urls"] == []
    assert info["error"]["message"] and info["error"]["message_en"]
    image = staff.get(f"/api/documents/{doc}/preview/1.png")
    site.openapi(image, "/api/documents/{document_id}/preview/{page}.png")
    assert image.status_code == 422
    answer = image.get_json()["error"]
    assert answer["code"] == "preview_failed"
    assert answer["message"] == info["error"]["message"]
    assert answer["message_en"] == info["error"]["message_en"]
    # the page: the document's page still opens, saying why there is no preview
    page = staff.get(f"/documents/{doc}")
    assert page.status_code == 200
    assert f"แสดงตัวอย่างไม่ได้: {info['error']['message']}" in page.text
    direct = staff.get(f"/documents/{doc}/preview/1.png")
    assert direct.status_code == 422 and info["error"]["message"] in direct.text
    english = staff.get(f"/documents/{doc}/preview/1.png?lang=en")
    assert english.status_code == 422 and info["error"]["message_en"] in english.text


def test_the_preview_cache_keeps_to_its_bound_removing_the_least_used(site, monkeypatch):
    """KHLANG_PREVIEW_CACHE bounds data/derived/previews/: over it, the page used longest
    ago goes first; a page shown again counts as used; a removed page is made again."""
    import shutil
    import time

    doc = site.ids["003"]  # five pages
    staff = login(site.app, "strategy")
    root = site.core.settings.data_dir / "derived" / "previews"
    for n in range(1, 5):
        assert staff.get(f"/documents/{doc}/preview/{n}.png").status_code == 200
    folder = next(p.parent for p in root.rglob("page-1.png") if doc_sha(site, doc) in str(p))
    size = {n: (folder / f"page-{n}.png").stat().st_size for n in range(1, 5)}
    counted = (folder / "pages.txt").stat().st_size
    shutil.rmtree(root)

    # room for three pages and the page count, not for four
    limit = size[1] + size[3] + size[4] + counted
    assert limit < sum(size.values()) + counted
    monkeypatch.setenv("KHLANG_PREVIEW_CACHE", str(limit))
    for n in (1, 2, 3):
        assert staff.get(f"/documents/{doc}/preview/{n}.png").status_code == 200
        time.sleep(0.02)
    assert staff.get(f"/documents/{doc}/preview/1.png").status_code == 200  # used again
    time.sleep(0.02)
    assert staff.get(f"/documents/{doc}/preview/4.png").status_code == 200
    kept = {p.name for p in folder.iterdir()}
    assert kept == {"pages.txt", "page-1.png", "page-3.png", "page-4.png"}, kept
    assert sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) <= limit
    again = staff.get(f"/documents/{doc}/preview/2.png")  # made again on demand
    assert again.status_code == 200 and png_size(again.data)


def doc_sha(site, document_id: int) -> str:
    from schemas.models import Document

    with site.core.sessions() as session:
        return session.get(Document, document_id).sha256
