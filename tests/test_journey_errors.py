"""Every error reaches the person (issue 14): each error a page can show, made as a user
makes it through the page's own form, rendered with its Thai reason on the Thai page and
its English reason on the English one. Over the realistic archive of
tests/realistic_archive.py (this module's own copy: the tests change it)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from schemas.models import Batch
from tests import realistic_archive as ra
from tests.conftest import DATABASES
from tests.waiting import wait_until

LANGS = ["th", "en"]


@pytest.fixture(scope="module", params=DATABASES)
def archive(request, tmp_path_factory, realistic_template):
    built = ra.build(tmp_path_factory.mktemp("errors"), request.param, realistic_template)
    yield built
    built.app.extensions["khlang"].dispose()
    built.core.dispose()


def post_form(client, path, data, **kwargs):
    return client.post(
        path, data={**data, "csrf_token": client.csrf}, follow_redirects=True, **kwargs
    )


def flashes(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m)).strip()
        for m in re.findall(r'class="flash flash-error"[^>]*>(.*?)</', page, re.S)
    ]


# --- inventory import -------------------------------------------------------------------------

BAD_ROWS = [
    # row 2: a good row, imported; rows 3-5: one bad value each
    ["๒๕๖๗", "ลำปาง", ra.COFFEE, "กิจกรรมตลาดกาแฟ", "สำนักงานเกษตรจังหวัดลำปาง",
     "รายงานการจัดงานตลาดกาแฟ", "๑", "๓๐ ก.ย. ๒๕๖๗"],
    ["ปีหน้า", "ลำปาง", ra.COFFEE, "กิจกรรมตลาดกาแฟ", "สำนักงานเกษตรจังหวัดลำปาง",
     "แผ่นพับประชาสัมพันธ์", "๑", "๓๐ ก.ย. ๒๕๖๗"],
    ["๒๕๖๗", "ลำปาง", ra.COFFEE, "กิจกรรมตลาดกาแฟ", "สำนักงานเกษตรจังหวัดลำปาง",
     "ภาพถ่ายกิจกรรม", "สองชุด", "๓๐ ก.ย. ๒๕๖๗"],
    ["๒๕๖๗", "ลำปาง", ra.COFFEE, "กิจกรรมตลาดกาแฟ", "สำนักงานเกษตรจังหวัดลำปาง",
     "สรุปยอดขาย", "๑", "๓๑ ก.พ. ๒๕๖๗"],
]  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_inventory_import_lists_each_bad_row_with_its_reason(archive, tmp_path, lang):
    """Issue 14 item 3: the reasons column was empty in both languages."""
    book = ra.write_inventory(tmp_path / "บัญชีเพิ่มเติม ลำปาง.xlsx", BAD_ROWS)
    client = ra.sign_in(archive.app, "strategy1", lang)
    page = post_form(
        client,
        "/inventory",
        {"file": (io.BytesIO(book.read_bytes()), book.name)},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    result = re.search(r'<section class="card" id="import-result">.*?</section>', page.text, re.S)
    assert result, page.text[:3000]
    rows = re.findall(r'<tr class="st-rejected">(.*?)</tr>', result.group(0), re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
             for r in rows]  # fmt: skip
    assert [c[0] for c in cells] == ["3", "4", "5"], cells
    values = {c[0]: c[2] for c in cells}
    assert values["3"] == "ปีหน้า" and values["4"] == "สองชุด" and "ก.พ." in values["5"]
    for row, _column, _value, reason in cells:
        assert reason, (row, cells)
        # the reason in the page's language: Thai on the Thai page, English on the other
        if lang == "th":
            assert re.search(r"[\u0e00-\u0e7f]", reason), cells
        else:
            # in English (its examples may quote Thai dates, as staff write them)
            assert re.match(r"[a-z]+ [a-z]+", reason), cells


# --- upload rejections ------------------------------------------------------------------------


def finished_job(archive, job_id: int) -> None:
    def done() -> bool:
        with archive.core.sessions() as session:
            return session.scalar(select(Batch.status).where(Batch.id == job_id)) != "running"

    wait_until(done, f"upload job {job_id} to finish")


@pytest.mark.parametrize("lang", LANGS)
def test_upload_names_the_corrupt_file_and_why_and_keeps_the_rest(archive, lang):
    client = ra.sign_in(archive.app, "dsss1", lang)
    client.csrf = ra.csrf_of(client.get("/upload").text)
    corrupt = f"หนังสือเสียหาย-{lang}.pdf"
    good = f"บันทึกข้อความ-{lang}.txt"
    page = post_form(
        client,
        "/upload",
        {
            "files": [
                (io.BytesIO(b"%PDF-1.7\n1 0 obj <<\n garbage"), corrupt),
                (io.BytesIO(f"บันทึกข้อความ จังหวัดเชียงราย {lang}".encode()), good),
            ]
        },
        content_type="multipart/form-data",
    )
    job_id = int(re.search(r"/upload/jobs/(\d+)", page.request.path).group(1))
    finished_job(archive, job_id)
    page = client.get(f"/upload/jobs/{job_id}").text
    rows = {
        re.sub(r"<[^>]+>", "", cells[0]).strip(): [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
        for cells in (re.findall(r"<td>(.*?)</td>", r, re.S)
                      for r in re.findall(r"<tr class=\"st-[^\"]+\">(.*?)</tr>", page, re.S))
    }  # fmt: skip
    assert rows[good][1] == ("นำเข้าแล้ว" if lang == "th" else "Ingested"), rows
    _, status, reason = rows[corrupt]
    assert status and reason, rows
    assert re.search(r"[\u0e00-\u0e7f]", reason) and re.search(r"[A-Za-z]{4}", reason), reason


def retired_item(archive) -> str:
    """ลำพูน's item, retired by staff (once for the module) with ``khlang inventory retire``."""
    if not hasattr(archive, "retired"):
        archive.retired = archive.code[(2567, ra.OTHER_PROVINCE, "หนังสือแจ้งการปรับแผนการปฏิบัติงาน")]
        ra.khlang_runner(archive.core)(
            "inventory", "retire", archive.retired, "--reason", "ลำพูนรวมเข้ากับโครงการอื่น"
        )
    return archive.retired


