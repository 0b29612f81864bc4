"""Issue 6: the web service. Every route for every role, each forbidden path refused, the
publication chain of seed 001, CSRF, tokens, and the API checked against its OpenAPI."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from indexer.ingest.jobs import run_ingest_job
from schemas.models import ApiToken, Batch, Document, Event, User
from service import create_app
from service.actions.publication import transition
from service.auth import add_user, create_token
from tests.conftest import SEED_FIXTURES, app_for, make_core
from tests.waiting import wait_until

PASSWORD = "รหัสผ่าน-ทดสอบ-1"
USERS = {
    "admin": ("admin", None),
    "strategy": ("strategy", None),
    "strategy2": ("strategy", None),
    "dsss_cm": ("dsss", "เชียงใหม่"),
    "dsss_cr": ("dsss", "เชียงราย"),
    "viewer": ("viewer", None),
}
INVENTORY_CSV = [
    [
        "ปีงบประมาณ",
        "จังหวัด",
        "โครงการ",
        "กิจกรรม",
        "หน่วยงานเจ้าภาพ",
        "ทรัพยากร/ผลลัพธ์",
        "จำนวน",
        "กำหนดส่ง",
    ],
    [
        "2562",
        "เชียงใหม่",
        "โครงการส่งเสริมการท่องเที่ยว",
        "กิจกรรมอบรม",
        "สำนักงานจังหวัดเชียงใหม่",
        "รายงานสรุปผลการอบรม",
        "1",
        "30 ก.ย. 2562",
    ],
    [
        "2562",
        "เชียงราย",
        "โครงการพัฒนาข้อมูล จปฐ.",
        "กิจกรรมสำรวจ",
        "สำนักงานพัฒนาชุมชนจังหวัดเชียงราย",
        "แบบสำรวจข้อมูล",
        "1",
        "30 ก.ย. 2562",
    ],
]


def inventory_csv_bytes() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(INVENTORY_CSV)
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("web") / "data")
    yield site
    site.app.extensions["khlang"].dispose()
    site.core.dispose()


def wait_for_jobs(core) -> None:
    """Until no upload job of the archive is running (tests end their archives after)."""

    def none_running() -> bool:
        with core.sessions() as session:
            return not session.scalars(select(Batch.id).where(Batch.status == "running")).first()

    wait_until(none_running, "the archive's upload jobs to finish")


def build_site(data_dir, database: str = "sqlite"):
    """An archive: four seed documents, a two-province inventory, a user of every role,
    and document 000 published through the whole chain."""
    from indexer.inventory import import_inventory, list_items

    core = make_core(data_dir, database)
    files = [
        SEED_FIXTURES / f"{n}.pdf"
        for n in (
            "000_b5296e7a1e0e78d3",
            "001_ea139409875e9751",
            "003_d2773d3a604759fe",
            "004_b16aa6efba4dfd19",
        )
    ]
    results = run_ingest_job(core, [str(f) for f in files], agent="dsss_cm")
    assert all(r.status == "ingested" for r in results), [r.as_dict() for r in results]
    ids = {r.filename[:3]: r.document_id for r in results}
    import_inventory(core, inventory_csv_bytes(), filename="inventory.csv", agent="strategy")
    items = {i["province"]: i["code"] for i in list_items(core, 2562)}
    for name, (role, province) in USERS.items():
        add_user(core, name, role, PASSWORD, province)
    transition(core, ids["000"], "check", agent="strategy")
    transition(core, ids["000"], "approve", agent="strategy2")
    transition(core, ids["000"], "publish", agent="strategy")
    app = app_for(core)
    return SimpleNamespace(core=core, app=app, ids=ids, items=items)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(app, name: str):
    client = app.test_client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "/"},
    )
    assert response.status_code == 302, response.text
    client.csrf = csrf_of(client.get("/").text)
    return client


@pytest.fixture(scope="module")
def clients(site):
    logged = {name: login(site.app, name) for name in USERS}
    logged["anon"] = site.app.test_client()
    logged["anon"].csrf = csrf_of(logged["anon"].get("/login").text)
    return logged


def post(client, path, **kwargs):
    headers = kwargs.pop("headers", {})
    headers.setdefault("X-CSRF-Token", getattr(client, "csrf", ""))
    return client.post(path, headers=headers, **kwargs)


# --- OpenAPI ---------------------------------------------------------------------------------


def openapi_checker(app):
    """check(response, path, method): the status is documented for the operation and the
    body conforms to its schema (the schemathesis test explores the API; this checks the
    answers of the flows below, as visitors and staff get them)."""
    import jsonschema

    spec = app.test_client().get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")

    def check(response, path: str, method: str = "get"):
        operation = spec["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path}: undocumented {status}"
        content = operation["responses"][status].get("content", {})
        if response.mimetype != "application/json":
            major = response.mimetype.split("/")[0]
            accepted = {response.mimetype, f"{major}/*", "*/*"}
            assert accepted & set(content), (path, response.mimetype)
            return
        schema = {**content["application/json"]["schema"], "components": spec["components"]}
        jsonschema.Draft202012Validator(schema).validate(response.get_json())

    check.spec = spec
    return check


@pytest.fixture(scope="module")
def openapi(site):
    return openapi_checker(site.app)


def test_every_api_route_is_in_the_openapi_document(site, openapi):
    from service.api_models.spec import openapi_path

    documented = {(path, method) for path, ops in openapi.spec["paths"].items() for method in ops}
    for rule in site.app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule == "/healthz"):
            continue
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    from jsonschema import Draft202012Validator

    for name, schema in openapi.spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name


# --- what visitors see -----------------------------------------------------------------------


def test_visitors_see_published_documents_and_nothing_of_the_rest(site, clients, openapi):
    anon, viewer = clients["anon"], clients["viewer"]
    published, internal = site.ids["000"], site.ids["003"]
    everything = anon.get("/api/search?q=&limit=50")
    openapi(everything, "/api/search")
    body = everything.get_json()
    assert body["total"] == 1
    assert [h["document_id"] for h in body["hits"]] == [published]
    assert all(v["count"] <= 1 for values in body["facets"].values() for v in values)
    # Chiang Rai's letter (003) is internal: no hit, no count, no title in facets, no page.
    letter = anon.get("/api/search", query_string={"q": "เชียงราย"}).get_json()
    assert letter["total"] == 0 and letter["hits"] == [] and letter["suggestion"] is None
    with site.core.sessions() as session:
        title = session.get(Document, internal).title
    assert title not in str(letter) and title not in str(body)
    for path in (
        f"/api/documents/{internal}",
        f"/api/documents/{internal}/file",
        f"/api/documents/{internal}/similar",
        f"/documents/{internal}",
    ):
        assert anon.get(path).status_code == 404, path
    assert anon.get(f"/api/documents/{internal}").get_json()["error"]["code"] == "not_found"
    page = anon.get(f"/?q={title[:20]}")
    assert title not in page.text
    assert anon.get(f"/api/documents/{published}").status_code == 200
    assert anon.get(f"/api/documents/{published}/file").status_code == 200
    assert anon.get(f"/documents/{published}").status_code == 200
    # Logged in, a viewer sees them all.
    seen = viewer.get("/api/search?q=&limit=50").get_json()
    assert seen["total"] == 4
    assert viewer.get(f"/api/documents/{internal}").status_code == 200


def test_similar_and_reuse_respect_visibility(site, clients, openapi):
    anon, admin = clients["anon"], clients["admin"]
    text = "แนวปฏิบัติการจัดเก็บทรัพยากรและผลลัพธ์โครงการกลุ่มจังหวัด เชียงใหม่ ลำพูน"
    response = post(anon, "/api/reuse", json={"text": text})
    openapi(response, "/api/reuse", "post")
    hits = response.get_json()["hits"]
    assert {h["document_id"] for h in hits} <= {site.ids["000"]}
    response = post(admin, "/api/reuse", json={"text": text})
    hits = response.get_json()["hits"]
    assert hits and hits[0]["shared_terms"]
    assert post(anon, "/api/reuse", json={}).get_json()["error"]["code"] == "text_required"
    page = post(admin, "/reuse", data={"text": text, "csrf_token": admin.csrf})
    assert page.status_code == 200 and "คำที่ตรงกัน" in page.text
    similar = admin.get(f"/api/documents/{site.ids['001']}/similar")
    openapi(similar, "/api/documents/{document_id}/similar")


# --- the forbidden paths ---------------------------------------------------------------------


def test_what_the_access_matrix_does_not_try_is_refused_too(site, clients):
    """tests/test_access_matrix.py tries every route for every role; these are the
    refusals that depend on the action or the document rather than the route."""
    published, internal = site.ids["000"], site.ids["004"]
    refusals = [
        # only an administrator withdraws a published document
        ("strategy", f"/api/documents/{published}/publication", {"action": "withdraw"}, 403),
        ("dsss_cm", f"/api/documents/{published}/publication", {"action": "withdraw"}, 403),
        ("anon", f"/api/documents/{published}/publication", {"action": "withdraw"}, 401),
        # a published document is still no visitor's to link
        ("anon", f"/api/documents/{published}/links", {"item_code": site.items["เชียงใหม่"]}, 401),
        ("dsss_cr", f"/api/documents/{internal}/publication", {"action": "approve"}, 403),
    ]
    for who, path, body, status in refusals:
        response = post(clients[who], path, json=body)
        assert response.status_code == status, (who, path, response.text)
        assert response.get_json()["error"]["message"]  # Thai message
    refused_page = clients["viewer"].get("/gaps")
    assert refused_page.status_code == 403 and "ไม่มีสิทธิ์เข้าถึง" in refused_page.text
    with site.core.sessions() as session:
        assert session.get(Document, published).publication == "published"
        assert session.get(Document, internal).publication == "internal"
        assert not session.get(Document, internal).links


# --- publication (seed 001) ------------------------------------------------------------------


def test_publication_chain_with_four_eyes_and_events(site, clients, openapi):
    doc = site.ids["001"]
    strategy, strategy2, admin, anon = (
        clients["strategy"],
        clients["strategy2"],
        clients["admin"],
        clients["anon"],
    )
    path = f"/api/documents/{doc}/publication"
    response = post(strategy, path, json={"action": "approve"})
    assert (
        response.status_code == 409 and response.get_json()["error"]["code"] == "invalid_transition"
    )
    openapi(response, "/api/documents/{document_id}/publication", "post")
    response = post(strategy, path, json={"action": "check"})
    openapi(response, "/api/documents/{document_id}/publication", "post")
    assert response.get_json()["publication"] == "checked"
    same = post(strategy, path, json={"action": "approve"})
    assert same.status_code == 409 and same.get_json()["error"]["code"] == "same_agent"
    assert post(strategy2, path, json={"action": "approve"}).get_json()["publication"] == "approved"
    assert anon.get(f"/api/documents/{doc}").status_code == 404  # approved is not published
    # The page's form does the last step.
    page = strategy.get(f"/documents/{doc}")
    assert "เผยแพร่" in page.text
    response = post(
        strategy,
        f"/documents/{doc}/publication",
        data={"action": "publish", "csrf_token": strategy.csrf},
    )
    assert response.status_code == 302
    assert anon.get(f"/api/documents/{doc}").status_code == 200
    assert doc in [h["document_id"] for h in anon.get("/api/search?q=&limit=50").get_json()["hits"]]
    with site.core.sessions() as session:
        events = session.scalars(
            select(Event)
            .where(Event.document_id == doc, Event.event_type == "publication")
            .order_by(Event.id)
        ).all()
        assert [(e.detail["to"], e.agent) for e in events] == [
            ("checked", "strategy"),
            ("approved", "strategy2"),
            ("published", "strategy"),
        ]
    # An administrator withdraws it: the visitor loses it everywhere at once.
    assert post(admin, path, json={"action": "withdraw"}).get_json()["publication"] == "internal"
    assert anon.get(f"/api/documents/{doc}").status_code == 404
    assert anon.get(f"/documents/{doc}/").status_code == 404
    assert doc not in [
        h["document_id"] for h in anon.get("/api/search?q=&limit=50").get_json()["hits"]
    ]
    timeline = admin.get(f"/documents/{doc}").text
    assert "สถานะการเผยแพร่" in timeline and "strategy2" in timeline


# --- links -----------------------------------------------------------------------------------


def test_dsss_links_items_of_their_own_province(site, clients, openapi):
    doc, code = site.ids["004"], site.items["เชียงใหม่"]
    dsss = clients["dsss_cm"]
    response = post(dsss, f"/api/documents/{doc}/links", json={"item_code": code})
    openapi(response, "/api/documents/{document_id}/links", "post")
    assert [link["code"] for link in response.get_json()["links"]] == [code]
    inventory = dsss.get("/api/inventory?fiscal_year=2562&province=เชียงใหม่")
    openapi(inventory, "/api/inventory")
    assert inventory.get_json()["items"][0]["received"] == 1
    missing = post(dsss, f"/api/documents/{doc}/links", json={"item_code": "INV-2562-ZZZZZZ"})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "item_not_found"
    response = dsss.delete(
        f"/api/documents/{doc}/links/{code}", headers={"X-CSRF-Token": dsss.csrf}
    )
    openapi(response, "/api/documents/{document_id}/links/{code}", "delete")
    assert response.get_json()["links"] == []
    again = dsss.delete(f"/api/documents/{doc}/links/{code}", headers={"X-CSRF-Token": dsss.csrf})
    assert again.status_code == 404
    suggestions = dsss.get(f"/api/documents/{doc}/suggestions")
    openapi(suggestions, "/api/documents/{document_id}/suggestions")
    # The page's form links too.
    page = post(
        dsss,
        f"/documents/{doc}/links",
        data={"item_code": code, "op": "link", "csrf_token": dsss.csrf},
    )
    assert page.status_code == 302
    assert code in dsss.get(f"/documents/{doc}").text


def test_a_letters_deadline_becomes_an_items_due_date(site, clients, openapi):
    """Issue 7: deadlines are offered as due dates for inventory items (seed 004 sets
    Friday 30 June 2566)."""
    doc, code = site.ids["004"], site.items["เชียงใหม่"]
    dsss = clients["dsss_cm"]
    [item] = dsss.get("/api/inventory?fiscal_year=2562&province=เชียงใหม่").get_json()["items"]
    post(dsss, f"/api/documents/{doc}/links", json={"item_code": code})
    page = dsss.get(f"/documents/{doc}").text
    assert "ใช้เป็นกำหนดส่ง" in page and 'value="2023-06-30"' in page
    other = post(
        clients["dsss_cr"],
        f"/api/documents/{doc}/due-date",
        json={"item_code": code, "due_date": "2023-06-30"},
    )
    assert other.status_code == 403
    response = post(
        dsss, f"/api/documents/{doc}/due-date", json={"item_code": code, "due_date": "2023-06-30"}
    )
    openapi(response, "/api/documents/{document_id}/due-date", "post")
    assert response.get_json()["due_date"] == "2023-06-30"
    thai = post(
        dsss, f"/api/documents/{doc}/due-date", json={"item_code": code, "due_date": "๑ ก.ค. ๒๕๖๖"}
    )
    assert thai.get_json()["due_date"] == "2023-07-01"
    bad = post(
        dsss, f"/api/documents/{doc}/due-date", json={"item_code": code, "due_date": "ไม่ใช่วัน"}
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_date"
    with site.core.sessions() as session:
        events = session.scalars(
            select(Event).where(Event.document_id == doc, Event.event_type == "due-date-set")
        ).all()
        assert [e.detail["due_date"] for e in events] == ["2023-06-30", "2023-07-01"]
        assert events[1].detail["previous"] == "2023-06-30"
        assert events[0].agent and events[0].agent == events[1].agent
    # The module's other tests re-import the inventory unchanged: put things back.
    restored = post(
        dsss,
        f"/api/documents/{doc}/due-date",
        json={"item_code": code, "due_date": item["due_date"]},
    )
    assert restored.get_json()["due_date"] == item["due_date"]
    dsss.delete(f"/api/documents/{doc}/links/{code}", headers={"X-CSRF-Token": dsss.csrf})


# --- CSRF, sessions, tokens ------------------------------------------------------------------


def test_csrf_is_required_on_session_posts(site, clients):
    strategy = clients["strategy"]
    path = f"/api/documents/{site.ids['004']}/publication"
    refused = strategy.post(path, json={"action": "check"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    wrong = strategy.post(path, json={"action": "check"}, headers={"X-CSRF-Token": "x" * 40})
    assert wrong.status_code == 400
    page = strategy.post(f"/documents/{site.ids['004']}/publication", data={"action": "check"})
    assert page.status_code == 400 and "แบบฟอร์มหมดอายุ" in page.text
    fresh = site.app.test_client()
    assert fresh.post("/login", data={"name": "admin", "password": PASSWORD}).status_code == 400
    with site.core.sessions() as session:
        assert session.get(Document, site.ids["004"]).publication == "internal"


def test_login_logout_and_cookie_flags(site):
    client = site.app.test_client()
    page = client.get("/login")
    bad = client.post(
        "/login", data={"name": "admin", "password": "wrong", "csrf_token": csrf_of(page.text)}
    )
    assert bad.status_code == 401 and "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in bad.text
    nobody = client.post(
        "/login", data={"name": "ไม่มี", "password": "x", "csrf_token": csrf_of(page.text)}
    )
    assert nobody.status_code == 401
    ok = client.post(
        "/login",
        data={
            "name": "viewer",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "https://evil.example/",
        },
    )
    assert ok.headers["Location"] == "/home"  # no open redirect: the home page instead
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/api/me").get_json()["name"] == "viewer"
    token = csrf_of(client.get("/").text)
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/api/me").get_json()["authenticated"] is False
    # Outside testing, the session cookie is Secure.
    secure_app = create_app({"KHLANG_DATA_DIR": str(site.core.settings.data_dir)})
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    assert secure_app.config["SECRET_KEY"] == site.app.config["SECRET_KEY"]  # kept in data dir
    assert (site.core.settings.data_dir / "secret_key").stat().st_mode & 0o077 == 0
    secure_app.extensions["khlang"].dispose()


def test_api_tokens_are_stored_hashed_and_checked(site, openapi):
    token = create_token(site.core, "script", "viewer")
    with site.core.sessions() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)
    client = site.app.test_client()
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    openapi(me, "/api/me")
    assert me.get_json() == {
        "authenticated": True,
        "kind": "token",
        "name": "script",
        "role": "viewer",
        "province": None,
    }
    bad = client.get("/api/search?q=x", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "bad_token"
    assert "Bearer" in bad.headers["WWW-Authenticate"]
    assert client.get("/api/me", headers={"Authorization": "Basic abc"}).status_code == 401
    with site.core.transaction() as session:
        for row in session.scalars(select(ApiToken).where(ApiToken.name == "script")):
            row.revoked = True
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_cli_users_and_tokens(site, tmp_path):
    from click.testing import CliRunner

    from service.cli import main

    runner = CliRunner()
    args = ["--data-dir", str(site.core.settings.data_dir)]
    env = {"KHLANG_DATABASE_URL": site.core.settings.database_url}
    added = runner.invoke(
        main,
        [*args, "users", "add", "สมชาย", "--role", "dsss", "--province", "จังหวัดลำพูน"],
        input="long-password-1\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    with site.core.sessions() as session:
        user = session.scalar(select(User).where(User.name == "สมชาย"))
        assert user.role == "dsss" and user.province.name == "ลำพูน"
        assert (
            user.password_hash.startswith("$argon2") and "long-password-1" not in user.password_hash
        )
    short = runner.invoke(
        main, [*args, "users", "add", "x", "--role", "viewer"], input="short\n", env=env
    )
    assert short.exit_code != 0
    unknown = runner.invoke(
        main,
        [*args, "users", "add", "y", "--role", "dsss", "--province", "ไม่มีจังหวัดนี้"],
        input="long-password-1\n",
        env=env,
    )
    assert unknown.exit_code != 0
    created = runner.invoke(
        main, [*args, "tokens", "create", "--role", "strategy", "--name", "nightly"], env=env
    )
    assert created.exit_code == 0
    token = created.output.split()[-1]
    me = site.app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["role"] == "strategy"
    login_client = site.app.test_client()
    page = login_client.get("/login")
    ok = login_client.post(
        "/login",
        data={"name": "สมชาย", "password": "long-password-1", "csrf_token": csrf_of(page.text)},
    )
    assert ok.status_code == 302


def test_dsss_tokens_act_for_their_province(site, openapi):
    from click.testing import CliRunner

    from service.cli import main

    runner = CliRunner()
    args = ["--data-dir", str(site.core.settings.data_dir)]
    env = {"KHLANG_DATABASE_URL": site.core.settings.database_url}

    def khlang(*words, input=None):
        return runner.invoke(main, [*args, *words], input=input, env=env)

    created = khlang(
        "tokens", "create", "--role", "dsss", "--name", "cm-script", "--province", "จ.เชียงใหม่"
    )
    assert created.exit_code == 0, created.output
    headers = {"Authorization": f"Bearer {created.output.split()[-1]}"}
    client = site.app.test_client()
    me = client.get("/api/me", headers=headers).get_json()
    assert (me["role"], me["province"]) == ("dsss", "เชียงใหม่")
    doc, own, other = site.ids["001"], site.items["เชียงใหม่"], site.items["เชียงราย"]
    linked = client.post(f"/api/documents/{doc}/links", json={"item_code": own}, headers=headers)
    openapi(linked, "/api/documents/{document_id}/links", "post")
    assert linked.status_code == 200, linked.text
    assert client.delete(f"/api/documents/{doc}/links/{own}", headers=headers).status_code == 200
    refused = client.post(f"/api/documents/{doc}/links", json={"item_code": other}, headers=headers)
    assert refused.status_code == 403
    report = client.get("/api/gaps?fiscal_year=2562", headers=headers)
    assert report.status_code == 200
    assert {g["name"] for g in report.get_json()["by_province"]} == {"เชียงใหม่"}
    # Refusals name the problem in Thai and English, like every other CLI error.
    for words in (
        ("tokens", "create", "--role", "dsss", "--name", "no-province"),
        ("users", "add", "ไม่มีจังหวัด", "--role", "dsss"),
    ):
        result = khlang(*words, input="long-password-1\n")
        assert result.exit_code != 0, words
        assert "ต้องระบุจังหวัด" in result.output and "needs --province" in result.output, words
    unknown = khlang("tokens", "create", "--role", "dsss", "--name", "x", "--province", "ไม่มีจังหวัดนี้")
    assert unknown.exit_code != 0 and "unknown province" in unknown.output
    with site.core.sessions() as session:
        names = set(session.scalars(select(ApiToken.name)))
        assert "no-province" not in names and "x" not in names


# --- uploads and jobs ------------------------------------------------------------------------


def wait_for_job(client, job_id):
    def answer_when_done():
        answer = client.get(f"/api/jobs/{job_id}")
        return answer if answer.get_json()["status"] != "running" else None

    return wait_until(answer_when_done, f"job {job_id} to finish", every=0.2)


def test_upload_zip_with_thai_names_and_an_item(site, clients, openapi):
    dsss, other = clients["dsss_cm"], clients["dsss_cr"]
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(
            SEED_FIXTURES / "002_0090340a6c3e03ac.docx",
            "รายงานการประชุม/รายงานการประชุมประจำเดือน.docx",
        )
        archive.writestr("ว่างเปล่า.pdf", b"")
    bundle.seek(0)
    code = site.items["เชียงใหม่"]
    response = post(
        dsss,
        "/api/uploads",
        data={
            "files": [
                (bundle, "ผลงานโครงการ.zip"),
                (
                    io.BytesIO((SEED_FIXTURES / "004_b16aa6efba4dfd19.docx").read_bytes()),
                    "หนังสือเวียน ฉช.docx",
                ),
            ],
            "item_code": code,
        },
        content_type="multipart/form-data",
    )
    openapi(response, "/api/uploads", "post")
    assert response.status_code == 202, response.text
    job_id = response.get_json()["job_id"]
    assert other.get(f"/api/jobs/{job_id}").status_code == 404  # another officer's job
    done = wait_for_job(dsss, job_id)
    openapi(done, "/api/jobs/{job_id}")
    job = done.get_json()
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in job["files"]}
    assert by_name["รายงานการประชุมประจำเดือน.docx"]["status"] == "ingested"
    assert by_name["ว่างเปล่า.pdf"]["status"] == "rejected" and by_name["ว่างเปล่า.pdf"]["error"]
    assert by_name["หนังสือเวียน ฉช.docx"]["status"] == "ingested"
    assert clients["strategy"].get(f"/api/jobs/{job_id}").status_code == 200
    page = dsss.get(f"/upload/jobs/{job_id}")
    assert "ปฏิเสธ" in page.text and "รายงานการประชุมประจำเดือน.docx" in page.text
    new_id = by_name["หนังสือเวียน ฉช.docx"]["document_id"]
    document = dsss.get(f"/api/documents/{new_id}").get_json()
    assert document["filename"].endswith("หนังสือเวียน ฉช.docx")
    assert [link["code"] for link in document["links"]] == [code]
    assert document["publication"] == "internal"
    assert not list((site.core.settings.tmp_dir / "uploads").glob("job-*"))  # cleaned up
    empty = post(dsss, "/api/uploads", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400 and empty.get_json()["error"]["code"] == "no_files"


def test_upload_form_without_javascript_lands_on_the_job_page(site, clients):
    admin = clients["admin"]
    data = {
        "files": (
            io.BytesIO(b"\xe0\xb8\x97\xe0\xb8\x94\xe0\xb8\xaa\xe0\xb8\xad\xe0\xb8\x9a " * 50),
            "บันทึก.txt",
        ),
        "csrf_token": admin.csrf,
    }
    response = admin.post("/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and "/upload/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    wait_for_job(admin, job_id)
    assert "บันทึก.txt" in admin.get(response.headers["Location"]).text


def test_too_large_uploads_are_refused_with_json(site, clients):
    site.app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = post(
            clients["admin"], "/api/uploads", data={"files": (io.BytesIO(b"x" * 5000), "big.bin")}
        )
    finally:
        site.app.config["MAX_CONTENT_LENGTH"] = 2 * 1024**3
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


# --- inventory and gaps ----------------------------------------------------------------------


def test_inventory_import_template_and_pages(site, clients, openapi):
    strategy = clients["strategy"]
    template = strategy.get("/api/inventory/template")
    openapi(template, "/api/inventory/template")
    assert template.data[:2] == b"PK"
    imported = post(
        strategy,
        "/api/inventory/import",
        data={"file": (io.BytesIO(inventory_csv_bytes()), "บัญชี.csv")},
    )
    openapi(imported, "/api/inventory/import", "post")
    assert imported.get_json()["unchanged"] == 2
    bad = post(
        strategy, "/api/inventory/import", data={"file": (io.BytesIO(b"\x00\x01"), "x.xlsx")}
    )
    assert bad.status_code in (200, 400)
    page = strategy.get("/inventory?fiscal_year=2562&province=เชียงราย")
    assert "แบบสำรวจข้อมูล" in page.text and "รายงานสรุปผลการอบรม" not in page.text
    form = post(
        strategy,
        "/inventory",
        data={"file": (io.BytesIO(inventory_csv_bytes()), "บัญชี.csv"), "csrf_token": strategy.csrf},
        content_type="multipart/form-data",
    )
    assert form.status_code == 200 and "import-result" in form.text


def test_gap_report_json_csv_xlsx_and_pages(site, clients, openapi):
    strategy, dsss = clients["strategy"], clients["dsss_cr"]
    report = strategy.get("/api/gaps?fiscal_year=2562&as_of=2019-12-01")
    openapi(report, "/api/gaps")
    body = report.get_json()
    assert {g["name"] for g in body["by_province"]} == {"เชียงใหม่", "เชียงราย"}
    own = dsss.get("/api/gaps?fiscal_year=2562").get_json()
    assert {g["name"] for g in own["by_province"]} == {"เชียงราย"}
    csv_export = strategy.get("/api/gaps?fiscal_year=2562&format=csv")
    assert csv_export.status_code == 200 and csv_export.mimetype == "text/csv"
    assert "แบบสำรวจข้อมูล" in csv_export.data.decode("utf-8-sig")
    xlsx = strategy.get("/api/gaps?fiscal_year=2562&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert strategy.get("/api/gaps").get_json()["error"]["code"] == "bad_argument"
    assert strategy.get("/api/gaps?fiscal_year=2562&as_of=31/12").status_code == 400
    page = strategy.get("/gaps?fiscal_year=2562&as_of=2019-12-01")
    assert page.status_code == 200 and "<svg" in page.text and "เกินกำหนด" in page.text
    assert "๑ ธันวาคม ๒๕๖๒" in page.text
    # the day as staff write it, in a Thai date box (no Gregorian date picker)
    thai = strategy.get("/gaps?fiscal_year=2562&as_of=๑ ธ.ค. ๒๕๖๒")
    assert thai.status_code == 200 and "๑ ธันวาคม ๒๕๖๒" in thai.text
    assert 'type="date"' not in thai.text and "data-thai-date" in thai.text
    assert 'name="agency"' in thai.text and 'name="project"' in thai.text
    unreadable = strategy.get("/gaps?fiscal_year=2562&as_of=31/12")
    assert unreadable.status_code == 400
    assert "อ่านวันที่ไม่ได้ เขียนได้เช่น" in unreadable.text and "31/12" in unreadable.text
    printable = strategy.get("/gaps/print?fiscal_year=2562")
    assert printable.status_code == 200 and "print-page" in printable.text


# --- pages, language, headers ----------------------------------------------------------------


def test_search_page_facets_snippets_paging_and_english(site, clients):
    admin = clients["admin"]
    page = admin.get("/?q=จังหวัด")
    assert page.status_code == 200
    assert "<mark>" in page.text and "ปีงบประมาณ" in page.text
    assert 'class="facet"' in page.text
    filtered = admin.get("/?q=จังหวัด&category=text&sort=date")
    assert filtered.status_code == 200 and "ล้างตัวกรอง" in filtered.text
    english = admin.get("/?q=จังหวัด&lang=en")
    assert "Search" in english.text and "Log out" in english.text
    assert "lang=en" in english.headers.get("Set-Cookie", "")
    assert "Log out" in admin.get("/").text  # remembered by the cookie
    admin.get("/?lang=th")
    assert admin.get("/api/search?q=จังหวัด&limit=1&offset=1").get_json()["hits"]
    assert admin.get("/api/search?limit=0").status_code == 400
    assert admin.get("/api/search?sort=size").status_code == 400
    assert admin.get("/api/search?fiscal_year=abc").status_code == 400


def test_document_page_shows_metadata_text_provenance_and_download(site, clients):
    admin, anon = clients["admin"], clients["anon"]
    doc = site.ids["003"]
    page = admin.get(f"/documents/{doc}")
    assert page.status_code == 200
    for label in (
        "ข้อมูลหนังสือราชการ",
        "ประวัติการจัดเก็บ",
        "รับไฟล์",
        "จัดเก็บต้นฉบับ",
        "ดาวน์โหลดต้นฉบับ",
        "จังหวัดเชียงราย",
    ):
        assert label in page.text, label
    assert re.search(r"[๐-๙]{1,2} [ก-๙.]+ ๒๕[๐-๙]{2}", page.text)  # Thai date, B.E.
    download = admin.get(f"/api/documents/{doc}/file")
    assert download.data == (SEED_FIXTURES / "003_d2773d3a604759fe.pdf").read_bytes()
    published = anon.get(f"/documents/{site.ids['000']}")
    assert "การส่งไฟล์" not in published.text  # who submitted is for staff
    assert anon.get("/documents/999999").status_code == 404


def test_security_headers_and_gzip(site, clients):
    response = clients["admin"].get("/?q=จังหวัด", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert clients["anon"].get("/static/fonts/sarabun-thai-400-normal.woff2").status_code == 200
    assert clients["anon"].get("/api/nothing").get_json()["error"]["code"] == "not_found"
    assert clients["anon"].get("/nothing").status_code == 404


def test_healthz_and_openapi_are_public(site, openapi):
    client = site.app.test_client()
    openapi(client.get("/healthz"), "/healthz")
    assert client.get("/api/openapi.json").status_code == 200


def test_concurrent_searches_while_a_job_ingests(site, clients):
    """Request threads share nothing in the index reader: no errors under concurrency, and
    an ingestion job running in the service does not stop searches."""
    import threading

    admin = clients["admin"]
    files = [
        (io.BytesIO((SEED_FIXTURES / name).read_bytes() + b"\n"), f"สำเนา-{name}")
        for name in (
            "000_b5296e7a1e0e78d3.docx",
            "001_ea139409875e9751.docx",
            "003_d2773d3a604759fe.docx",
        )
    ]
    job = post(admin, "/api/uploads", data={"files": files}).get_json()["job_id"]
    statuses: list[int] = []

    def searcher(query: str) -> None:
        client = site.app.test_client()
        for _ in range(8):
            statuses.append(client.get("/api/search", query_string={"q": query}).status_code)

    threads = [
        threading.Thread(target=searcher, args=(q,))
        for q in ("จังหวัด", "โครงการ", "เชียงใหม่", "ข้อมูล")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 32
    assert wait_for_job(admin, job).get_json()["status"] == "finished"


def test_letter_facets_and_filters_through_the_api_and_page(site, clients, openapi):
    """Issue 7: kind, sender, urgency and has-deadline drive facets and filters. (Other
    tests of this module add documents, so hits are checked against the database.)"""
    viewer = clients["viewer"]

    def letters(hits) -> dict[int, dict]:
        with site.core.sessions() as session:
            return {
                h["document_id"]: session.get(Document, h["document_id"]).meta.get("letter") or {}
                for h in hits
            }

    response = viewer.get("/api/search?q=จังหวัด&urgency=ด่วนที่สุด")
    openapi(response, "/api/search")
    urgent = letters(response.get_json()["hits"])
    assert site.ids["003"] in urgent and site.ids["004"] not in urgent
    assert {letter.get("urgency") for letter in urgent.values()} == {"ด่วนที่สุด"}
    unfiltered = viewer.get("/api/search?q=จังหวัด").get_json()
    senders = {entry["value"] for entry in unfiltered["facets"]["sender"]}
    assert {"ศาลากลางจังหวัดเชียงราย", "ศาลากลางจังหวัดฉะเชิงเทรา"} <= senders
    by_sender = letters(
        viewer.get("/api/search?q=จังหวัด&sender=ศาลากลางจังหวัดฉะเชิงเทรา").get_json()["hits"]
    )
    assert site.ids["004"] in by_sender and site.ids["003"] not in by_sender
    assert {letter.get("office") for letter in by_sender.values()} == {"ศาลากลางจังหวัดฉะเชิงเทรา"}
    query = "/api/search?q=ผู้ส่ง:ศาลากลางจังหวัดเชียงราย มีกำหนดส่ง:ใช่"
    with_deadline = letters(viewer.get(query).get_json()["hits"])
    assert site.ids["003"] in with_deadline
    assert {letter.get("office") for letter in with_deadline.values()} == {"ศาลากลางจังหวัดเชียงราย"}
    page = viewer.get("/?q=จังหวัด").text
    assert "ความเร่งด่วน" in page and "ด่วนที่สุด" in page and "หน่วยงานผู้ส่ง" in page
    # a filter the page cannot read is left out, the others still narrow the search
    bad = viewer.get("/api/search?q=จังหวัด&sender=ศาลากลางจังหวัดฉะเชิงเทรา&urgency=เร็ว")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_argument"
    page = viewer.get("/?q=จังหวัด&sender=ศาลากลางจังหวัดฉะเชิงเทรา&urgency=เร็ว").text
    assert f'/documents/{site.ids["004"]}"' in page
    assert f'/documents/{site.ids["003"]}"' not in page


def test_a_new_worker_builds_the_search_tables_in_the_background(core, tmp_path):
    """Outside tests the factory warms the index (ids, facet tables) in a thread, so the
    first search of a gunicorn worker does not wait for them, also when another worker
    holds the start-up repair's lock."""
    run_ingest_job(core, [str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf")], agent="dsss")
    app = create_app(
        {
            "TESTING": True,
            "KHLANG_WARM_SEARCH": True,
            # the start-up repair reads the index too; without it only the warm-up can
            "KHLANG_REPAIR_INDEX_AT_START": False,
            "KHLANG_DATA_DIR": str(core.settings.data_dir),
            "KHLANG_DATABASE_URL": core.settings.database_url,
        }
    )
    index = app.extensions["khlang"].search_backend.search_index  # Whoosh's tables
    wait_until(lambda: index._cache is not None, "the background warm-up")
    assert int(index._cache.live.sum()) == 1
    app.extensions["khlang"].dispose()


LETTER_003_NUMBER = "ขร ๐๐๑๙.๑/ ๑๙๕๕๕"


def test_start_up_indexes_what_a_crash_left_unindexed(core):
    """A document committed to the database but never written to the index (the process
    died in between) is indexed before the service answers its first search."""
    [result] = run_ingest_job(core, [str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf")], agent="dsss")
    core.search_backend.delete([result.document_id])
    with core.transaction() as session:
        session.get(Document, result.document_id).indexed_version = None
    assert core.search_backend.search(LETTER_003_NUMBER).as_dict()["total"] == 0
    app = app_for(core)
    found = app.extensions["khlang"].search_backend.search(LETTER_003_NUMBER).as_dict()
    assert [h["document_id"] for h in found["hits"]] == [result.document_id]
    app.extensions["khlang"].dispose()


def test_start_up_rebuilds_an_index_of_another_version_in_the_background(core):
    """An index written by another schema or analyzer version is rebuilt without holding
    up the worker's start; the documents are findable once it is swapped in."""
    import json

    [result] = run_ingest_job(core, [str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf")], agent="dsss")
    index_dir = core.settings.index_dir
    meta_path = index_dir / (index_dir / "CURRENT").read_text("utf-8").strip() / "khlang.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta_path.write_text(json.dumps({**meta, "schema_version": "an older one"}), "utf-8")
    app = app_for(core)
    backend = app.extensions["khlang"].search_backend
    wait_until(lambda: not backend.check().needs_rebuild, "the background rebuild")
    found = backend.search(LETTER_003_NUMBER).as_dict()
    assert [h["document_id"] for h in found["hits"]] == [result.document_id]
    app.extensions["khlang"].dispose()


# --- malformed input ---------------------------------------------------------------------------


def test_malformed_api_input_is_refused_with_a_reason_not_a_500(site, clients, openapi):
    admin = clients["admin"]
    doc = site.ids["004"]
    templates = (
        "/api/documents/{document_id}/publication",
        "/api/documents/{document_id}/links",
        "/api/documents/{document_id}/due-date",
    )
    for template in templates:
        path = template.format(document_id=doc)
        for body in ("[1, 2]", '["item_code"]', '"text"', "5", "null"):
            response = post(admin, path, data=body, content_type="application/json")
            assert response.status_code == 400, (path, body, response.text)
            problem = response.get_json()["error"]
            assert problem["code"] == "invalid_body"
            assert problem["message"].startswith("ข้อมูลที่ส่งมาไม่ถูกต้อง") and problem["message_en"]
            openapi(response, template, "post")
        broken = post(admin, path, data="{not json", content_type="application/json")
        assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "invalid_json"
    wrong_type = post(admin, f"/api/documents/{doc}/links", json={"item_code": 5})
    assert wrong_type.status_code == 400
    assert "item_code" in wrong_type.get_json()["error"]["message"]
    assert "item_code" in wrong_type.get_json()["error"]["message_en"]
    note = post(admin, f"/api/documents/{doc}/publication", json={"action": "check", "note": []})
    assert note.status_code == 400 and "note" in note.get_json()["error"]["message_en"]
    missing = post(admin, "/api/reuse", json={"limit": 3})
    assert missing.get_json()["error"]["code"] == "text_required"
    with site.core.sessions() as session:
        assert session.get(Document, doc).publication == "internal"  # nothing was done


def test_ids_past_any_row_are_not_found(any_core):
    """A path id past the database's integer range is a 404, not an OverflowError
    (SQLite) or a numeric-range error (PostgreSQL) answering 500."""
    app = app_for(any_core)
    client = app.test_client()
    token = create_token(any_core, "ids", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for number in (2**31 - 1, 2**31, 2**63, 99999999999999999999999):
            for path in (
                f"/api/jobs/{number}",
                f"/api/documents/{number}",
                f"/api/documents/{number}/file",
                f"/api/documents/{number}/similar",
                f"/documents/{number}",
                f"/upload/jobs/{number}",
            ):
                response = client.get(path, headers=headers)
                assert response.status_code == 404, (path, response.status_code)
                if path.startswith("/api/"):
                    assert response.get_json()["error"]["code"] == "not_found"
            unlink = client.delete(f"/api/documents/{number}/links/X", headers=headers)
            assert unlink.status_code == 404
        for year in (100, 2399, 2701, 99999999999999999999):  # no B.E. year the service knows
            response = client.get(f"/api/inventory/deadlines/{year}", headers=headers)
            assert response.status_code == 404, (year, response.status_code)
        assert client.get("/api/inventory/deadlines/2562", headers=headers).status_code == 200
    finally:
        app.extensions["khlang"].dispose()


# --- what visitors see of a document -----------------------------------------------------------

CITING_LETTER = """ด่วนที่สุด
ที่ ขร ๐๐๑๙.๑/ ๒๐๐๐๐
ศาลากลางจังหวัดเชียงราย
ถนนแม่ฟ้าหลวง ขร ๕๗๑๐๐
๑ กรกฎาคม ๒๕๖๗
เรื่อง ติดตามการปรับแผนการปฏิบัติงาน
เรียน นายอำเภอทุกอำเภอ
อ้างถึง หนังสือจังหวัดเชียงราย ด่วนที่สุด ที่ ขร ๐๐๑๙.๑/ ๑๙๕๕๕ ลงวันที่ ๑๙ มิถุนายน ๒๕๖๗
ตามที่จังหวัดเชียงรายได้แจ้งการปรับแผนการปฏิบัติงาน ขอให้อำเภอรายงานผลภายในวันที่ ๓๑ กรกฎาคม ๒๕๖๗
จึงเรียนมาเพื่อโปรดทราบ
ขอแสดงความนับถือ
นางอำไพ บัวระดก
พัฒนาการจังหวัด
"""
# What staff see of a document and visitors do not.
STAFF_ONLY_METADATA = {
    "kind_evidence",
    "kind_scores",
    "document_date_source",
    "fiscal_year_source",
    "technical",
}


def publish(core, document_id: int) -> None:
    transition(core, document_id, "check", agent="ผู้ตรวจ")
    transition(core, document_id, "approve", agent="ผู้อนุมัติ")
    transition(core, document_id, "publish", agent="ผู้เผยแพร่")


def test_visitors_get_the_public_view_of_a_document(core, app, client, anon_client, tmp_path):
    from indexer.inventory import import_inventory, list_items

    letter_path = tmp_path / "หนังสือติดตาม.txt"
    letter_path.write_text(CITING_LETTER, encoding="utf-8")
    cited_pdf = SEED_FIXTURES / "003_d2773d3a604759fe.pdf"
    results = run_ingest_job(core, [str(cited_pdf), str(letter_path)], agent="เจ้าหน้าที่ดีเอสเอสเอส")
    cited, letter = (r.document_id for r in results)
    import_inventory(core, inventory_csv_bytes(), filename="inventory.csv", agent="strategy")
    code = next(i["code"] for i in list_items(core, 2562) if i["province"] == "เชียงราย")
    assert (
        client.post(f"/api/documents/{letter}/links", json={"item_code": code}).status_code == 200
    )
    publish(core, letter)
    check = openapi_checker(app)

    staff_response = client.get(f"/api/documents/{letter}")
    check(staff_response, "/api/documents/{document_id}")
    staff = staff_response.get_json()
    assert staff["submissions"][0]["submitted_by"] == "เจ้าหน้าที่ดีเอสเอสเอส"
    assert any(str(tmp_path) in str(e["detail"].get("source_path")) for e in staff["provenance"])
    assert {e["agent"] for e in staff["provenance"]} >= {"ผู้ตรวจ", "ผู้อนุมัติ"}
    assert staff["metadata"]["kind_evidence"] and staff["links"][0]["linked_by"] == "token:tests"
    assert staff["metadata"]["letter"]["references"][0]["document_id"] == cited

    response = anon_client.get(f"/api/documents/{letter}")
    check(response, "/api/documents/{document_id}")
    public = response.get_json()
    assert set(public) == set(staff) - {"submissions", "notes", "tags"}  # staff only
    assert set(staff["metadata"]) >= STAFF_ONLY_METADATA
    assert set(public["metadata"]) == set(staff["metadata"]) - STAFF_ONLY_METADATA
    assert public["metadata"]["letter"]["number_normalized"] == "ขร 0019.1/20000"
    assert [set(link) for link in public["links"]] == [
        {"code", "title", "project", "activity", "fiscal_year"}
    ]
    assert public["provenance"], "the publication history stays public"
    for event in public["provenance"]:
        assert set(event) == {"event", "at", "outcome", "detail"}, event
        assert set(event["detail"]) <= {"from", "to", "mime", "category", "size", "sha256"}
    for secret in ("เจ้าหน้าที่ดีเอสเอสเอส", "ผู้ตรวจ", "token:tests", str(tmp_path), "letter +"):
        assert secret not in response.text, secret
    # The cited letter is internal: a visitor is not told it exists.
    assert public["metadata"]["letter"]["references"][0]["document_id"] is None
    page = anon_client.get(f"/documents/{letter}")
    assert page.status_code == 200 and "ติดตามการปรับแผน" in page.text
    for secret in ("เจ้าหน้าที่ดีเอสเอสเอส", "ผู้ตรวจ", "token:tests", str(tmp_path)):
        assert secret not in page.text, secret
    publish(core, cited)
    public = anon_client.get(f"/api/documents/{letter}").get_json()
    assert public["metadata"]["letter"]["references"][0]["document_id"] == cited


def test_visitors_see_published_documents_not_approved_ones(
    core, app, client, anon_client, tmp_path
):
    """Seed 001: the governor approves publication, then the publisher reviews it once more
    and puts it up (step 4). Until then visitors get no hit, no count and no facet value."""
    path = tmp_path / "ประกาศหนองบัว.txt"
    path.write_text("ประกาศรับสมัครอาสาสมัครพัฒนาชุมชน บ้านหนองบัวแดง ปีงบประมาณ ๒๕๖๗\n" * 5, "utf-8")
    [result] = run_ingest_job(core, [str(path)], agent="dsss")
    document_id = result.document_id
    transition(core, document_id, "check", agent="strategy")
    transition(core, document_id, "approve", agent="strategy2")
    assert client.get("/api/search?q=หนองบัวแดง").get_json()["total"] == 1
    for query in ("หนองบัวแดง", ""):
        seen = anon_client.get("/api/search", query_string={"q": query}).get_json()
        assert seen["total"] == 0 and seen["hits"] == [], query
        assert all(values == [] for values in seen["facets"].values()), seen["facets"]
    assert anon_client.get(f"/api/documents/{document_id}").status_code == 404
    assert "หนองบัวแดง" not in anon_client.get("/?q=หนองบัวแดง").text.split("</form>", 1)[1]
    transition(core, document_id, "publish", agent="strategy")
    seen = anon_client.get("/api/search?q=หนองบัวแดง").get_json()
    assert seen["total"] == 1 and seen["hits"][0]["document_id"] == document_id


# --- CSRF for scripts and sessions ------------------------------------------------------------


def test_scripts_call_the_open_api_without_csrf_but_sessions_need_it(site, clients):
    text = {"text": "แนวทางการจัดเก็บทรัพยากรและผลลัพธ์โครงการกลุ่มจังหวัด"}
    script = site.app.test_client()  # no session, no token: a plain script
    response = script.post("/api/reuse", json=text)
    assert response.status_code == 200, response.text
    assert "hits" in response.get_json()
    # A logged-in browser's session is ambient authority: without the token it is refused.
    viewer = clients["viewer"]
    refused = viewer.post("/api/reuse", json=text)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert post(viewer, "/api/reuse", json=text).status_code == 200
    # Forms outside the API keep their check, even for visitors (the login form above all).
    assert script.post("/reuse", data=text).status_code == 400
    assert script.post("/login", data={"name": "admin", "password": PASSWORD}).status_code == 400


# --- upload form, dates ------------------------------------------------------------------------


def test_upload_form_keeps_each_projects_activities(core, app, client):
    """Two projects with an activity of the same name: each project keeps its own entry,
    so choosing the second project still offers its activity and its item."""
    from bs4 import BeautifulSoup

    from indexer.inventory import import_inventory, list_items

    rows = [
        INVENTORY_CSV[0],
        ["2563", "ลำพูน", "โครงการพัฒนาการท่องเที่ยวลำพูน", "กิจกรรมอบรม", "สำนักงานจังหวัดลำพูน",
         "คู่มือการท่องเที่ยว", "1", "30 ก.ย. 2563"],
        ["2563", "ลำพูน", "โครงการส่งเสริมผ้าทอ", "กิจกรรมอบรม", "สำนักงานจังหวัดลำพูน",
         "รายงานการอบรมผ้าทอ", "1", "30 ก.ย. 2563"],
    ]  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    import_inventory(core, out.getvalue().encode(), filename="inventory.csv", agent="strategy")
    codes = {i["project"]: i["code"] for i in list_items(core, 2563)}
    page = BeautifulSoup(client.get("/upload").text, "html.parser")
    activities = [
        (o["data-project"], o["value"]) for o in page.select("#pick-activity option[data-project]")
    ]
    assert sorted(activities) == [
        ("โครงการพัฒนาการท่องเที่ยวลำพูน", "กิจกรรมอบรม"),
        ("โครงการส่งเสริมผ้าทอ", "กิจกรรมอบรม"),
    ]
    projects = [o.text for o in page.select("#pick-project option") if o.get("value") != ""]
    assert sorted(projects) == sorted(codes)
    for project, code in codes.items():
        [item] = [
            o
            for o in page.select("#item_code option[data-project]")
            if o["data-project"] == project and o["data-activity"] == "กิจกรรมอบรม"
        ]
        assert item["value"] == code
    # A shared name says which project each entry is in.
    labels = [o.text for o in page.select("#pick-activity option[data-project]")]
    assert all("·" in label for label in labels)


def test_search_results_say_which_date_they_show(site, clients):
    viewer = clients["viewer"]
    with site.core.sessions() as session:
        letter = session.get(Document, site.ids["003"])
        document_date, received = letter.document_date, letter.created_at
    hits = viewer.get("/api/search?q=เชียงราย").get_json()["hits"]
    [hit] = [h for h in hits if h["document_id"] == site.ids["003"]]
    assert hit["date"] == document_date.isoformat()
    assert hit["received"] == received.date().isoformat()
    from bs4 import BeautifulSoup

    from service.report_format import thai_date

    with site.app.test_request_context("/"):
        shown_date = thai_date(document_date, "short")
        shown_received = thai_date(received, "short")
    page = BeautifulSoup(viewer.get("/?q=เชียงราย").text, "html.parser")
    link = page.find("a", href=f"/documents/{site.ids['003']}")
    meta = link.find_parent("li").select_one(".hit-meta")
    assert meta.select_one(".hit-date").text.strip() == f"วันที่เอกสาร {shown_date}"
    assert meta.select_one(".hit-received").text.strip() == f"รับเข้าเมื่อ {shown_received}"


def test_due_dates_are_typed_as_thai_offices_write_them(site, clients):
    """The document page's Thai date box: without JavaScript the text goes as typed and
    the server reads it; every form the box accepts gives the same day."""
    from bs4 import BeautifulSoup

    dsss = clients["dsss_cm"]
    doc, code = site.ids["001"], site.items["เชียงใหม่"]
    [item] = dsss.get("/api/inventory?fiscal_year=2562&province=เชียงใหม่").get_json()["items"]
    post(dsss, f"/api/documents/{doc}/links", json={"item_code": code})
    try:
        page = BeautifulSoup(dsss.get(f"/documents/{doc}").text, "html.parser")
        [box] = page.select("form.due-date [data-thai-date]")
        assert box.select_one("input[type=text]")["name"] == "due_date"
        assert "๑ ธ.ค. ๒๕๖๒" in box.text  # the hint shows how to write a date
        assert page.find("script", src=re.compile("thai-date.js"))
        for typed in ("๑ ธ.ค. ๒๕๖๒", "1/12/2562", "1 ธันวาคม 2562", "2019-12-01"):
            response = post(
                dsss,
                f"/documents/{doc}/due-date",
                data={"item_code": code, "due_date": typed, "csrf_token": dsss.csrf},
            )
            assert response.status_code == 302, typed
            [now] = dsss.get("/api/inventory?fiscal_year=2562&province=เชียงใหม่").get_json()["items"]
            assert now["due_date"] == "2019-12-01", typed
        unreadable = post(
            dsss,
            f"/documents/{doc}/due-date",
            data={"item_code": code, "due_date": "ไม่ใช่วัน", "csrf_token": dsss.csrf},
            follow_redirects=True,
        )
        assert "อ่านวันที่ไม่ได้" in unreadable.text
    finally:
        post(
            dsss,
            f"/api/documents/{doc}/due-date",
            json={"item_code": code, "due_date": item["due_date"]},
        )
        dsss.delete(f"/api/documents/{doc}/links/{code}", headers={"X-CSRF-Token": dsss.csrf})


def test_an_upload_to_a_retired_item_is_refused_with_its_reason(core, app, client):
    """The API says 409 item_retired; the form without JavaScript goes back to the upload
    page and shows why, in Thai; nothing is stored."""
    from indexer.inventory import import_inventory, list_items, retire_items

    out = io.StringIO()
    csv.writer(out).writerows(INVENTORY_CSV)
    import_inventory(core, out.getvalue().encode(), filename="inventory.csv", agent="strategy")
    code = list_items(core)[0]["code"]
    retire_items(core, [code], agent="strategy")
    files = {"files": (io.BytesIO("รายงาน ".encode() * 50), "รายงาน.txt")}
    response = client.post(
        "/api/uploads", data={**files, "item_code": code}, content_type="multipart/form-data"
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "item_retired"
    add_user(core, "somchai", "admin", PASSWORD)
    officer = login(app, "somchai")
    files = {"files": (io.BytesIO("รายงาน ".encode() * 50), "รายงาน.txt")}
    form = {**files, "item_code": code, "csrf_token": officer.csrf}
    response = officer.post("/upload", data=form, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/upload")
    assert "รายการนี้ถูกยกเลิกแล้ว" in officer.get("/upload").text
    assert list(core.store.iter_objects()) == []
