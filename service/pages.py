"""Server-rendered pages (Thai first): search, document, upload, inventory, gap report, reuse.

Every page asks the same access questions as the API (service.access, service.auth);
nothing is hidden only by leaving a button out.
"""

from __future__ import annotations

import json
import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from indexer.extract import ocr
from indexer.preserve import searchable
from indexer.records.edits import current_values
from indexer.records.provenance import EVENT_LABELS_TH
from indexer.search.index import IndexDamaged
from indexer.search.tiers import TIER_LABELS
from indexer.understand import KIND_LABELS_TH
from indexer.understand.kinds import KINDS
from schemas.models import Document
from service import access
from service.actions import gaps as gap_actions
from service.actions import search as search_actions
from service.actions.common import jsonable
from service.actions.documents import edit_document
from service.actions.links import change_link, set_due_date_from
from service.actions.publication import ACTION_LABELS, STATE_LABELS, next_actions
from service.actions.uploads import start_upload
from service.auth import login_required, permission_required
from service.context import core
from service.errors import BadArgument, KhlangError
from service.i18n import EVENT_LABELS_EN, current_lang

bp = Blueprint("pages", __name__)

PAGE_SIZE = 20
FACET_LABELS = {
    "fiscal_year": "ปีงบประมาณ",
    "province": "จังหวัด",
    "project": "โครงการ",
    "agency": "หน่วยงาน",
    "category": "หมวด",
    "kind": "ประเภท",
    "sender": "หน่วยงานผู้ส่ง",
    "urgency": "ความเร่งด่วน",
    "has_deadline": "มีกำหนดส่ง",
}
CATEGORY_LABELS = {
    "text": "ข้อความ",
    "image": "ภาพ",
    "audio": "เสียง",
    "video": "วิดีโอ",
    "spreadsheet": "ตาราง",
    "presentation": "งานนำเสนอ",
    "archive": "ไฟล์บีบอัด",
    "other": "อื่น ๆ",
}
STATUS_LABELS = {
    "ingested": "นำเข้าแล้ว",
    "duplicate": "ซ้ำ",
    "stored-without-text": "เก็บแล้วแต่ไม่มีข้อความ",
    "rejected": "ปฏิเสธ",
}
LETTER_FIELDS = [
    ("number", "ที่"),
    ("urgency", "ชั้นความเร็ว"),
    ("office", "ส่วนราชการ"),
    ("date", "วันที่"),
    ("subject", "เรื่อง"),
    ("addressee", "เรียน"),
    ("references", "อ้างถึง"),
    ("enclosures", "สิ่งที่ส่งมาด้วย"),
    ("signatory", "ผู้ลงนาม"),
    ("position", "ตำแหน่ง"),
    ("contact", "ติดต่อ"),
]
FACT_FIELDS = [
    ("provinces", "จังหวัด"),
    ("districts", "อำเภอ"),
    ("projects", "โครงการ"),
    ("activities", "กิจกรรม"),
    ("deadlines", "กำหนดเวลา"),
    ("amounts", "จำนวนเงิน"),
]


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        for key in ("raw", "text", "district", "unit"):
            if value.get(key):
                extra = value.get("province") or value.get("phone")
                return f"{value[key]} ({extra})" if extra else str(value[key])
        return ", ".join(f"{v}" for v in value.values() if v)
    if isinstance(value, list | tuple):
        return "; ".join(_as_text(v) for v in value if v)
    return str(value)


def _date_text(value) -> str:
    from service.i18n import thai_date

    try:
        return thai_date(value)
    except Exception:
        return str(value)


def letter_rows(letter: dict) -> list[tuple[str, str]]:
    rows = []
    for key, label in LETTER_FIELDS:
        value = letter.get(key)
        if not value:
            continue
        text = _date_text(value) if key == "date" and isinstance(value, str) else _as_text(value)
        rows.append((label, text))
    return rows


