"""The JSON API under /api/ (and /healthz): everything the pages do, for scripts.

Described by the OpenAPI 3.1 document at /api/openapi.json (service/openapi.py). Errors are
``{"error": {"code", "message" (Thai), "message_en"}}`` with a stable code.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import unicodedata
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, send_file
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from werkzeug.exceptions import HTTPException

from archive.objectstore import S3ObjectStore
from indexer.core import Khlang
from indexer.ingest.indexing import reindex_quietly
from indexer.preserve import searchable
from indexer.records.documents import document_as_dict
from indexer.search.index import MATCH_MODES, IndexBusy, IndexDamaged
from schemas.models import Batch, Document, InventoryItem
from schemas.search_index import FACET_FIELDS
from service import access
from service.auth import login_required, permission_required
from service.disposition import attachment
from service.search_slots import RETRY_AFTER as SEARCH_RETRY_AFTER
from service.search_slots import SearchOverloaded, search_slot

bp = Blueprint("api", __name__)


def core() -> Khlang:
    return current_app.extensions["khlang"]


def error(status: int, code: str, message_th: str, message_en: str):
    """Errors are JSON with a stable code and a message in Thai and English."""
    response = jsonify({"error": {"code": code, "message": message_th, "message_en": message_en}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="khlang"'
    return response


HTTP_ERRORS = {
    400: ("bad_request", "คำขอไม่ถูกต้อง", "bad request"),
    401: ("unauthorized", "ต้องเข้าสู่ระบบหรือใช้โทเคน", "log in or send an API token"),
    403: ("forbidden", "ไม่มีสิทธิ์ทำรายการนี้", "not allowed for your role or province"),
    404: ("not_found", "ไม่พบรายการที่ขอ", "not found"),
    405: ("method_not_allowed", "ไม่รองรับวิธีเรียกนี้", "method not allowed"),
    409: ("conflict", "สถานะไม่ถูกต้องสำหรับรายการนี้", "conflict"),
    413: ("too_large", "ไฟล์หรือคำขอใหญ่เกินกำหนด", "request too large"),
}


def http_error_response(exc: HTTPException):
    """API paths answer JSON; pages answer an HTML page in the user's language."""
    status = exc.code or 500
    if request.path.startswith("/api/") or request.path == "/healthz":
        code, th, en = HTTP_ERRORS.get(status, ("error", "เกิดข้อผิดพลาด", exc.name.lower()))
        if status == 401 and getattr(g, "auth_error", None) == "bad_token":
            code, th, en = "bad_token", "โทเคนไม่ถูกต้องหรือถูกยกเลิก", "unknown or revoked token"
        return error(status, code, th, en)
    from flask import render_template

    return render_template("error.html", status=status), status


def refuse_csrf():
    if request.path.startswith("/api/"):
        return error(
            400,
            "csrf_failed",
            "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
            "missing or wrong CSRF token; reload the page",
        )
    from flask import render_template

    return render_template("error.html", status=400, csrf=True), 400


@bp.before_request
def _api_auth():
    # A bad or revoked token is refused outright, even on routes visitors may use:
    # a script must learn its token is wrong rather than silently see less.
    if getattr(g, "auth_error", None) and request.path.startswith("/api/"):
        if g.auth_error == "bad_token":
            return error(401, "bad_token", "โทเคนไม่ถูกต้องหรือถูกยกเลิก", "unknown or revoked token")
        return error(401, "bad_authorization", "รูปแบบ Authorization ไม่ถูกต้อง", "use 'Bearer TOKEN'")
    return None


@bp.before_request
def _check_json_body():
    """Every JSON body is checked against its operation's request schema in the OpenAPI
    document before a handler reads it, so a list, a number where a string belongs or a
    body that is not JSON at all is a 400 with the reason, never a 500 in the handler.
    (Form posts carry only strings, which the handlers read as such.)"""
    if request.url_rule is None or not request.is_json:
        return None
    validator = _body_validator(request.url_rule.rule, request.method)
    if validator is None:
        return None
    try:
        body = request.get_json()
    except HTTPException:
        return error(400, "invalid_json", "ข้อมูลที่ส่งมาไม่ใช่ JSON", "the body is not valid JSON")
    problem = best_match(validator.iter_errors(body))
    if problem is None:
        return None
    where = "/".join(str(part) for part in problem.absolute_path) or "body"
    if problem.validator == "required" and isinstance(problem.instance, dict):
        # The same code a handler gives when the field is empty: text_required, ...
        missing = next(k for k in problem.validator_value if k not in problem.instance)
        return error(400, f"{missing}_required", f"กรุณาระบุ {missing}", f"{missing} is required")
    return error(
        400,
        "invalid_body",
        f"ข้อมูลที่ส่งมาไม่ถูกต้อง ที่ {where}",
        f"invalid request body at {where}: {problem.message}",
    )