@pytest.mark.parametrize("lang", LANGS)
def test_upload_to_a_retired_item_says_so(archive, lang):
    code = retired_item(archive)
    admin = ra.sign_in(archive.app, "admin1", lang)
    admin.csrf = ra.csrf_of(admin.get("/upload").text)
    page = post_form(
        admin,
        "/upload",
        {"files": [(io.BytesIO("ภาคผนวก".encode()), "ภาคผนวก.txt")], "item_code": code},
        content_type="multipart/form-data",
    )
    expected = "รายการนี้ถูกยกเลิกแล้ว" if lang == "th" else "the item is retired"
    assert expected in flashes(page.text), flashes(page.text)


# --- link refusals ----------------------------------------------------------------------------

REFUSALS = {
    # (who, document, item) -> Thai and English words of the reason
    "another province's item": (
        "dsss1", "letter", "other", ("จังหวัดอื่น", "another province")
    ),
    "a bundle": ("admin1", "bundle", "own", ("ไฟล์บีบอัด", "bundle")),
    "a retired item": ("admin1", "letter_pdf", "retired", ("ถูกยกเลิกแล้ว", "is retired")),
    "no such item": ("strategy1", "letter_pdf", "INV-2567-NOSUCH", ("ไม่พบรายการ", "No item")),
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_link_says_why_on_the_document_page(archive, case, lang):
    who, document, item, (thai, english) = REFUSALS[case]
    codes = {
        "own": archive.code[(2567, ra.DSSS_PROVINCE, "หนังสือแจ้งการปรับแผนการปฏิบัติงาน")],
        "other": archive.code[(2567, ra.OTHER_PROVINCE, "หนังสือแจ้งการปรับแผนการปฏิบัติงาน")],
    }
    code = retired_item(archive) if item == "retired" else codes.get(item, item)
    client = ra.sign_in(archive.app, who, lang)
    path = f"/documents/{archive.doc[document]}"
    assert client.get(path).status_code == 200
    page = post_form(client, f"{path}/links", {"item_code": code, "op": "link"})
    if case == "another province's item":  # refused outright, with a way back
        assert page.status_code == 403 and f'href="{path}"' in page.text
    else:  # back on the document's page, the reason above it
        assert page.status_code == 200 and page.request.path == path, page.status_code
    shown = " ".join(flashes(page.text))
    assert (thai if lang == "th" else english) in shown, shown
    if case != "a bundle":  # the bundle's own name is its reason's subject
        assert code in shown, shown


# --- publication refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_publication_step_says_why(archive, lang):
    document = archive.doc["news"]
    path = f"/documents/{document}"
    checker = ra.sign_in(archive.app, "strategy1", lang)
    checker.csrf = ra.csrf_of(checker.get(path).text)
    # publishing an internal document skips two steps: refused
    page = post_form(checker, f"{path}/publication", {"action": "publish"})
    expected = "จึงเผยแพร่ไม่ได้" if lang == "th" else "cannot be published"
    assert any(expected in f for f in flashes(page.text)), flashes(page.text)
    # four eyes: whoever checked may not approve
    post_form(checker, f"{path}/publication", {"action": "check"})
    page = post_form(checker, f"{path}/publication", {"action": "approve"})
    expected = (
        "ผู้อนุมัติต้องไม่ใช่ผู้ตรวจสอบคนเดียวกัน"
        if lang == "th"
        else "the approver must not be the person who checked"
    )
    assert expected in flashes(page.text), flashes(page.text)
    # back to internal for the other language's run
    admin = ra.sign_in(archive.app, "admin1", lang)
    admin.csrf = ra.csrf_of(admin.get(path).text)
    post_form(admin, f"{path}/publication", {"action": "withdraw"})