def fact_rows(meta: dict) -> list[tuple[str, list[str]]]:
    rows = []
    for key, label in FACT_FIELDS:
        values = meta.get(key) or []
        if not values:
            continue
        if key == "deadlines":
            shown = [
                f"{_date_text(d['date']) if d.get('date') else ''} {d.get('sentence') or ''}".strip()
                for d in values
                if isinstance(d, dict)
            ]
        else:
            shown = [_as_text(v) for v in values]
        rows.append((label, [v for v in shown if v][:12]))
    return rows


def kind_label(kind: str | None) -> str:
    if current_lang() == "en":
        return (kind or "").replace("-", " ")
    return KIND_LABELS_TH.get(kind, kind or "")


def facet_value_label(field: str, value) -> str:
    if field == "kind":
        return kind_label(value)
    if field == "category" and current_lang() == "th":
        return CATEGORY_LABELS.get(value, value)
    if field == "has_deadline":
        yes = value in ("yes", True, "true")
        if current_lang() == "th":
            return "มี" if yes else "ไม่มี"
        return "yes" if yes else "no"
    return str(value)


def event_label(event: str) -> str:
    if current_lang() == "en":
        return EVENT_LABELS_EN.get(event, event)
    return EVENT_LABELS_TH.get(event, event)


@bp.app_context_processor
def _layout_context():
    return {
        "principal": getattr(g, "principal", None),
        "kind_label": kind_label,
        "facet_value_label": facet_value_label,
        "event_label": event_label,
        "state_labels": STATE_LABELS,
        "status_labels": STATUS_LABELS,
        "category_labels": CATEGORY_LABELS,
        "lang_url": _lang_url,
        "search_url": _search_url,
    }