@cache
def _body_validator(rule: str, method: str) -> Draft202012Validator | None:
    from service.openapi import json_body_schema

    schema = json_body_schema(rule, method)
    return Draft202012Validator(schema) if schema is not None else None


@bp.get("/healthz")
def healthz():
    report = core().health()
    if not report["checks"].get("index", "ok").startswith("ok"):
        start_index_repair()  # the service repairs its index itself, searched or not
    return jsonify(report), (200 if report["ok"] else 503)


@bp.get("/api/openapi.json")
def openapi():
    from service.openapi import spec

    return jsonify(spec())


@bp.get("/api/me")
def me():
    p = g.principal
    return jsonify(
        {
            "authenticated": p.authenticated,
            "kind": p.kind,
            "name": p.name,
            "role": p.role,
            "province": p.province,
        }
    )


# --- search --------------------------------------------------------------------------------

# Every facet of the index is also a filter of GET /api/search.
FILTER_KEYS = FACET_FIELDS


def _int_arg(name: str, default: int, low: int, high: int, args=None) -> int:
    """An integer query parameter within [low, high]; ``args`` when the caller filled in
    defaults of its own (the gap page's fiscal year), else the request's query string."""
    raw = (request.args if args is None else args).get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadArgument(name) from None
    if not low <= value <= high:
        raise BadArgument(name)
    return value


