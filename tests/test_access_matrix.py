"""Issue 6: every route for every role, from the app's own url_map (a new route fails this
test until its row is added), each forbidden path tried and refused.

Principals: a visitor, a logged-in viewer, a dsss officer of Chiang Mai (province A)
acting on Chiang Rai's (province B) item and job, strategy and admin; and an API token of
each role (the dsss token also of Chiang Mai). Targets are province B's things: an
internal letter, an inventory item and another officer's upload job.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from indexer.ingest.jobs import run_ingest_job
from schemas.models import Batch
from service.api_models.spec import openapi_path
from service.auth import create_token
from tests.test_service_web import (
    build_site,
    csrf_of,
    inventory_csv_bytes,
    login,
    openapi_checker,
    wait_for_jobs,
)

OK, LOGIN = "allowed", "redirect to login"
ROLES = ("viewer", "dsss", "strategy", "admin")
SESSION_USERS = {"viewer": "viewer", "dsss": "dsss_cm", "strategy": "strategy", "admin": "admin"}


@dataclass
class Case:
    path: str
    expect: dict  # role (or "anon") -> OK, LOGIN, 401, 403 or 404
    body: dict = field(default_factory=dict)  # json=..., or data=... (built per request)
    also_ok: tuple = ()  # statuses that still mean "allowed" (409: a step already taken)
    setup: object = None  # called before each request


def expect(anon=OK, viewer=OK, dsss=OK, strategy=OK, admin=OK) -> dict:
    return {"anon": anon, "viewer": viewer, "dsss": dsss, "strategy": strategy, "admin": admin}


STAFF_ONLY_API = expect(anon=401)  # every logged-in role may read
STAFF_ONLY_PAGE = expect(anon=LOGIN)
LINKERS_API = expect(anon=401, viewer=403, dsss=403)  # dsss of A on B's item: refused
LINKERS_PAGE = expect(anon=LOGIN, viewer=403, dsss=403)
INTERNAL_DOCUMENT = expect(anon=404)  # a visitor cannot tell it from a missing one
ADMIN_ONLY_API = expect(anon=401, viewer=403, dsss=403, strategy=403)
ADMIN_ONLY_PAGE = expect(anon=LOGIN, viewer=403, dsss=403, strategy=403)
_new_names = iter(range(10**6))


def new_account() -> dict:
    """A name no request used before: each principal allowed to add one adds its own."""
    return {"name": f"matrix_{next(_new_names)}", "role": "viewer", "password": "รหัสผ่าน-ตาราง"}


def cases(site) -> dict[tuple[str, str], Case]:
    doc, item, job = site.doc_b, site.item_b, site.job_b
    token = getattr(site, "token_b", 0)  # a token nobody uses, revoked again and again

    def upload():
        return {
            "data": {"files": (io.BytesIO("สวัสดี".encode() * 20), "ทดสอบ.txt"), "item_code": item}
        }

    def inventory_file():
        return {"data": {"file": (io.BytesIO(inventory_csv_bytes()), "บัญชี.csv")}}

    def linked():
        from indexer.inventory.links import link_document
        from schemas.models import Document
        from service.actions.inventory import get_item

        with site.core.transaction() as session:
            link_document(
                session,
                session.get(Document, doc),
                get_item(session, item),
                agent="setup",
                method="manual",
            )

    due = {"item_code": item, "due_date": "2019-09-30"}  # the item's own due date
    return {
        ("static", "GET"): Case("/static/css/khlang.css", expect()),
        ("auth.login", "GET"): Case("/login", expect()),
        # a wrong password, whoever asks (a right one would change who the client is)
        ("auth.login", "POST"): Case(
            "/login",
            {role: 401 for role in ("anon", *ROLES)},
            {"data": {"name": "admin", "password": "ผิด"}},
        ),
        ("auth.logout", "POST"): Case("/logout", expect()),
        ("api.meta.healthz", "GET"): Case("/healthz", expect()),
        ("api.meta.openapi", "GET"): Case("/api/openapi.json", expect()),
        ("api.meta.me", "GET"): Case("/api/me", expect()),
        ("api.search.search", "GET"): Case("/api/search?q=จังหวัด", expect()),
        ("api.documents.get_document", "GET"): Case(f"/api/documents/{doc}", INTERNAL_DOCUMENT),
        ("api.documents.download", "GET"): Case(f"/api/documents/{doc}/file", INTERNAL_DOCUMENT),
        ("api.documents.download_searchable", "GET"): Case(
            f"/api/documents/{doc}/searchable.pdf", INTERNAL_DOCUMENT, also_ok=(NO_COPY,)
        ),
        ("api.documents.preview", "GET"): Case(f"/api/documents/{doc}/preview", INTERNAL_DOCUMENT),
        ("api.documents.preview_page", "GET"): Case(
            f"/api/documents/{doc}/preview/1.png", INTERNAL_DOCUMENT
        ),
        ("pages.documents.preview_page", "GET"): Case(
            f"/documents/{doc}/preview/1.png", INTERNAL_DOCUMENT
        ),
        ("api.documents.document_similar", "GET"): Case(
            f"/api/documents/{doc}/similar", INTERNAL_DOCUMENT
        ),
        ("api.search.reuse", "POST"): Case("/api/reuse", expect(), {"json": {"text": "จังหวัด"}}),
        ("api.documents.publication", "POST"): Case(
            f"/api/documents/{doc}/publication",
            LINKERS_API,
            {"json": {"action": "check"}},
            also_ok=(409,),
        ),
        ("api.documents.patch_document", "PATCH"): Case(
            f"/api/documents/{doc}", LINKERS_API, {"json": {"tags": ["ตรวจสิทธิ์"]}}
        ),
        # bulk: a dsss officer of A is answered 200 with each of B's documents refused in
        # the results (tests/test_bulk_actions.py checks the refusals themselves)
        ("api.bulk.bulk_links", "POST"): Case(
            "/api/bulk/links",
            expect(anon=401, viewer=403),
            {"json": {"links": [{"document_id": doc, "item_code": item, "op": "link"}]}},
        ),
        ("api.bulk.bulk_publication", "POST"): Case(
            "/api/bulk/publication",
            expect(anon=401, viewer=403, dsss=403),
            {"json": {"document_ids": [doc], "action": "check"}},
        ),
        ("api.bulk.bulk_tags", "POST"): Case(
            "/api/bulk/tags",
            expect(anon=401, viewer=403),
            {"json": {"document_ids": [doc], "tags": ["ตรวจสิทธิ์"]}},
        ),
        ("api.bulk.bulk_export", "POST"): Case(
            "/api/bulk/export", expect(), {"json": {"document_ids": [doc], "format": "csv"}}
        ),
        ("bulk.selection_action", "POST"): Case(
            "/bulk", STAFF_ONLY_PAGE, {"data": {"document_id": str(doc), "action": "export_csv"}}
        ),
        ("bulk.assign_form", "GET"): Case(
            f"/upload/jobs/{job}/assign", expect(anon=LOGIN, viewer=403, dsss=404)
        ),
        ("bulk.assign", "POST"): Case(
            f"/upload/jobs/{job}/assign", expect(anon=LOGIN, viewer=403, dsss=404), {"data": {}}
        ),
        ("api.links.add_link", "POST"): Case(
            f"/api/documents/{doc}/links", LINKERS_API, {"json": {"item_code": item}}
        ),
        ("api.links.use_deadline_as_due_date", "POST"): Case(
            f"/api/documents/{doc}/due-date", LINKERS_API, {"json": due}
        ),
        ("api.links.remove_link", "DELETE"): Case(
            f"/api/documents/{doc}/links/{item}", LINKERS_API, setup=linked
        ),
        ("api.links.suggestions", "GET"): Case(
            f"/api/documents/{doc}/suggestions", expect(anon=401, viewer=403)
        ),
        ("api.uploads.upload", "POST"): Case(
            "/api/uploads", expect(anon=401, viewer=403, dsss=403, strategy=403), upload
        ),
        ("api.uploads.job", "GET"): Case(
            f"/api/jobs/{job}", expect(anon=401, viewer=404, dsss=404)
        ),
        ("api.inventory.inventory", "GET"): Case("/api/inventory", STAFF_ONLY_API),
        ("api.inventory.inventory_template", "GET"): Case(
            "/api/inventory/template", STAFF_ONLY_API
        ),
        ("api.inventory.inventory_import", "POST"): Case(
            "/api/inventory/import", LINKERS_API, inventory_file
        ),
        # a code that names nothing: retiring a real item would change the other rows
        ("api.inventory.inventory_retire", "POST"): Case(
            "/api/inventory/retire", LINKERS_API, {"json": {"codes": ["INV-2562-NOTHING"]}}
        ),
        ("api.inventory.inventory_deadlines", "GET"): Case(
            "/api/inventory/deadlines/2562", STAFF_ONLY_API
        ),
        ("api.inventory.set_inventory_deadlines", "PUT"): Case(
            "/api/inventory/deadlines/2562",
            LINKERS_API,
            {"json": {"inventory_to_dsss": "๓๑ ต.ค. ๒๕๖๒"}},
        ),
        ("api.gaps.gaps", "GET"): Case("/api/gaps?fiscal_year=2562&province=เชียงราย", LINKERS_API),
        ("pages.search.search", "GET"): Case("/?q=จังหวัด", expect()),
        ("pages.documents.document", "GET"): Case(f"/documents/{doc}", INTERNAL_DOCUMENT),
        ("pages.documents.publication", "POST"): Case(
            f"/documents/{doc}/publication", LINKERS_PAGE, {"data": {"action": "check"}}
        ),
        ("pages.documents.edit", "POST"): Case(
            f"/documents/{doc}/edit", LINKERS_PAGE, {"data": {"tags": "ตรวจสิทธิ์"}}
        ),
        ("pages.documents.link", "POST"): Case(
            f"/documents/{doc}/links", LINKERS_PAGE, {"data": {"item_code": item, "op": "link"}}
        ),
        ("pages.documents.due_date", "POST"): Case(
            f"/documents/{doc}/due-date", LINKERS_PAGE, {"data": due}
        ),
        ("pages.uploads.upload", "GET"): Case(
            "/upload", expect(anon=LOGIN, viewer=403, strategy=403)
        ),
        ("pages.uploads.upload_post", "POST"): Case(
            "/upload", expect(anon=LOGIN, viewer=403, dsss=403, strategy=403), upload
        ),
        ("pages.uploads.job", "GET"): Case(
            f"/upload/jobs/{job}", expect(anon=LOGIN, viewer=404, dsss=404)
        ),
        ("pages.inventory.inventory", "GET"): Case("/inventory", STAFF_ONLY_PAGE),
        ("pages.inventory.inventory", "POST"): Case("/inventory", LINKERS_PAGE, inventory_file),
        ("pages.gaps.gaps", "GET"): Case("/gaps?fiscal_year=2562&province=เชียงราย", LINKERS_PAGE),
        ("pages.gaps.gaps_print", "GET"): Case(
            "/gaps/print?fiscal_year=2562&province=เชียงราย", LINKERS_PAGE
        ),
        ("home.home", "GET"): Case("/home", expect()),
        ("preservation.preservation", "GET"): Case("/admin/preservation", ADMIN_ONLY_PAGE),
        ("admin.accounts_page", "GET"): Case("/admin/accounts", ADMIN_ONLY_PAGE),
        ("admin.add_user", "POST"): Case(
            "/admin/users", ADMIN_ONLY_PAGE, lambda: {"data": new_account()}
        ),
        # re-activating an active user changes nothing (and ends no session)
        ("admin.change_user", "POST"): Case(
            "/admin/users/matrix_target", ADMIN_ONLY_PAGE, {"data": {"active": "1"}}
        ),
        ("admin.add_token", "POST"): Case(
            "/admin/tokens", ADMIN_ONLY_PAGE, {"data": {"name": "matrix-new", "role": "viewer"}}
        ),
        ("admin.revoke_token", "POST"): Case(f"/admin/tokens/{token}/revoke", ADMIN_ONLY_PAGE),
        ("api.accounts.list_users", "GET"): Case("/api/users", ADMIN_ONLY_API),
        ("api.accounts.create_user", "POST"): Case(
            "/api/users", ADMIN_ONLY_API, lambda: {"json": new_account()}
        ),
        ("api.accounts.change_user", "PATCH"): Case(
            "/api/users/matrix_target", ADMIN_ONLY_API, {"json": {"active": True}}
        ),
        ("api.accounts.list_tokens", "GET"): Case("/api/tokens", ADMIN_ONLY_API),
        ("api.accounts.create_token", "POST"): Case(
            "/api/tokens", ADMIN_ONLY_API, {"json": {"name": "matrix-new", "role": "viewer"}}
        ),
        ("api.accounts.revoke_token", "DELETE"): Case(f"/api/tokens/{token}", ADMIN_ONLY_API),
        ("report_settings.report_settings_page", "GET"): Case("/admin/reports", ADMIN_ONLY_PAGE),
        ("report_settings.report_settings_page", "POST"): Case(
            "/admin/reports",
            ADMIN_ONLY_PAGE,
            {"data": {"office_name": "สำนักงานจังหวัด", "digits": "thai"}},
        ),
        # no logo set in this archive: 404 for whoever may see it
        ("report_settings.office_logo", "GET"): Case(
            "/office-logo.png", expect(anon=LOGIN, viewer=404, dsss=404, strategy=404, admin=404)
        ),
        ("pages.search.reuse", "GET"): Case("/reuse", expect()),
        ("pages.search.reuse", "POST"): Case("/reuse", expect(), {"data": {"text": "จังหวัด"}}),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = build_site(tmp_path_factory.mktemp("matrix") / "data")
    # Every principal tries a wrong password on one account: throttling is not what this
    # test is about (tests/test_security.py is).
    site.app.config["KHLANG_LOGIN_ACCOUNT_LIMIT"] = 1000
    site.doc_b = site.ids["003"]  # Chiang Rai's letter, internal
    site.item_b = site.items["เชียงราย"]
    # An upload job of Chiang Rai's officer.
    note = tmp_path_factory.mktemp("job") / "บันทึกเชียงราย.txt"
    note.write_text("บันทึกข้อความจังหวัดเชียงราย\n" * 10, encoding="utf-8")
    run_ingest_job(site.core, [str(note)], agent="dsss_cr")
    with site.core.sessions() as session:
        site.job_b = session.scalar(select(Batch.id).where(Batch.agent == "dsss_cr"))
    # the account and the token the admin's rows change
    from service.auth import add_user, issue_token

    add_user(site.core, "matrix_target", "viewer", "รหัสผ่าน-เป้าหมาย")
    site.token_b = issue_token(site.core, "matrix-target", "viewer")[0]
    yield site
    wait_for_jobs(site.core)
    site.app.extensions["khlang"].dispose()
    site.core.dispose()


def fresh_session(app, role: str):
    if role == "anon":
        client = app.test_client()
        client.csrf = csrf_of(client.get("/login").text)
        return client
    return login(app, SESSION_USERS[role])


@pytest.fixture(scope="module")
def openapi(site):
    return openapi_checker(site.app)


@pytest.fixture(scope="module")
def principals(site):
    """name -> (role, client, CSRF header value or None)."""
    found = {}
    for role in ("anon", *ROLES):
        client = fresh_session(site.app, role)
        name = "anon" if role == "anon" else f"session {role}"
        found[name] = SimpleNamespace(role=role, client=client, csrf=client.csrf)
    for role in ROLES:
        token = create_token(
            site.core, f"matrix-{role}", role, "เชียงใหม่" if role == "dsss" else None
        )
        client = site.app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        found[f"token {role}"] = SimpleNamespace(role=role, client=client, csrf=None)
    return found


def test_the_matrix_names_every_route(site):
    routes = {
        (rule.endpoint, method)
        for rule in site.app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(cases(site)), "a route without a row (or a row without a route)"


NO_COPY = "allowed: the document has no searchable copy"


def outcome(response) -> str | int:
    if (
        response.status_code == 404
        and (response.get_json(silent=True) or {}).get("error", {}).get("code")
        == "no_searchable_copy"
    ):
        return NO_COPY  # the document was found and shown to be without one: access granted
    if response.status_code in (401, 403, 404):
        return response.status_code
    if response.status_code in (301, 302, 303) and "/login" in response.headers["Location"]:
        return LOGIN
    return response.status_code


# The rows are known before the archive is built (its ids only fill in the paths).
ROUTES = sorted(cases(SimpleNamespace(doc_b=0, item_b="X", job_b=0, core=None)))


@pytest.mark.parametrize(
    "route", ROUTES, ids=[f"{method} {endpoint}" for endpoint, method in ROUTES]
)
def test_every_role_gets_what_it_may(site, principals, openapi, route):
    case = cases(site)[route]
    method = route[1].lower()
    [rule] = [r.rule for r in site.app.url_map.iter_rules() if r.endpoint == route[0]]
    documented = rule.startswith("/api/") or rule == "/healthz"
    wrong = []
    for name, who in principals.items():
        if case.setup:
            case.setup()
        body = case.body() if callable(case.body) else dict(case.body)
        headers = {"X-CSRF-Token": who.csrf} if who.csrf else {}
        client = who.client
        if route == ("auth.logout", "POST") and who.csrf:
            # logging out clears the session: do it in a session of its own
            client = fresh_session(site.app, who.role)
            headers = {"X-CSRF-Token": client.csrf}
        response = getattr(client, method)(case.path, headers=headers, **body)
        if documented:  # whoever asks, the answer is one the OpenAPI document describes
            openapi(response, openapi_path(rule), method)
        got, wanted = outcome(response), case.expect[who.role]
        allowed = got in case.also_ok or (
            got not in (401, 403, 404, LOGIN) and isinstance(got, int) and got < 400
        )
        if (wanted == OK and allowed) or got == wanted:
            if got in (401, 403, 404) and case.path.startswith("/api/"):
                assert response.get_json()["error"]["code"] in (
                    "unauthorized",
                    "forbidden",
                    "not_found",
                ), (name, response.text)
            continue
        wrong.append(f"{name}: wanted {wanted}, got {got} {response.text[:120]!r}")
    assert not wrong, "\n".join(wrong)
