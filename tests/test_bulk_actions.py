"""Issue 21 (B): bulk work on a selection, on the search page and under /api/bulk/, and a
ZIP upload's members assigned each to its own inventory item on the job page.

Each document goes through the same rules as one at a time (four eyes, a dsss officer's
province), one refusal does not stop the rest, and each refusal says why in Thai and
English.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from indexer.inventory.links import link_document
from schemas.models import Document
from service.actions.inventory import get_item
from service.auth import create_token
from tests.conftest import DATABASES, SEED_FIXTURES
from tests.test_service_web import (
    INVENTORY_CSV,
    build_site,
    login,
    openapi_checker,
    post,
    wait_for_job,
    wait_for_jobs,
)

BROCHURE_ROW = [
    "2562",
    "เชียงใหม่",
    "โครงการส่งเสริมการท่องเที่ยว",
    "กิจกรรมประชาสัมพันธ์",
    "สำนักงานจังหวัดเชียงใหม่",
    "แผ่นพับประชาสัมพันธ์",
    "1",
    "30 ก.ย. 2562",
]


@pytest.fixture(scope="module", params=DATABASES)
def site(request, tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("bulk") / "data", request.param)
    site.openapi = openapi_checker(site.app)
    yield site
    wait_for_jobs(site.core)
    site.app.extensions["khlang"].dispose()
    site.core.dispose()


def token_client(site, role: str, province: str | None = None):
    client = site.app.test_client()
    token = create_token(site.core, f"bulk-{role}-{province}", role, province)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def publication_of(site, document_id: int) -> str:
    with site.core.sessions() as session:
        return session.get(Document, document_id).publication


def flashes(client) -> str:
    return client.get("/").text


def test_publication_of_a_selection_on_the_search_page_keeps_four_eyes(site):
    letters = [site.ids["001"], site.ids["003"]]
    strategy = login(site.app, "strategy")
    results = strategy.get("/", query_string={"q": "จังหวัด"}).text
    assert 'id="bulk-form"' in results and 'name="document_id"' in results
    response = post(
        strategy,
        "/bulk",
        data={
            "csrf_token": strategy.csrf,
            "document_id": [str(d) for d in letters],
            "action": "check",
            "next": "/?q=จังหวัด",
        },
    )
    assert response.status_code == 302
    assert unquote(response.headers["Location"]) == "/?q=จังหวัด"  # back to the results
    assert "ทำแล้ว 2 เอกสาร ไม่สำเร็จ 0 เอกสาร" in flashes(strategy)
    assert [publication_of(site, d) for d in letters] == ["checked", "checked"]

    # The checker may not approve what they checked, in bulk as one by one.
    post(
        strategy,
        "/bulk",
        data={"csrf_token": strategy.csrf, "document_id": letters, "action": "approve"},
    )
    page = flashes(strategy)
    assert "ไม่สำเร็จ 2 เอกสาร" in page and f"#{letters[0]}" in page
    assert [publication_of(site, d) for d in letters] == ["checked", "checked"]

    other = login(site.app, "strategy2")
    answer = post(
        other,
        "/api/bulk/publication",
        json={"document_ids": [letters[0], 999999], "action": "approve"},
    )
    site.openapi(answer, "/api/bulk/publication", "post")
    body = answer.get_json()
    assert body["done"] == 1 and body["failed"] == 1
    assert body["results"][1]["code"] == "not_found" and body["results"][1]["message_en"]
    assert publication_of(site, letters[0]) == "approved"
    events = other.get(f"/api/documents/{letters[0]}").get_json()["provenance"]
    steps = [(e["agent"], e["detail"]["to"]) for e in events if e["event"] == "publication"]
    assert steps == [("strategy", "checked"), ("strategy2", "approved")]

    # roles that may not take a step are refused before anything is tried
    viewer = login(site.app, "viewer")
    assert (
        post(
            viewer,
            "/bulk",
            data={"csrf_token": viewer.csrf, "document_id": letters, "action": "check"},
        ).status_code
        == 403
    )
    refused = token_client(site, "dsss", "เชียงใหม่").post(
        "/api/bulk/publication", json={"document_ids": letters, "action": "publish"}
    )
    assert refused.status_code == 403 and refused.get_json()["error"]["message"]
    assert (
        site.app.test_client()
        .post("/api/bulk/tags", json={"document_ids": [1], "tags": ["x"]})
        .status_code
        == 401
    )


def test_tags_added_to_a_selection_and_the_selection_exported(site):
    chosen = [site.ids["000"], site.ids["004"]]
    api = token_client(site, "strategy")
    answer = api.post(
        "/api/bulk/tags", json={"document_ids": [*chosen, 888888], "tags": ["ส่งแล้ว", "ปี ๖๒"]}
    )
    site.openapi(answer, "/api/bulk/tags", "post")
    body = answer.get_json()
    assert (body["done"], body["failed"]) == (2, 1)
    again = api.post("/api/bulk/tags", json={"document_ids": chosen, "tags": ["ส่งแล้ว"]})
    assert again.get_json()["done"] == 2
    document = api.get(f"/api/documents/{chosen[1]}").get_json()
    assert document["tags"] == ["ส่งแล้ว", "ปี ๖๒"]  # added once, in order
    assert len([e for e in document["provenance"] if e["event"] == "edited"]) == 1
    hits = api.get("/api/search", query_string={"q": "ส่งแล้ว"}).get_json()["hits"]
    assert {h["document_id"] for h in hits} >= set(chosen)

    # a DSSS officer adds tags only to their own province's documents
    dsss_cr = token_client(site, "dsss", "เชียงราย")
    mixed = dsss_cr.post("/api/bulk/tags", json={"document_ids": chosen, "tags": ["x"]}).get_json()
    assert mixed["failed"] >= 1 and all(r["message"] for r in mixed["results"] if not r["ok"])

    exported = api.post("/api/bulk/export", json={"document_ids": chosen, "format": "xlsx"})
    site.openapi(exported, "/api/bulk/export", "post")
    sheet = load_workbook(io.BytesIO(exported.data)).active
    header = [c.value for c in sheet[1]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    assert [r["รหัสเอกสาร"] for r in rows] == chosen
    received = sheet.cell(row=2, column=header.index("รับเข้าเมื่อ") + 1)
    assert isinstance(received.value, dt.datetime) and "107" in received.number_format
    assert all(isinstance(r["ปีงบประมาณ"], int | type(None)) for r in rows)
    assert "ส่งแล้ว" in rows[0]["แท็ก"] and rows[0]["สถานะการเผยแพร่"] == "เผยแพร่แล้ว"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert sheet.page_setup.orientation == "landscape"

    # A visitor exports only what they could see: the published document, without tags.
    public = site.app.test_client().post(
        "/api/bulk/export", json={"document_ids": chosen, "format": "csv"}
    )
    assert public.status_code == 200 and public.data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(public.data.decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == [str(chosen[0])] and "ส่งแล้ว" not in lines[1]

    # the page's form exports too
    staff = login(site.app, "strategy")
    page_export = post(
        staff,
        "/bulk",
        data={"csrf_token": staff.csrf, "document_id": chosen, "action": "export_csv"},
    )
    assert (
        page_export.mimetype == "text/csv"
        and "attachment" in page_export.headers["Content-Disposition"]
    )


def test_confirming_suggested_links_of_a_selection(site):
    doc_cm, doc_cr = site.ids["001"], site.ids["003"]
    with site.core.transaction() as session:
        for doc, province in ((doc_cm, "เชียงใหม่"), (doc_cr, "เชียงราย")):
            item = get_item(session, site.items[province])
            link_document(
                session, session.get(Document, doc), item, agent="ระบบแนะนำ", method="suggested"
            )
    dsss = login(site.app, "dsss_cm")
    post(
        dsss,
        "/bulk",
        data={"csrf_token": dsss.csrf, "document_id": [doc_cm, doc_cr], "action": "confirm_links"},
    )
    page = flashes(dsss)
    assert "ทำแล้ว 1 เอกสาร ไม่สำเร็จ 1 เอกสาร" in page and "จังหวัดอื่น" in page
    methods = {
        doc: [link["method"] for link in dsss.get(f"/api/documents/{doc}").get_json()["links"]]
        for doc in (doc_cm, doc_cr)
    }
    assert methods == {doc_cm: ["confirmed"], doc_cr: ["suggested"]}

    answer = token_client(site, "strategy").post(
        "/api/bulk/links",
        json={
            "links": [{"document_id": doc_cr, "item_code": site.items["เชียงราย"], "op": "confirm"}]
        },
    )
    site.openapi(answer, "/api/bulk/links", "post")
    assert answer.get_json()["done"] == 1


def test_a_zip_upload_members_each_to_their_own_item(site):
    strategy = token_client(site, "strategy")
    rows = io.StringIO()
    csv.writer(rows).writerows([*INVENTORY_CSV, BROCHURE_ROW])
    imported = strategy.post(
        "/api/inventory/import",
        data={"file": (io.BytesIO(rows.getvalue().encode()), "บัญชีเพิ่มแผ่นพับ.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 200, imported.text
    items = strategy.get("/api/inventory?fiscal_year=2562&province=เชียงใหม่").get_json()["items"]
    brochure_code = next(i["code"] for i in items if i["deliverable"] == "แผ่นพับประชาสัมพันธ์")
    report_code = site.items["เชียงใหม่"]

    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(SEED_FIXTURES / "002_0090340a6c3e03ac.docx", "ผลงาน/รายงานการประชุม.docx")
        archive.writestr("ผลงาน/แผ่นพับท่องเที่ยว.txt", "แผ่นพับประชาสัมพันธ์การท่องเที่ยวเชียงใหม่\n" * 20)
    officer = login(site.app, "dsss_cm")
    response = post(
        officer,
        "/api/uploads",
        data={
            "files": [(io.BytesIO(bundle.getvalue()), "ผลงานโครงการ.zip")],
            "item_code": report_code,
        },
        content_type="multipart/form-data",
    )
    job_id = response.get_json()["job_id"]
    job = wait_for_job(officer, job_id).get_json()
    members = {
        f["path"].rsplit("/", 1)[-1]: f["document_id"] for f in job["files"] if f["document_id"]
    }
    brochure, minutes = members["แผ่นพับท่องเที่ยว.txt"], members["รายงานการประชุม.docx"]

    assert f"/upload/jobs/{job_id}/assign" in officer.get(f"/upload/jobs/{job_id}").text
    form = officer.get(f"/upload/jobs/{job_id}/assign")
    assert form.status_code == 200 and f'name="item_{brochure}"' in form.text
    moved = post(
        officer,
        f"/upload/jobs/{job_id}/assign",
        data={
            "csrf_token": officer.csrf,
            f"item_{brochure}": ["", brochure_code],  # typed in the second field
            f"item_{minutes}": ["", site.items["เชียงราย"]],  # another province: refused
        },
    )
    assert moved.status_code == 302
    page = officer.get(f"/upload/jobs/{job_id}/assign").text
    assert "ไม่สำเร็จ 1 เอกสาร" in page and "จังหวัดอื่น" in page

    def codes(doc):
        return [link["code"] for link in officer.get(f"/api/documents/{doc}").get_json()["links"]]

    assert codes(brochure) == [brochure_code]  # off the summary-report item
    assert codes(minutes) == [report_code]  # refused: keeps the item it had
    # "accept the suggestions" answers too (whatever the suggester finds)
    accepted = post(
        officer, f"/upload/jobs/{job_id}/assign", data={"csrf_token": officer.csrf, "accept": "1"}
    )
    assert accepted.status_code == 302
    other = login(site.app, "dsss_cr")
    assert other.get(f"/upload/jobs/{job_id}/assign").status_code == 404  # not their job
