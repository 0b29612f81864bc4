"""Issue 21 (B): correcting a document's description in the web and through the API.

Through the doors people use: the edit form on the document page, signed in through the
login form, and PATCH /api/documents/<id> with API tokens; on SQLite and PostgreSQL. Each
change is an ``edited`` provenance event with old and new values and the agent, and the
search finds the document by what was written, not what the reader guessed.
"""

from __future__ import annotations

import pytest

from service.auth import create_token
from tests.conftest import DATABASES
from tests.test_service_web import build_site, login, openapi_checker, post, wait_for_jobs
from tests.waiting import wait_until


@pytest.fixture(scope="module", params=DATABASES)
def site(request, tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("edits") / "data", request.param)
    site.openapi = openapi_checker(site.app)
    yield site
    wait_for_jobs(site.core)
    site.app.extensions["khlang"].dispose()
    site.core.dispose()


def token_client(site, role: str, province: str | None = None):
    client = site.app.test_client()
    token = create_token(site.core, f"edits-{role}-{province}", role, province)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def edited_events(document: dict) -> list[dict]:
    return [e for e in document["provenance"] if e["event"] == "edited"]


def search_ids(client, query: str) -> set[int]:
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.text
    return {hit["document_id"] for hit in response.get_json()["hits"]}


def test_strategy_edits_on_the_page_and_the_search_follows(site):
    doc = site.ids["001"]
    strategy = login(site.app, "strategy")
    page = strategy.get(f"/documents/{doc}")
    assert 'id="edit"' in page.text and 'name="fiscal_year"' in page.text
    new_title = "รายงานผลการดำเนินงานกาแฟอราบิก้าดอยช้าง"
    response = post(
        strategy,
        f"/documents/{doc}/edit",
        data={
            "csrf_token": strategy.csrf,
            "title": new_title,
            "kind": "summary_report",
            "fiscal_year": "๒๕๖๓",  # Thai digits, as typed on a Thai keyboard
            "project": "โครงการกาแฟคุณภาพ",
            "activity": "",  # clears what the reader found
            "tags": "กาแฟ, ต้นแบบ, กาแฟ",
            "notes": "ชื่อเดิมอ่านจากหัวกระดาษผิด",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#edit")
    shown = strategy.get(f"/documents/{doc}").text
    assert new_title in shown and "ชื่อเดิมอ่านจากหัวกระดาษผิด" in shown
    assert "แก้ไขข้อมูลเอกสาร" in shown  # the event in the timeline

    document = strategy.get(f"/api/documents/{doc}").get_json()
    assert document["title"] == new_title
    assert document["kind"] == "summary_report" and document["fiscal_year"] == 2563
    assert document["tags"] == ["กาแฟ", "ต้นแบบ"]
    assert document["metadata"]["projects"][0] == "โครงการกาแฟคุณภาพ"
    [event] = edited_events(document)
    assert event["agent"] == "strategy"
    changes = event["detail"]["changes"]
    assert changes["title"]["to"] == new_title and changes["title"]["from"] != new_title
    assert changes["fiscal_year"]["to"] == 2563
    assert changes["tags"] == {"from": [], "to": ["กาแฟ", "ต้นแบบ"]}
    assert changes["activity"]["to"] is None and "notes" in changes
    assert "activities" not in document["metadata"] or not document["metadata"]["activities"]

    # The index follows: the new title's words, the tag and the fiscal-year filter find it.
    wait_until(lambda: doc in search_ids(strategy, "อราบิก้าดอยช้าง"), "the new title indexed")
    assert doc in search_ids(strategy, "ต้นแบบ")
    assert doc in search_ids(strategy, "ปีงบประมาณ:๒๕๖๓ ประเภท:summary_report")

    # Saving the same form again changes nothing and records nothing.
    again = post(
        strategy,
        f"/documents/{doc}/edit",
        data={"csrf_token": strategy.csrf, "title": new_title, "tags": "กาแฟ, ต้นแบบ"},
    )
    assert again.status_code == 302
    assert len(edited_events(strategy.get(f"/api/documents/{doc}").get_json())) == 1


def test_bad_values_are_refused_in_thai_and_english_and_nothing_changes(site):
    doc = site.ids["003"]
    api = token_client(site, "strategy")
    before = api.get(f"/api/documents/{doc}").get_json()
    for body, code in [
        ({"kind": "brochure"}, "invalid_body"),
        ({"fiscal_year": 1999}, "invalid_body"),
        ({"title": ""}, "invalid_body"),
        ({"tags": ["x" * 101]}, "invalid_body"),
        ({"filename": "อื่น.pdf"}, "bad_filename"),  # not an editable field
    ]:
        response = api.patch(f"/api/documents/{doc}", json=body)
        site.openapi(response, "/api/documents/{document_id}", "patch")
        error = response.get_json()["error"]
        assert response.status_code == 400 and error["code"] == code, (body, error)
        assert error["message"] and error["message_en"]
    strategy = login(site.app, "strategy")
    page = post(
        strategy,
        f"/documents/{doc}/edit",
        data={"csrf_token": strategy.csrf, "title": "ชื่อใหม่", "fiscal_year": "พันเก้า"},
    )
    assert page.status_code == 302
    assert "ปีงบประมาณต้องเป็นปี พ.ศ." in strategy.get(f"/documents/{doc}").text
    after = api.get(f"/api/documents/{doc}").get_json()
    assert after["title"] == before["title"] and edited_events(after) == []


def test_patch_with_a_token_answers_the_document_and_names_the_agent(site):
    doc = site.ids["004"]
    api = token_client(site, "admin")
    response = api.patch(
        f"/api/documents/{doc}", json={"kind": "minutes", "notes": "ตรวจแล้ว", "tags": ["ประชุม"]}
    )
    site.openapi(response, "/api/documents/{document_id}", "patch")
    assert response.status_code == 200, response.text
    document = response.get_json()
    assert document["kind"] == "minutes" and document["notes"] == "ตรวจแล้ว"
    [event] = edited_events(document)
    assert event["agent"] == "token:edits-admin-None"
    assert event["detail"]["changes"]["notes"] == {"from": "", "to": "ตรวจแล้ว"}
    # Visitors never see staff notes, tags or who edited, even of a published document.
    published = site.ids["000"]
    api.patch(f"/api/documents/{published}", json={"notes": "ภายในเท่านั้น", "tags": ["ลับ"]})
    public = site.app.test_client().get(f"/api/documents/{published}").get_json()
    assert "notes" not in public and "tags" not in public
    assert all("changes" not in e["detail"] for e in public["provenance"])
    assert "ภายในเท่านั้น" not in site.app.test_client().get(f"/documents/{published}").text


def test_who_may_edit_which_document(site):
    """Strategy and admins edit anything; a DSSS officer only their own province's
    documents (linked to its items), by session and by token; viewers and visitors never."""
    doc = site.ids["004"]
    code_cm = site.items["เชียงใหม่"]
    strategy = token_client(site, "strategy")
    linked = strategy.post(f"/api/documents/{doc}/links", json={"item_code": code_cm})
    assert linked.status_code == 200, linked.text

    dsss_cm = login(site.app, "dsss_cm")
    own = dsss_cm.patch(
        f"/api/documents/{doc}", json={"tags": ["เชียงใหม่"]}, headers={"X-CSRF-Token": dsss_cm.csrf}
    )
    assert own.status_code == 200, own.text
    assert 'id="edit"' in dsss_cm.get(f"/documents/{doc}").text

    dsss_cr = login(site.app, "dsss_cr")
    refused = dsss_cr.patch(
        f"/api/documents/{doc}", json={"tags": ["อื่น"]}, headers={"X-CSRF-Token": dsss_cr.csrf}
    )
    assert refused.status_code == 403 and refused.get_json()["error"]["message_en"]
    assert 'id="edit"' not in dsss_cr.get(f"/documents/{doc}").text
    page = post(dsss_cr, f"/documents/{doc}/edit", data={"csrf_token": dsss_cr.csrf, "tags": "x"})
    assert page.status_code == 403 and "จังหวัด" in page.text
    cr_token = token_client(site, "dsss", "เชียงราย")
    assert cr_token.patch(f"/api/documents/{doc}", json={"tags": ["x"]}).status_code == 403

    viewer = login(site.app, "viewer")
    assert 'id="edit"' not in viewer.get(f"/documents/{doc}").text
    assert post(viewer, f"/api/documents/{doc}", json={}).status_code in (403, 405)
    assert token_client(site, "viewer").patch(f"/api/documents/{doc}", json={}).status_code == 403
    assert site.app.test_client().patch(f"/api/documents/{doc}", json={}).status_code == 401
    tags = strategy.get(f"/api/documents/{doc}").get_json()["tags"]
    assert tags == ["เชียงใหม่"]