class BadArgument(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


@bp.errorhandler(BadArgument)
def _bad_argument(exc: BadArgument):
    return error(400, "bad_argument", f"ค่า {exc.name} ไม่ถูกต้อง", f"invalid value for {exc.name}")


def search_filters(args) -> dict:
    filters = {}
    for key in FILTER_KEYS:
        value = (args.get(key) or "").strip()
        if not value:
            continue
        if key == "fiscal_year":
            try:
                filters[key] = int(value)
            except ValueError:
                raise BadArgument(key) from None
        else:
            filters[key] = value
    return filters


def run_search(
    query: str, *, limit: int, offset: int, sort: str, filters: dict, match: str = "default"
) -> dict:
    """Search as the asking principal may: visitors get published documents only, and the
    hits are checked against the database too, so a stale index cannot leak one."""
    only_published = access.published_only()
    with search_slot():
        result = access.search_index().search(
            query,
            limit=limit,
            offset=offset,
            sort=sort,
            published_only=only_published,
            filters=filters or None,
            match=match,
        )
    if only_published:
        # "Did you mean" draws on every indexed word, unpublished documents' too.
        result["suggestion"] = None
        if result.get("hits"):
            with core().sessions() as session:
                allowed = access.published_ids(session, [h["document_id"] for h in result["hits"]])
            result["hits"] = [h for h in result["hits"] if h["document_id"] in allowed]
    return result


@bp.get("/api/search")
def search():
    query = (request.args.get("q") or "").strip()
    limit = _int_arg("limit", 20, 1, 100)
    offset = _int_arg("offset", 0, 0, 100_000)
    sort = request.args.get("sort") or "relevance"
    if sort not in ("relevance", "date"):
        raise BadArgument("sort")
    match = request.args.get("match") or "default"
    if match not in MATCH_MODES:
        raise BadArgument("match")
    filters = search_filters(request.args)
    return jsonify(
        run_search(query, limit=limit, offset=offset, sort=sort, filters=filters, match=match)
    )


_repair_started = threading.Lock()


def start_index_repair() -> None:
    """Rebuild a damaged index in the background (one thread per process; ``reindex``
    itself lets one process at a time do it)."""
    from service import _repair_index

    if not _repair_started.acquire(blocking=False):
        return
    app_core = core()

    def run() -> None:
        try:
            _repair_index(app_core)
        finally:
            _repair_started.release()

    threading.Thread(target=run, daemon=True).start()


INDEX_RETRY_AFTER = 30  # seconds: a rebuild from the database takes about this at 10k documents


@bp.errorhandler(IndexDamaged)
def _index_damaged(_exc: IndexDamaged):
    start_index_repair()
    response = error(
        503,
        "index_damaged",
        "ดัชนีค้นหาเสียหาย ระบบกำลังสร้างใหม่ กรุณาลองอีกครั้งภายหลัง",
        "the search index is damaged and is being rebuilt; try again later",
    )
    response.headers["Retry-After"] = str(INDEX_RETRY_AFTER)
    return response


@bp.errorhandler(SearchOverloaded)
@bp.errorhandler(IndexBusy)
def _search_busy(_exc: Exception):
    response = error(
        503,
        "busy",
        "ระบบค้นหามีผู้ใช้มากในขณะนี้ กรุณาลองอีกครั้งในอีกสักครู่",
        "search is busy right now; try again in a few seconds",
    )
    response.headers["Retry-After"] = str(SEARCH_RETRY_AFTER)
    return response


# --- documents -----------------------------------------------------------------------------


def _not_found():
    return error(404, "not_found", "ไม่พบเอกสาร", "document not found")


@bp.get("/api/documents/<int:document_id>")
def get_document(document_id: int):
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        return jsonify(access.document_view(session, document))


@bp.get("/api/documents/<int:document_id>/file")
def download(document_id: int):
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        sha256, mime = document.sha256, document.mime
        name = document.filename.rsplit("/", 1)[-1]
    store = core().store
    if not store.exists(sha256):
        return error(410, "object_missing", "ไฟล์ต้นฉบับหายจากคลัง", "the preserved file is missing")
    if _object_state(document_id, sha256) == "corrupt":
        return _object_corrupt()
    # A folder store hands Werkzeug the path (ranges, sendfile); an S3 store a stream.
    body = store.open(sha256) if isinstance(store, S3ObjectStore) else store.path_for(sha256)
    return _send_object(body, mime, name, sha256, document_id)


def _send_object(body, mime: str, name: str, sha256: str, document_id: int):
    response = send_file(body, mimetype=mime, etag=sha256, max_age=0)
    # Built by hand: a stored name may hold a CR, LF, quote or semicolon (see disposition).
    response.headers["Content-Disposition"] = attachment(name, f"document-{document_id}")
    return response


@bp.get("/api/documents/<int:document_id>/preview")
def preview(document_id: int):
    from service.preview_view import preview_info, preview_source

    source = preview_source(document_id)
    if source is None:
        return _not_found()
    return jsonify(preview_info(document_id, source, endpoint="api.preview_page"))


@bp.get("/api/documents/<int:document_id>/preview/<int:page>.png")
def preview_page(document_id: int, page: int):
    from indexer.records.preview import PreviewFailed
    from service.preview_view import page_response, preview_source

    source = preview_source(document_id)
    if source is None:
        return _not_found()
    try:
        return page_response(source, page)
    except IndexError:
        return error(404, "no_such_page", f"เอกสารนี้ไม่มีหน้า {page}", f"no page {page}")
    except PreviewFailed as exc:
        return error(422, "preview_failed", exc.message_th, exc.message_en)


def _object_state(document_id: int, sha256: str) -> str:
    from indexer.preserve.fixity import check_before_serving

    principal = g.principal
    who = principal.agent if principal.authenticated else "anonymous"
    return check_before_serving(core(), document_id, sha256, requested_by=who)


def _object_corrupt():
    """The preserved bytes no longer match their hash: serving them would pass damage off
    as the original (recorded as a failed fixity check on the document)."""
    current_app.logger.error("refused a download: object corrupt")
    return error(
        500,
        "object_corrupt",
        "ไฟล์ต้นฉบับในคลังเสียหาย (ข้อมูลไม่ตรงกับค่าแฮชที่บันทึกไว้) จึงไม่ส่งให้ "
        "ผู้ดูแลระบบควรสั่ง khlang verify แล้วนำเข้าไฟล์ต้นฉบับเดิมอีกครั้งเพื่อแทนที่สำเนาที่เสีย",
        "the preserved file is corrupt (its bytes no longer match their recorded hash), so it is "
        "not served; an administrator should run khlang verify and ingest the original file "
        "again, which replaces the corrupt copy",
    )


@bp.get("/api/documents/<int:document_id>/searchable.pdf")
def download_searchable(document_id: int):
    """The scan's searchable copy (recognised text as an invisible layer), not the original."""
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        sha256 = searchable.copy_of(session, document_id)
        name = Path(document.filename.rsplit("/", 1)[-1]).stem + "-ค้นหาได้.pdf"
    path = searchable.derived_store(core()).path_for(sha256) if sha256 else None
    if path is None or not path.is_file():
        return error(
            404,
            "no_searchable_copy",
            "เอกสารนี้ไม่มีสำเนา PDF ที่ค้นหาข้อความได้ (มีเฉพาะไฟล์สแกนที่อ่านด้วย OCR)",
            "this document has no searchable PDF copy (only OCR'd scans have one)",
        )
    return _send_object(path, "application/pdf", name, sha256, document_id)


def similar_hits(text: str, limit: int, exclude: int | None = None) -> list[dict]:
    only_published = access.published_only()
    with search_slot():
        hits = access.search_index().similar(text, limit=limit + 1, published_only=only_published)
    hits = [h for h in hits if h.get("document_id") != exclude][:limit]
    if only_published and hits:
        with core().sessions() as session:
            allowed = access.published_ids(session, [h["document_id"] for h in hits])
        hits = [h for h in hits if h["document_id"] in allowed]
    return hits


@bp.get("/api/documents/<int:document_id>/similar")
def document_similar(document_id: int):
    limit = _int_arg("limit", 5, 1, 50)
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        text = f"{document.title}\n{(document.text or '')[:20000]}"
    return jsonify({"hits": similar_hits(text, limit, exclude=document_id)})


@bp.post("/api/reuse")
def reuse():
    """Paste a new project's description; get past outputs to build on, with shared terms."""
    body = request.get_json(silent=True) or {}
    text = (body.get("text") if isinstance(body, dict) else None) or request.form.get("text")
    if not text or not str(text).strip():
        return error(400, "text_required", "กรุณาใส่คำอธิบายโครงการ", "text is required")
    limit = body.get("limit", 10) if isinstance(body, dict) else 10
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise BadArgument("limit")
    return jsonify(reuse_lookup(str(text)[:50000], limit))


REUSE_POOL = 50  # similar documents whose projects are ranked


def reuse_lookup(text: str, limit: int) -> dict:
    """The most similar past documents, and the projects they belong to, each with the key
    terms shared with ``text`` (only what the asker may see)."""
    from indexer.search.similar import similar_projects

    hits = similar_hits(text, max(limit, REUSE_POOL))
    return {"hits": hits[:limit], "projects": similar_projects(hits, limit)}


@bp.post("/api/documents/<int:document_id>/publication")
def publication(document_id: int):
    from service.publication import ACTIONS, TransitionError, transition

    if not g.principal.authenticated:
        return error(401, *HTTP_ERRORS[401])
    body = request.get_json(silent=True) or request.form
    action = body.get("action")
    if action not in ACTIONS:
        return error(
            400, "bad_action", "ไม่รู้จักขั้นตอนนี้", "action must be one of " + ", ".join(ACTIONS)
        )
    with core().sessions() as session:
        if access.visible_document(session, document_id) is None:
            return _not_found()
    if not g.principal.can(action):
        return error(403, "forbidden", "บทบาทของท่านทำขั้นตอนนี้ไม่ได้", f"your role may not {action}")
    try:
        result = transition(
            core(), document_id, action, agent=g.principal.agent, note=str(body.get("note") or "")
        )
    except TransitionError as exc:
        return error(exc.status, exc.code, exc.message_th, exc.message_en)
    return jsonify(result)


def edit_document(document_id: int, changes: dict):
    """Apply an edit for the asking principal; returns (status, body) for the API and the
    page alike: 200 and the document, 400 and the EditError, 401, 403 or 404."""
    from indexer.records.edits import EditError
    from indexer.records.edits import edit_document as apply_edit

    if not g.principal.authenticated:
        return 401, None
    with core().transaction() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return 404, None
        if not access.may_edit_document(session, document):
            return 403, None
        try:
            changed = apply_edit(session, document, changes, agent=g.principal.agent)
        except EditError as exc:
            return 400, exc
    if changed:
        reindex_quietly(core(), [document_id], agent=g.principal.agent)
    with core().sessions() as session:
        return 200, access.document_view(session, session.get(Document, document_id))


@bp.patch("/api/documents/<int:document_id>")
def patch_document(document_id: int):
    status, body = edit_document(document_id, request.get_json(silent=True) or {})
    if status == 200:
        return jsonify(body)
    if status == 400:
        return error(400, f"bad_{body.field}", body.message_th, body.message_en)
    if status == 403:
        return error(
            403,
            "forbidden",
            "แก้ไขได้เฉพาะเจ้าหน้าที่ยุทธศาสตร์ หรือเจ้าหน้าที่ DSSS สำหรับเอกสารของจังหวัดตน",
            "only strategy staff, or a DSSS officer for their own province's documents, may edit",
        )
    if status == 404:
        return _not_found()
    return error(status, *HTTP_ERRORS[status])


# --- bulk actions on a selection ------------------------------------------------------------


def _too_many():
    from service.bulk import MAX_SELECTION

    return error(
        400,
        "selection_too_large",
        f"เลือกได้ไม่เกิน {MAX_SELECTION} เอกสารต่อครั้ง",
        f"select at most {MAX_SELECTION} documents at a time",
    )


def _selection(body: dict) -> list[int]:
    """The request's document ids; a selection past the limit ends the request (400)."""
    from service import bulk

    try:
        return bulk.selection(body.get("document_ids"))
    except ValueError:
        abort(_too_many())


@bp.post("/api/bulk/links")
@login_required
def bulk_links():
    from service import bulk

    entries = (request.get_json(silent=True) or {}).get("links") or []
    if len(entries) > bulk.MAX_SELECTION:
        return _too_many()
    if not g.principal.can("link"):
        return error(403, *HTTP_ERRORS[403])
    return jsonify(bulk.change_links(entries))


@bp.post("/api/bulk/publication")
@login_required
def bulk_publication():
    from service import bulk
    from service.publication import ACTIONS

    body = request.get_json(silent=True) or {}
    ids = _selection(body)
    action = body.get("action")
    if action not in ACTIONS:
        return error(
            400, "bad_action", "ไม่รู้จักขั้นตอนนี้", "action must be one of " + ", ".join(ACTIONS)
        )
    if not g.principal.can(action):
        return error(403, "forbidden", "บทบาทของท่านทำขั้นตอนนี้ไม่ได้", f"your role may not {action}")
    return jsonify(bulk.publication(ids, action, str(body.get("note") or "")))


@bp.post("/api/bulk/tags")
@login_required
def bulk_tags():
    from indexer.records.edits import EditError
    from service import bulk

    body = request.get_json(silent=True) or {}
    ids = _selection(body)
    if not g.principal.can("edit"):
        return error(403, *HTTP_ERRORS[403])
    try:
        return jsonify(bulk.add_tags(ids, body.get("tags") or []))
    except EditError as exc:
        return error(400, "bad_tags", exc.message_th, exc.message_en)


@bp.post("/api/bulk/export")
def bulk_export():
    """The selection as XLSX or CSV; visitors get only the published documents in it."""

    body = request.get_json(silent=True) or {}
    ids = _selection(body)
    return export_response(ids, body.get("format") or "xlsx")


def export_response(ids: list[int], fmt: str) -> Response:
    from service import bulk

    rows = bulk.export_rows(ids)
    if fmt == "csv":
        response = Response(bulk.export_csv(rows), mimetype="text/csv")
    else:
        response = Response(
            bulk.export_xlsx(rows),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        fmt = "xlsx"
    response.headers["Content-Disposition"] = attachment(f"เอกสารที่เลือก.{fmt}", f"documents.{fmt}")
    return response


# --- links -----------------------------------------------------------------------------------


def _item_by_code(session, code: str) -> InventoryItem | None:
    from service.inventory_view import get_item

    return get_item(session, code)


def change_link(document_id: int, code: str, *, unlink: bool, method: str = "manual"):
    """Link or unlink; returns (status, body) for the API and the pages alike."""
    from indexer.inventory.links import NotLinkable, link_document, unlink_document

    if not g.principal.authenticated:
        return 401, None
    with core().transaction() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return 404, None
        item = _item_by_code(session, code)
        if item is None:
            return 404, "item"
        if not access.may_link_item(item):
            return 403, None
        if unlink:
            if unlink_document(session, document, item, agent=g.principal.agent) is None:
                return 404, "link"
        else:
            try:
                link_document(session, document, item, agent=g.principal.agent, method=method)
            except NotLinkable as exc:
                return 409, exc
    reindex_quietly(core(), [document_id], agent=g.principal.agent)
    with core().sessions() as session:
        data = document_as_dict(session, session.get(Document, document_id), include_text=False)
    return 200, {"document_id": document_id, "links": data["links"]}


def set_due_date_from(document_id: int, code: str, due: str):
    """Use a date (a deadline the document sets) as an item's due date: (status, body)."""
    from indexer.inventory import LinkError, set_due_date

    if not g.principal.authenticated:
        return 401, None
    with core().sessions() as session:
        if access.visible_document(session, document_id) is None:
            return 404, None
        item = _item_by_code(session, code)
        if item is None:
            return 404, "item"
        if not access.may_link_item(item):
            return 403, None
    try:
        return 200, set_due_date(
            core(), code, due, agent=g.principal.agent, document_id=document_id
        )
    except ValueError:
        return 400, "date"
    except LinkError:
        return 404, "item"


def _link_response(status: int, body):
    if status == 200:
        return jsonify(body)
    if status == 404 and body == "item":
        return error(404, "item_not_found", "ไม่พบรายการในบัญชี", "no inventory item with that code")
    if status == 404 and body == "link":
        return error(404, "link_not_found", "ไม่มีการเชื่อมโยงนี้", "no such active link")
    if status == 404:
        return _not_found()
    if status == 403:
        return error(
            403,
            "forbidden",
            "เชื่อมโยงได้เฉพาะรายการของจังหวัดที่รับผิดชอบ",
            "you may link only items of your own province",
        )
    if status == 409 and body is not None:  # indexer.inventory.links.NotLinkable
        return error(409, "not_linkable", body.message_th, body.message_en)
    return error(status, *HTTP_ERRORS[status])


@bp.post("/api/documents/<int:document_id>/links")
def add_link(document_id: int):
    body = request.get_json(silent=True) or request.form
    code = (body.get("item_code") or "").strip()
    method = body.get("method") or "manual"
    if not code:
        return error(400, "item_code_required", "กรุณาระบุรหัสรายการ", "item_code is required")
    if method not in ("manual", "confirmed"):
        raise BadArgument("method")
    return _link_response(*change_link(document_id, code, unlink=False, method=method))


@bp.post("/api/documents/<int:document_id>/due-date")
def use_deadline_as_due_date(document_id: int):
    body = request.get_json(silent=True) or request.form
    code = (body.get("item_code") or "").strip()
    due = (body.get("due_date") or "").strip()
    if not code or not due:
        return error(
            400,
            "bad_argument",
            "กรุณาระบุรหัสรายการและวันที่",
            "item_code and due_date are required",
        )
    status, result = set_due_date_from(document_id, code, due)
    if status == 400:
        return error(400, "bad_date", "อ่านวันที่ไม่ได้", "unreadable date")
    return _link_response(status, result)


@bp.delete("/api/documents/<int:document_id>/links/<code>")
def remove_link(document_id: int, code: str):
    return _link_response(*change_link(document_id, code, unlink=True))


@bp.get("/api/documents/<int:document_id>/suggestions")
@permission_required("link")
def suggestions(document_id: int):
    with core().sessions() as session:
        if access.visible_document(session, document_id) is None:
            return _not_found()
    suggest = _optional("indexer.inventory.suggest")
    if suggest is None:
        return _not_available()
    # a dsss officer links items of their own province only: suggest only those
    province_id = g.principal.province_id if g.principal.role == "dsss" else None
    found = suggest.suggest_items(core(), document_id, province_id=province_id)
    return jsonify({"suggestions": [s.as_dict() for s in found]})


# --- uploads and jobs ------------------------------------------------------------------------


def clean_upload_name(name: str) -> str:
    """Keep the Thai name the officer gave (it becomes the document's file name), minus
    anything that could escape the job folder."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip().lstrip(".")
    return name[:200] or "ไฟล์"


def save_uploads(files) -> tuple[Path, list[str]]:
    """Move the request's spooled files into a fresh job folder (hard links: no copy)."""
    uploads_root = core().settings.tmp_dir / "uploads"
    uploads_root.mkdir(parents=True, exist_ok=True)
    job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=uploads_root))
    paths = []
    for number, storage in enumerate(files):
        target_dir = job_dir / f"{number:05d}"
        target_dir.mkdir()
        target = target_dir / clean_upload_name(storage.filename)
        stream = storage.stream
        source = getattr(stream, "name", None)
        stream.flush() if hasattr(stream, "flush") else None
        if isinstance(source, str) and os.path.isfile(source):
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        else:
            storage.save(target)
        paths.append(str(target))
    return job_dir, paths