def _search_url(**changes) -> str:
    """The search page's URL with some parameters changed (None removes one); any change
    other than the page number goes back to page 1."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("pages.search", **args)


def _lang_url(lang: str) -> str:
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return url_for(request.endpoint or "pages.search", **(request.view_args or {}), **args)


# --- search ----------------------------------------------------------------------------------


def _mark_ocr_review(hits: list[dict]) -> None:
    """Mark the hits whose text came from OCR pages below the confidence threshold, so
    the result list says the matched text may be misread (hit["ocr_review"]: the pages)."""
    ids = [hit["document_id"] for hit in hits]
    with core().sessions() as session:
        rows = session.execute(select(Document.id, Document.meta).where(Document.id.in_(ids)))
        review = {i: ocr.pages_to_review((meta or {}).get("technical")) for i, meta in rows}
    for hit in hits:
        hit["ocr_review"] = review.get(hit["document_id"]) or []


@bp.get("/")
def search():
    query = (request.args.get("q") or "").strip()
    sort = request.args.get("sort") if request.args.get("sort") in ("relevance", "date") else None
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    try:
        filters = search_actions.search_filters(request.args)
    except BadArgument:
        filters = {}
    # the strict all-words search on request (match=all, or its former name strict)
    match = "all" if request.args.get("match") in ("all", "strict") else "default"
    result, index_error = None, False
    if query or filters or sort:
        try:
            result = search_actions.run_search(
                query,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
                sort=sort or "relevance",
                filters=filters,
                match=match,
            )
        except Exception as exc:
            current_app.logger.exception("search failed")
            if isinstance(exc, IndexDamaged):
                search_actions.start_index_repair()
            index_error = True
    pages = math.ceil(result["total"] / PAGE_SIZE) if result else 0
    if result and result.get("hits"):
        _mark_ocr_review(result["hits"])
    page_html = render_template(
        "search.html",
        query=query,
        sort=sort or "relevance",
        filters=filters,
        result=result,
        page=page,
        pages=pages,
        facet_labels=FACET_LABELS,
        match_labels=TIER_LABELS,
        index_error=index_error,
        match=match,
        action_labels=ACTION_LABELS,
    )
    if index_error:  # not "nothing found": the index could not answer
        return page_html, 503, {"Retry-After": str(search_actions.INDEX_RETRY_AFTER)}
    return page_html


# --- documents -------------------------------------------------------------------------------


@bp.get("/documents/<int:document_id>")
def document(document_id: int):
    with core().sessions() as session:
        doc = access.visible_document(session, document_id)
        if doc is None:
            abort(404)
        data = access.document_view(session, doc)
        has_searchable_copy = searchable.copy_of(session, document_id) is not None
    text = data.pop("text") or ""
    similar = []
    try:
        similar = search_actions.similar_hits(
            f"{data['title']}\n{text[:20000]}", 5, exclude=document_id
        )
    except Exception:
        current_app.logger.exception("similar failed")
    suggestions = []
    # a dsss officer is offered only their own province's items: linking another's is
    # refused, so offering it would be a trap (one without a province links nothing)
    dsss = g.principal.role == "dsss"
    if g.principal.can("link") and not (dsss and g.principal.province_id is None):
        try:
            from indexer.inventory.suggest import suggest_items

            province_id = g.principal.province_id if dsss else None
            found = suggest_items(core(), document_id, limit=5, province_id=province_id)
            suggestions = [s.as_dict() for s in found]
            linked = {link["code"] for link in data["links"]}
            suggestions = [s for s in suggestions if s["code"] not in linked]
        except Exception:
            current_app.logger.exception("suggestions failed")
    actions = [a for a in next_actions(data["publication"]) if g.principal.can(a)]
    meta = data.get("metadata") or {}
    with core().sessions() as session:
        stored = session.get(Document, document_id)
        may_edit = access.may_edit_document(session, stored)
        current = current_values(stored)
    return render_template(
        "document.html",
        doc=data,
        text_preview=text[:4000],
        text_rest=text[4000:100_000],
        text_truncated=len(text) > 100_000,
        letter=letter_rows(meta.get("letter") or {}),
        facts=fact_rows(meta),
        ocr_review=ocr.pages_to_review(meta.get("technical")),
        has_searchable_copy=has_searchable_copy,
        deadlines=[d for d in meta.get("deadlines") or [] if isinstance(d, dict) and d.get("date")],
        technical=json.dumps(meta, ensure_ascii=False, indent=1, default=str) if meta else "",
        similar=similar,
        suggestions=suggestions,
        actions=actions,
        action_labels=ACTION_LABELS,
        may_edit=may_edit,
        preview=_preview(document_id),
        kinds=KINDS,
        current=current,
    )


@bp.get("/documents/<int:document_id>/preview/<int:page>.png")
def preview_page(document_id: int, page: int):
    from indexer.records.preview import PreviewFailed
    from service.preview_view import page_response, preview_source

    source = preview_source(document_id)
    if source is None:
        abort(404)
    try:
        return page_response(source, page)
    except IndexError:
        abort(404)
    except PreviewFailed:
        abort(422)


def _preview(document_id: int) -> dict | None:
    """The preview on the document page, at the page asked for (``?page=``)."""
    from service.preview_view import preview_info, preview_source

    source = preview_source(document_id)
    if source is None or source.kind == "none":
        return None
    info = preview_info(document_id, source, endpoint="pages.preview_page")
    try:
        wanted = int(request.args.get("page") or 1)
    except ValueError:
        wanted = 1
    info["page"] = min(max(1, wanted), max(1, info["pages"]))
    return info


@bp.post("/documents/<int:document_id>/publication")
@login_required
def publication(document_id: int):
    from service.actions.publication import ACTIONS, TransitionError, transition

    action = request.form.get("action")
    with core().sessions() as session:
        if access.visible_document(session, document_id) is None:
            abort(404)
    if action not in ACTIONS:
        abort(400)
    if not g.principal.can(action):
        abort(403)
    try:
        transition(core(), document_id, action, agent=g.principal.agent)
    except TransitionError as exc:
        flash(exc.message_th if current_lang() == "th" else exc.message_en, "error")
    return redirect(url_for("pages.document", document_id=document_id))


@bp.post("/documents/<int:document_id>/edit")
@login_required
def edit(document_id: int):
    """The edit form: every field is sent; only those that changed become the event."""
    from indexer.records.edits import EDITABLE

    changes = {field: request.form[field] for field in EDITABLE if field in request.form}
    thai = current_lang() == "th"
    try:
        edit_document(document_id, changes)
    except KhlangError as exc:
        if exc.status == 400:
            flash(exc.message(current_lang()), "error")
        elif exc.status == 403:
            back = url_for("pages.document", document_id=document_id)
            reason = exc.message(current_lang())
            return render_template("error.html", status=403, reason=reason, back=back), 403
        else:
            abort(exc.status)
    else:
        flash("บันทึกการแก้ไขแล้ว" if thai else "Changes saved", "info")
    return redirect(url_for("pages.document", document_id=document_id) + "#edit")


@bp.post("/documents/<int:document_id>/links")
@login_required
def link(document_id: int):
    code = (request.form.get("item_code") or "").strip()
    unlink = request.form.get("op") == "unlink"
    method = "confirmed" if request.form.get("op") == "confirm" else "manual"
    if not code:
        abort(400)
    if not g.principal.can("link"):
        abort(403)  # the role never links; the refusals below are about this item
    try:
        change_link(document_id, code, unlink=unlink, method=method)
    except KhlangError as exc:
        # a refusal the person can act on is said on the document's page, with its reason
        thai = current_lang() == "th"
        if exc.code == "item_not_found":
            flash(
                f"ไม่พบรายการ {code} ในบัญชี" if thai else f"No item {code} in the inventory", "error"
            )
        elif exc.status == 403:  # another province's item: refused, and the page says why
            reason = (
                f"รายการ {code} เป็นของจังหวัดอื่น เชื่อมโยงได้เฉพาะรายการของจังหวัดที่รับผิดชอบ"
                if thai
                else f"item {code} belongs to another province: link your own province's items"
            )
            back = url_for("pages.document", document_id=document_id)
            return render_template("error.html", status=403, reason=reason, back=back), 403
        elif exc.status == 409:
            flash(exc.message(current_lang()), "error")
        else:
            abort(exc.status)
    return redirect(url_for("pages.document", document_id=document_id) + "#links")


@bp.post("/documents/<int:document_id>/due-date")
@login_required
def due_date(document_id: int):
    code = (request.form.get("item_code") or "").strip()
    due = (request.form.get("due_date") or "").strip()
    if not code or not due:
        abort(400)
    try:
        set_due_date_from(document_id, code, due)
    except KhlangError as exc:
        if exc.status != 400:
            abort(exc.status)
        flash(
            f"อ่านวันที่ไม่ได้: {due}" if current_lang() == "th" else f"Unreadable date: {due}", "error"
        )
    else:
        flash("บันทึกกำหนดส่งแล้ว" if current_lang() == "th" else "Due date saved", "info")
    return redirect(url_for("pages.document", document_id=document_id) + "#links")


# --- upload ------------------------------------------------------------------------------


@bp.get("/upload")
@permission_required("upload")
def upload():
    from service.inventory_view import upload_choices, upload_menus

    try:
        choices = upload_choices(core(), g.principal)
    except Exception:
        current_app.logger.exception("upload choices failed")
        choices = []
    return render_template(
        "upload.html",
        choices=choices,
        **upload_menus(choices),
        max_upload=current_app.config.get("MAX_CONTENT_LENGTH"),
    )


@bp.post("/upload")
@permission_required("upload")
def upload_post():
    """Without JavaScript the form posts here and lands on the job's page."""
    files = [f for f in request.files.getlist("files") if f and f.filename]
    item_code = (request.form.get("item_code") or "").strip() or None
    try:
        started = start_upload(files, item_code)
    except KhlangError as exc:
        if exc.status == 403:
            # The form offers only the officer's own items: only a forged one gets here.
            abort(403)
        flash(exc.message(current_lang()), "error")
        return redirect(url_for("pages.upload"))
    return redirect(url_for("pages.job", job_id=started["job_id"]))


