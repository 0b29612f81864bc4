"""Issue 21 part A: each role's home page and the admin's accounts, through the doors
people use: the login form and its pages, and the JSON API with an API token, over the
realistic archive of tests/realistic_archive.py on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from indexer.inventory.gaps import today_in_thailand
from indexer.thai.dates import format_thai_date
from schemas.models import Event
from service.auth import create_token
from tests import realistic_archive as ra
from tests.conftest import DATABASES
from tests.waiting import wait_until

UPLOADED = "รายงานผลการอบรมมัคคุเทศก์เชียงราย.docx"


@pytest.fixture(scope="module", params=DATABASES)
def archive(request, tmp_path_factory, realistic_template):
    work = tmp_path_factory.mktemp("home_admin")
    built = ra.build(work, request.param, realistic_template)
    # เชียงราย's items: one overdue, one due in ten days, one due in a year (not shown)
    today = today_in_thailand()
    year = today.year + 543 + (1 if today.month >= 10 else 0)
    rows = [
        [str(year), ra.DSSS_PROVINCE, ra.TOURISM, "กิจกรรมอบรมมัคคุเทศก์",
         "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงราย", title, "๑", format_thai_date(due)]
        for title, due in (
            ("รายงานผลการอบรมที่เลยกำหนด", today - dt.timedelta(days=5)),
            ("รายงานผลการอบรมที่ใกล้ถึงกำหนด", today + dt.timedelta(days=10)),
            ("รายงานผลการอบรมปีหน้า", today + dt.timedelta(days=365)),
        )
    ]  # fmt: skip
    inventory = ra.write_inventory(work / "บัญชีเชียงราย.xlsx", rows)
    ra.khlang_runner(built.core)("inventory", "import", str(inventory))
    built.admin_token = create_token(built.core, "ทดสอบผู้ดูแล", "admin")
    built.strategy_token = create_token(built.core, "ทดสอบยุทธศาสตร์", "strategy")
    yield built
    ra.dispose(built)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(app, name: str, password: str, next_page: str | None = None):
    client = app.test_client()
    page = client.get("/login")
    data = {"name": name, "password": password, "csrf_token": ra.csrf_of(page.text)}
    if next_page is not None:
        data["next"] = next_page
    return client, client.post("/login", data=data)


def events_of(core, event_type: str) -> list[Event]:
    with core.sessions() as session:
        return list(
            session.scalars(select(Event).where(Event.event_type == event_type).order_by(Event.id))
        )


# --- home pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dsss1", "strategy1", "admin1", "viewer1"])
def test_signing_in_lands_on_the_home_page(archive, who):
    # the login link of the bare search page names "/?" as where to go back
    link = re.search(r'href="(/login[^"]*)"', archive.app.test_client().get("/").text).group(1)
    assert link == "/login?next=/?"
    client, answer = login(archive.app, who, ra.PASSWORD, next_page="/?")
    assert answer.status_code == 302 and answer.headers["Location"] == "/home"
    # a page the user was reading is where they go back to
    query = "/?q=%E0%B8%88%E0%B8%B1%E0%B8%87%E0%B8%AB%E0%B8%A7%E0%B8%B1%E0%B8%94"
    assert login(archive.app, who, ra.PASSWORD, next_page=query)[1].headers["Location"] == query
    client, answer = login(archive.app, who, ra.PASSWORD)
    assert answer.status_code == 302 and answer.headers["Location"] == "/home"
    page = client.get("/home").text
    assert page.count("<h1") == 1
    # search stays reachable: the menu's link and the home page's own box
    assert '<a href="/"' in page and 'action="/"' in page


def test_an_officer_sees_their_uploads_with_outcomes_and_their_provinces_due_items(archive):
    from docx import Document as Docx

    client = ra.sign_in(archive.app, "dsss1")
    body = io.BytesIO()
    docx = Docx()
    docx.add_paragraph("รายงานผลการอบรมมัคคุเทศก์ จังหวัดเชียงราย ปีงบประมาณ ๒๕๖๙")
    docx.save(body)
    body.seek(0)
    answer = client.post(
        "/api/uploads",
        data={"files": [(body, UPLOADED), (io.BytesIO(b""), "ว่างเปล่า.pdf")]},
        headers={"X-CSRF-Token": client.csrf},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 202, answer.text
    job_id = answer.get_json()["job_id"]
    wait_until(
        lambda: client.get(f"/api/jobs/{job_id}").get_json()["status"] != "running",
        "the officer's upload job",
    )
    page = client.get("/home").text
    jobs = page[page.index('id="my-jobs"') :]
    assert f'href="/upload/jobs/{job_id}"' in jobs
    assert "นำเข้าแล้ว ๑" in jobs and "ปฏิเสธ ๑" in jobs  # each outcome, counted
    due = page[page.index('id="due-items"') :]
    assert "รายงานผลการอบรมที่เลยกำหนด" in due and "เลยกำหนด" in due
    assert "รายงานผลการอบรมที่ใกล้ถึงกำหนด" in due and "ใกล้ถึงกำหนด" in due
    assert "รายงานผลการอบรมปีหน้า" not in page
    assert due.index("ที่เลยกำหนด") < due.index("ที่ใกล้ถึงกำหนด")  # overdue first
    # another province's items are not the officer's day's work
    assert ra.OTHER_PROVINCE not in due[: due.index("</section>")]
    # and in English
    english = ra.sign_in(archive.app, "dsss1", lang="en").get("/home").text
    assert "items overdue or due soon" in english and "Overdue" in english


def test_strategy_staff_see_arrivals_waiting_links_and_completeness(archive):
    page = ra.sign_in(archive.app, "strategy1").get("/home").text
    waiting = page[page.index('id="waiting-links"') :]
    suggested = [d for (d, _), m in archive.methods.items() if m == "suggested"]
    assert suggested
    for document_id in suggested:
        assert f'href="/documents/{document_id}#links"' in waiting
    arrivals = page[page.index('id="recent-documents"') :]
    assert f'href="/documents/{archive.doc["bundle"]}"' in arrivals
    table = page[page.index('id="completeness"') :]
    for province in ("เชียงใหม่", "ลำปาง", ra.DSSS_PROVINCE, ra.OTHER_PROVINCE):
        assert f'<th scope="row">{province}</th>' in table
    # the summary report of เชียงใหม่ 2562 arrived: that cell is complete
    assert re.search(r"fiscal_year=2562&amp;province=%E0%B9%80.*?>๑๐๐%<", table)
    assert 'id="administration"' not in page  # the admin's part is the admin's


def test_the_admin_sees_accounts_fixity_and_index_health(archive):
    archive_cli = ra.khlang_runner(archive.core)
    archive_cli("verify")
    page = ra.sign_in(archive.app, "admin1").get("/home").text
    admin = page[page.index('id="administration"') :]
    assert "ผ่าน" in admin and "ตรวจแล้ว" in admin
    assert "ดัชนีค้นหา" in admin and "ปกติ" in admin
    assert 'href="/admin/accounts"' in admin
    assert 'id="completeness"' in page and 'id="waiting-links"' in page


def test_visitors_and_viewers_see_the_latest_documents_they_may_read(archive):
    anonymous = ra.sign_in(archive.app, None).get("/home")
    assert anonymous.status_code == 200
    latest = anonymous.text[anonymous.text.index('id="recent-documents"') :]
    assert f'href="/documents/{archive.doc["report"]}"' in latest  # published
    assert f'href="/documents/{archive.doc["letter"]}"' not in latest  # internal
    assert 'id="my-jobs"' not in anonymous.text
    viewer = ra.sign_in(archive.app, "viewer1").get("/home").text
    # a viewer reads internal documents too: the newest one, whatever its state
    with archive.core.sessions() as session:
        from sqlalchemy import func

        from schemas.models import Document

        newest = session.scalar(select(func.max(Document.id)))
        unpublished = session.scalar(
            select(func.max(Document.id)).where(Document.publication != "published")
        )
    assert f'href="/documents/{newest}"' in viewer
    assert f'href="/documents/{unpublished}"' in viewer
    assert f'href="/documents/{unpublished}"' not in anonymous.text
    assert 'id="waiting-links"' not in viewer


# --- administration in the web ----------------------------------------------------------------


def test_the_admin_adds_a_user_who_then_signs_in(archive):
    admin = ra.sign_in(archive.app, "admin1")
    answer = admin.post(
        "/admin/users",
        data={"name": "dsss_lamphun", "role": "dsss", "province": "จังหวัดลำพูน",
              "password": "รหัสผ่านลำพูน-1", "csrf_token": admin.csrf},
    )  # fmt: skip
    assert answer.status_code == 302, answer.text
    listed = admin.get("/admin/accounts").text
    assert "dsss_lamphun" in listed and "เพิ่มผู้ใช้แล้ว" in listed
    officer, signed = login(archive.app, "dsss_lamphun", "รหัสผ่านลำพูน-1")
    assert signed.status_code == 302
    assert "dsss_lamphun" in officer.get("/home").text
    assert officer.get("/api/me").get_json()["province"] == "ลำพูน"
    [event] = [
        e for e in events_of(archive.core, "user-added") if e.detail["user"] == "dsss_lamphun"
    ]
    assert event.agent == "admin1" and event.detail["role"] == "dsss"


@pytest.mark.parametrize(
    ("form", "status", "thai", "english"),
    [
        ({"name": "strategy1", "role": "viewer", "password": "12345678"}, 409,
         "มีผู้ใช้ชื่อ strategy1 อยู่แล้ว", "a user named strategy1 exists"),
        ({"name": "สั้น", "role": "viewer", "password": "1234"}, 400,
         "รหัสผ่านต้องยาวอย่างน้อย", "at least 8 characters"),
        ({"name": "ไร้จังหวัด", "role": "dsss", "password": "12345678"}, 400,
         "ต้องระบุจังหวัด", "needs a province"),
        ({"name": "ผิดจังหวัด", "role": "dsss", "password": "12345678", "province": "แอตแลนติส"},
         400, "ไม่รู้จักจังหวัด แอตแลนติส", "unknown province"),
    ],
)  # fmt: skip
def test_a_refused_user_is_explained_in_thai_and_english(archive, form, status, thai, english):
    for lang, expected in (("th", thai), ("en", english)):
        admin = ra.sign_in(archive.app, "admin1", lang=lang)
        answer = admin.post("/admin/users", data={**form, "csrf_token": admin.csrf})
        assert answer.status_code == status
        assert expected in answer.text
        token = archive.admin_token
        api = admin.application.test_client().post("/api/users", json=form, headers=bearer(token))
        assert api.status_code == status
        error = api.get_json()["error"]
        assert thai in error["message"] and english in error["message_en"]


def test_a_new_role_or_password_ends_the_users_sessions(archive):
    admin = ra.sign_in(archive.app, "admin1")
    admin.post("/admin/users", data={"name": "ผู้อ่านชั่วคราว", "role": "viewer",
               "password": "รหัสเดิม-12345", "csrf_token": admin.csrf})  # fmt: skip
    reader, _ = login(archive.app, "ผู้อ่านชั่วคราว", "รหัสเดิม-12345")
    assert reader.get("/api/me").get_json()["role"] == "viewer"
    answer = admin.post(
        "/admin/users/ผู้อ่านชั่วคราว",
        data={"role": "strategy", "province": "", "csrf_token": admin.csrf},
    )
    assert answer.status_code == 302
    assert reader.get("/api/me").get_json()["authenticated"] is False  # signed out
    changed = events_of(archive.core, "user-changed")[-1]
    assert changed.agent == "admin1" and changed.detail["role"] == ["viewer", "strategy"]

    again, _ = login(archive.app, "ผู้อ่านชั่วคราว", "รหัสเดิม-12345")
    assert again.get("/api/me").get_json()["role"] == "strategy"
    admin.post("/admin/users/ผู้อ่านชั่วคราว",
               data={"password": "รหัสใหม่-67890", "csrf_token": admin.csrf})  # fmt: skip
    assert again.get("/api/me").get_json()["authenticated"] is False
    assert login(archive.app, "ผู้อ่านชั่วคราว", "รหัสเดิม-12345")[1].status_code == 401
    assert login(archive.app, "ผู้อ่านชั่วคราว", "รหัสใหม่-67890")[1].status_code == 302
    assert events_of(archive.core, "user-changed")[-1].detail == {
        "user": "ผู้อ่านชั่วคราว",
        "password": True,
    }  # that it changed, never the password

    admin.post("/admin/users/ผู้อ่านชั่วคราว", data={"active": "0", "csrf_token": admin.csrf})
    assert login(archive.app, "ผู้อ่านชั่วคราว", "รหัสใหม่-67890")[1].status_code == 401
    assert "ปิดใช้งาน" in admin.get("/admin/accounts").text


def test_the_admin_cannot_lock_themselves_out(archive):
    admin = ra.sign_in(archive.app, "admin1", lang="en")
    answer = admin.post("/admin/users/admin1", data={"active": "0", "csrf_token": admin.csrf})
    assert answer.status_code == 409 and "cannot deactivate or demote your own" in answer.text
    assert login(archive.app, "admin1", ra.PASSWORD)[1].status_code == 302


def test_tokens_are_shown_once_used_and_revoked_in_the_web(archive):
    admin = ra.sign_in(archive.app, "admin1")
    answer = admin.post(
        "/admin/tokens",
        data={"name": "สคริปต์นำเข้าเชียงราย", "role": "dsss", "province": "เชียงราย",
              "csrf_token": admin.csrf},
    )  # fmt: skip
    assert answer.status_code == 201
    token = re.search(r'<code class="secret">([^<]+)</code>', answer.text).group(1)
    assert token not in admin.get("/admin/accounts").text  # once only
    script = archive.app.test_client()
    me = script.get("/api/me", headers=bearer(token)).get_json()
    assert me["kind"] == "token" and me["province"] == "เชียงราย"
    listed = admin.get("/api/tokens").get_json()["tokens"]
    [row] = [t for t in listed if t["name"] == "สคริปต์นำเข้าเชียงราย"]
    assert row["last_used_at"] is not None and "token" not in row
    page = admin.get("/admin/accounts").text
    assert "ยังไม่เคยใช้" in page  # the token made for these tests was never used
    answer = admin.post(f"/admin/tokens/{row['id']}/revoke", data={"csrf_token": admin.csrf})
    assert answer.status_code == 302
    refused = script.get("/api/me", headers=bearer(token))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "bad_token"
    [revoked] = [
        e for e in events_of(archive.core, "token-revoked") if e.detail["token_id"] == row["id"]
    ]
    assert revoked.agent == "admin1"


@pytest.mark.parametrize("who", ["strategy1", "dsss1", "viewer1", None])
def test_only_admins_manage_accounts(archive, who):
    client = ra.sign_in(archive.app, who)
    form = {"name": "แอบเพิ่ม", "role": "admin", "password": "12345678"}
    assert client.get("/admin/accounts").status_code in (302, 403)
    answer = client.post("/admin/users", data={**form, "csrf_token": client.csrf})
    assert answer.status_code in (302, 403)
    assert 'href="/admin/accounts"' not in client.get("/home").text
    api = client.post("/api/users", json=form, headers={"X-CSRF-Token": client.csrf})
    assert api.status_code == (401 if who is None else 403)
    assert api.get_json()["error"]["message"] and api.get_json()["error"]["message_en"]
    with archive.core.sessions() as session:
        from schemas.models import User

        assert session.scalar(select(User).where(User.name == "แอบเพิ่ม")) is None


# --- administration through the API -----------------------------------------------------------


def test_scripts_manage_users_and_tokens_through_the_api(archive):
    api = archive.app.test_client()
    admin = bearer(archive.admin_token)
    made = api.post(
        "/api/users",
        json={"name": "api_viewer", "role": "viewer", "password": "รหัสผ่าน-สคริปต์"},
        headers=admin,
    )
    assert made.status_code == 201 and made.get_json()["role"] == "viewer"
    changed = api.patch(
        "/api/users/api_viewer", json={"role": "dsss", "province": "ลำปาง"}, headers=admin
    )
    assert changed.status_code == 200
    assert changed.get_json() | {"created_at": None} == {
        "name": "api_viewer", "role": "dsss", "province": "ลำปาง", "active": True,
        "created_at": None,
    }  # fmt: skip
    event = events_of(archive.core, "user-changed")[-1]
    assert event.agent == "token:ทดสอบผู้ดูแล"
    assert event.detail["role"] == ["viewer", "dsss"] and event.detail["province"] == [
        None,
        "ลำปาง",
    ]
    assert api.patch("/api/users/ไม่มีใคร", json={"active": False}, headers=admin).status_code == 404

    created = api.post(
        "/api/tokens", json={"name": "รายงานประจำคืน", "role": "viewer"}, headers=admin
    )
    assert created.status_code == 201
    secret, token_id = created.get_json()["token"], created.get_json()["id"]
    assert api.get("/api/me", headers=bearer(secret)).get_json()["role"] == "viewer"
    assert api.delete(f"/api/tokens/{token_id}", headers=admin).get_json()["revoked"] is True
    assert api.get("/api/me", headers=bearer(secret)).status_code == 401
    # a token cannot revoke itself (the script would lose its own door)
    with archive.core.sessions() as session:
        from schemas.models import ApiToken

        own = session.scalar(select(ApiToken.id).where(ApiToken.name == "ทดสอบผู้ดูแล"))
    refused = api.delete(f"/api/tokens/{own}", headers=admin)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "own_token"
    # strategy staff may not, through the API either
    strategy = bearer(archive.strategy_token)
    assert (
        api.post("/api/tokens", json={"name": "x", "role": "admin"}, headers=strategy).status_code
        == 403
    )
    assert api.delete(f"/api/tokens/{own}", headers=strategy).status_code == 403


def test_the_command_line_leaves_the_same_events(archive):
    """One core behind the CLI and the web: `khlang users` and `khlang tokens` changes are
    events too, with the operating-system user as the agent."""
    from indexer.core import default_agent

    khlang = ra.khlang_runner(archive.core)
    khlang("users", "add", "cli_viewer", "--role", "viewer", input="รหัสผ่าน-บรรทัดคำสั่ง\n")
    khlang("users", "disable", "cli_viewer")
    khlang("tokens", "create", "--role", "viewer", "--name", "cli-token")
    assert "revoked 1" in khlang("tokens", "revoke", "cli-token")
    added = [e for e in events_of(archive.core, "user-added") if e.detail["user"] == "cli_viewer"]
    changed = [
        e for e in events_of(archive.core, "user-changed") if e.detail["user"] == "cli_viewer"
    ]
    revoked = [
        e for e in events_of(archive.core, "token-revoked") if e.detail["token"] == "cli-token"
    ]
    assert len(added) == len(changed) == len(revoked) == 1
    assert changed[0].detail["active"] == [True, False]
    assert {e.agent for e in added + changed + revoked} == {default_agent()}
    # and the admin's page shows them in its history
    history = ra.sign_in(archive.app, "admin1").get("/admin/accounts").text
    assert "cli_viewer" in history.split('id="account-history"')[1]


def test_the_home_page_reuses_its_gap_reports_until_the_data_changes(archive, monkeypatch):
    """Each fiscal year's report behind the completeness table is computed once, not on
    every load; a change (here a document's tags, through the API: an event) is seen on
    the next load."""
    from service.pages import home

    real, years = home.gap_facts, []
    monkeypatch.setattr(home, "gap_facts", lambda core, year, **kw: years.append(year) or real(core, year, **kw))  # fmt: skip
    home._reports.clear()
    strategy = ra.sign_in(archive.app, "strategy1")
    first = strategy.get("/home").text
    shown = len(years)
    assert 1 <= shown <= home.YEARS_AT_A_GLANCE and len(set(years)) == shown  # once each
    second = strategy.get("/home").text
    assert len(years) == shown  # the same reports again
    assert re.sub(r'value="[^"]+"', "", first) == re.sub(r'value="[^"]+"', "", second)
    changed = strategy.patch(
        f"/api/documents/{archive.doc['bundle']}",
        json={"tags": ["หน้าหลัก"]},
        headers={"X-CSRF-Token": strategy.csrf},
    )
    assert changed.status_code == 200, changed.text
    strategy.get("/home")
    assert len(years) == 2 * shown  # made again after the change


def test_the_accounts_page_lists_users_a_page_at_a_time(archive, monkeypatch):
    """USERS_PER_PAGE users on each page of /admin/accounts, by name, with a pager; a page
    number past the end shows the last page, one that is not a number the first."""
    from service.actions.accounts import list_users
    from service.pages import admin

    monkeypatch.setattr(admin, "USERS_PER_PAGE", 2)
    names = [u["name"] for u in list_users(archive.core)]
    assert len(names) > 2
    pages = -(-len(names) // 2)
    client = ra.sign_in(archive.app, "admin1")

    def listed(query: str) -> list[str]:
        page = client.get(f"/admin/accounts{query}").text
        users = page[page.index('id="users"') : page.index('id="add-user"')]
        return re.findall(r'<th scope="row">([^<]+)</th>', users), users

    first, users = listed("")
    assert first == names[:2]
    assert "หน้า ๑ / " in users and 'href="/admin/accounts?page=2#users"' in users
    second, _ = listed("?page=2")
    assert second == names[2:4]
    assert listed("?page=99")[0] == names[(pages - 1) * 2 :]
    assert listed("?page=abc")[0] == names[:2]