@bp.post("/api/uploads")
@permission_required("upload")
def upload():
    from indexer.ingest import job_runner

    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        return error(400, "no_files", "ไม่มีไฟล์ที่ส่งมา", "send one or more files in 'files'")
    item_code = (request.form.get("item_code") or "").strip() or None
    if item_code:
        with core().sessions() as session:
            item = _item_by_code(session, item_code)
            if item is None:
                return error(
                    404, "item_not_found", "ไม่พบรายการในบัญชี", "no inventory item with that code"
                )
            if not access.may_link_item(item):
                return _link_response(403, None)
            if item.retired_at is not None:
                return error(409, "item_retired", "รายการนี้ถูกยกเลิกแล้ว", "the item is retired")
    job_dir, paths = save_uploads(files)
    try:
        job_id = job_runner(core()).start(
            paths,
            agent=g.principal.agent,
            item_code=item_code,
            source="upload",
            cleanup=job_dir,
        )
    except Exception:
        shutil.rmtree(job_dir, ignore_errors=True)
        raise
    response = jsonify({"job_id": job_id, "status_url": f"/api/jobs/{job_id}", "files": len(paths)})
    response.status_code = 202
    response.headers["Location"] = f"/api/jobs/{job_id}"
    return response


@bp.get("/api/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    from indexer.ingest import job_runner

    with core().sessions() as session:
        batch = session.get(Batch, job_id)
        if batch is None or not access.may_see_job(batch):
            return error(404, "not_found", "ไม่พบงานนำเข้า", "job not found")
    return jsonify(job_runner(core()).status(job_id))


# --- inventory -----------------------------------------------------------------------------


def _optional(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _not_available():
    return error(503, "not_available", "ส่วนนี้ยังไม่พร้อมใช้งาน", "this part is not available yet")


def _jsonable(value):
    import dataclasses
    import datetime as dt

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def inventory_rows(
    fiscal_year: int | None, province: str | None, project: str | None
) -> list[dict]:
    from service.inventory_view import list_items

    return list_items(core(), fiscal_year=fiscal_year, province=province, project=project)


@bp.get("/api/inventory")
@permission_required("inventory_read")
def inventory():
    fiscal_year = _int_arg("fiscal_year", 0, 0, 9999) or None
    province = (request.args.get("province") or "").strip() or None
    project = (request.args.get("project") or "").strip() or None
    return jsonify({"items": inventory_rows(fiscal_year, province, project)})


@bp.get("/api/inventory/template")
@permission_required("inventory_read")
def inventory_template():
    inventory_module = _optional("indexer.inventory")
    if inventory_module is None or not hasattr(inventory_module, "template_xlsx"):
        return _not_available()
    data = inventory_module.template_xlsx()
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": "attachment; filename=inventory-template.xlsx; "
            "filename*=UTF-8''%E0%B9%81%E0%B8%9A%E0%B8%9A%E0%B8%9F%E0%B8%AD%E0%B8%A3%E0%B9%8C"
            "%E0%B8%A1%E0%B8%9A%E0%B8%B1%E0%B8%8D%E0%B8%8A%E0%B8%B5.xlsx"
        },
    )