@bp.get("/upload/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    from indexer.ingest.jobs import job_status
    from schemas.models import Batch

    with core().sessions() as session:
        batch = session.get(Batch, job_id)
        if batch is None or not access.may_see_job(batch):
            abort(404)
    return render_template("job.html", job=job_status(core(), job_id))


# --- inventory -----------------------------------------------------------------------------


@bp.route("/inventory", methods=["GET", "POST"])
@permission_required("inventory_read")
def inventory():
    from service.inventory_view import fiscal_years, list_items, run_import

    import_result = None
    if request.method == "POST":
        if not g.principal.can("inventory_manage"):
            abort(403)
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            flash("กรุณาเลือกไฟล์บัญชี" if current_lang() == "th" else "Choose a file", "error")
        else:
            try:
                import_result = run_import(core(), upload_file, agent=g.principal.agent)
            except ValueError as exc:
                flash(str(exc), "error")
    years = fiscal_years(core())
    try:
        fiscal_year = int(request.args.get("fiscal_year") or 0) or None
    except ValueError:
        fiscal_year = None
    if fiscal_year is None and years and "fiscal_year" not in request.args:
        fiscal_year = years[0]
    province = (request.args.get("province") or "").strip() or None
    project = (request.args.get("project") or "").strip() or None
    items = list_items(core(), fiscal_year=fiscal_year)
    provinces = sorted({i["province"] for i in items if i.get("province")})
    projects = sorted({i["project"] for i in items if i.get("project")})
    if province:
        items = [i for i in items if i.get("province") == province]
    if project:
        items = [i for i in items if i.get("project") == project]
    return render_template(
        "inventory.html",
        items=items,
        years=years,
        fiscal_year=fiscal_year,
        province=province,
        project=project,
        provinces=provinces,
        projects=projects,
        import_result=import_result,
    )


# --- gap report ----------------------------------------------------------------------------


@bp.get("/gaps")
@permission_required("gaps")
def gaps():
    return _gaps_page("gaps.html")


@bp.get("/gaps/print")
@permission_required("gaps")
def gaps_print():
    return _gaps_page("gaps_print.html")


def _gaps_page(template: str):
    from service.inventory_view import fiscal_years

    years = fiscal_years(core())
    args = request.args.to_dict()
    if not args.get("fiscal_year") and years:
        args["fiscal_year"] = str(years[0])
    report, params, problem = None, {}, None
    if args.get("fiscal_year"):
        try:
            params = gap_actions.gap_params(args)
        except BadArgument as exc:
            problem = exc.name
        except gap_actions.ProvinceRefused:
            abort(403)
        else:
            report = jsonable(gap_actions.report(params))
    export_args = {k: v for k, v in args.items() if k != "lang" and v}
    from indexer.inventory.report_settings import logo_path, report_settings

    page = render_template(
        template,
        office={**report_settings(core()), "has_logo": logo_path(core()).exists()},
        report=report,
        params=params,
        years=years,
        problem=problem,
        args=args,
        export_args=export_args,
    )
    # a parameter the user typed that cannot be read is their request's fault: 400, with
    # the form and its reason shown, as the API answers the same parameters
    return page, 400 if problem in ("fiscal_year", "as_of") else 200


# --- reuse ---------------------------------------------------------------------------------


@bp.route("/reuse", methods=["GET", "POST"])
def reuse():
    text = (request.form.get("text") or "").strip() if request.method == "POST" else ""
    found = None
    if text:
        try:
            found = search_actions.reuse_lookup(text[:50000], 10)
        except Exception:
            current_app.logger.exception("reuse failed")
            found = {"hits": [], "projects": []}
    return render_template("reuse.html", text=text, found=found)