@bp.post("/api/inventory/import")
@permission_required("inventory_manage")
def inventory_import():
    inventory_module = _optional("indexer.inventory")
    if inventory_module is None or not hasattr(inventory_module, "import_inventory"):
        return _not_available()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error(400, "no_file", "ไม่มีไฟล์บัญชี", "send the inventory file in 'file'")
    from service.inventory_view import run_import

    try:
        result = run_import(
            core(),
            upload,
            agent=g.principal.agent,
            strict=_flag(request.form.get("strict")),
            prune=_flag(request.form.get("prune")),
        )
    except ValueError as exc:
        return error(400, "bad_inventory", f"ไฟล์บัญชีไม่ถูกต้อง: {exc}", f"bad inventory file: {exc}")
    return jsonify(_jsonable(result))


def _flag(value) -> bool:
    """A form or JSON yes/no as scripts and forms send it."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "ใช่")


@bp.post("/api/inventory/retire")
@permission_required("inventory_manage")
def inventory_retire():
    """Withdraw items (a renamed or dropped deliverable); they keep links and history."""
    from indexer.inventory import retire_items

    body = request.get_json(silent=True) or {}
    codes = body.get("codes") if isinstance(body, dict) else None
    if isinstance(codes, str):
        codes = [codes]
    if not codes or not all(isinstance(c, str) and c.strip() for c in codes):
        return error(400, "codes_required", "กรุณาระบุรหัสรายการ", "codes (a list) is required")
    reason = body.get("reason")
    result = retire_items(
        core(), [c.strip() for c in codes], agent=g.principal.agent, reason=reason or None
    )
    return jsonify(result)


@bp.get("/api/inventory/deadlines/<int(min=2400, max=2700):fiscal_year>")
@permission_required("inventory_read")
def inventory_deadlines(fiscal_year: int):
    from indexer.inventory import process_deadlines

    return jsonify(_jsonable(process_deadlines(core(), fiscal_year)))


@bp.put("/api/inventory/deadlines/<int(min=2400, max=2700):fiscal_year>")
@permission_required("inventory_manage")
def set_inventory_deadlines(fiscal_year: int):
    """Set a year's process deadlines, dates as staff write them ('๓๑ ต.ค. ๒๕๖๒')."""
    from indexer.inventory import set_process_deadlines

    body = request.get_json(silent=True) or {}
    values = {
        name: str(body[name]).strip()
        for name in ("inventory_to_dsss", "dsss_to_cluster")
        if isinstance(body, dict) and body.get(name)
    }
    if not values:
        return error(
            400,
            "bad_argument",
            "กรุณาระบุ inventory_to_dsss หรือ dsss_to_cluster",
            "send inventory_to_dsss and/or dsss_to_cluster",
        )
    try:
        data = set_process_deadlines(core(), fiscal_year, **values)
    except ValueError:
        return error(400, "bad_date", "อ่านวันที่ไม่ได้", "unreadable date")
    return jsonify(_jsonable(data))


# --- gap reports ---------------------------------------------------------------------------


def gap_params(args) -> dict:
    """Parameters of a gap report; a dsss officer's report is always their province's."""
    from indexer.thai.dates import parse_thai_date

    if not args.get("fiscal_year"):
        raise BadArgument("fiscal_year")
    # read from ``args``, not the query string: the page fills in its default year there
    fiscal_year = _int_arg("fiscal_year", 0, 2400, 2700, args)
    params = {"fiscal_year": fiscal_year}
    for key in ("cluster", "province", "agency", "project"):
        value = (args.get(key) or "").strip()
        if value:
            params[key] = value
    if args.get("as_of"):
        # as staff write dates: '๑ ธ.ค. ๒๕๖๒', '1/12/2562', ISO (the same parser as the CLI)
        params["as_of"] = parse_thai_date(args["as_of"])
        if params["as_of"] is None:
            raise BadArgument("as_of")
    principal = g.principal
    if principal.role == "dsss":
        if params.get("province") and params["province"] != principal.province:
            raise ProvinceRefused()
        if not principal.province:
            raise ProvinceRefused()
        params["province"] = principal.province
    return params


class ProvinceRefused(Exception):
    pass


@bp.errorhandler(ProvinceRefused)
def _province_refused(_exc):
    return error(
        403, "forbidden", "ดูรายงานได้เฉพาะจังหวัดที่รับผิดชอบ", "you may see your own province only"
    )


@bp.get("/api/gaps")
@permission_required("gaps")
def gaps():
    gaps_module = _optional("indexer.inventory.gaps")
    if gaps_module is None:
        return _not_available()
    params = gap_params(request.args)
    fmt = request.args.get("format") or "json"
    if fmt not in ("json", "csv", "xlsx"):
        raise BadArgument("format")
    report = gaps_module.gap_report(core(), **params)
    if fmt == "json":
        return jsonify(_jsonable(report))
    reports = _optional("indexer.inventory.reports")
    if reports is None:
        return _not_available()
    name = f"gaps-{params['fiscal_year']}"
    if fmt == "csv":
        return Response(
            reports.gaps_csv(report),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    from indexer.inventory.report_settings import BadReportSetting, report_digits

    try:
        digits = report_digits(core(), request.args.get("digits"))
    except BadReportSetting:
        raise BadArgument("digits") from None
    return Response(
        reports.gaps_xlsx(report, digits=digits),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
    )
