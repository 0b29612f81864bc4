"""One document's page and its forms: publication steps, edits, links, due dates."""

from __future__ import annotations

import json

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
from sqlalchemy.exc import OperationalError

from indexer.preserve import searchable
from indexer.records.edits import current_values
from indexer.understand.kinds import KINDS
from schemas.models import Document
from service import access
from service.actions import search as search_actions
from service.actions.documents import edit_document
from service.actions.links import change_link, set_due_date_from
from service.actions.publication import ACTION_LABELS, next_actions
from service.auth import login_required
from service.context import core
from service.errors import KhlangError
from service.i18n import current_lang
from service.pages.layout import fact_rows, letter_rows
from service.read_your_writes import replica_readable

bp = Blueprint("documents", __name__)


@bp.get("/documents/<int:document_id>")
@replica_readable
def document(document_id: int):
    with core().sessions() as session:
        doc = access.visible_document(session, document_id)
        if doc is None:
            abort(404)
        data = access.document_view(session, doc)
        has_searchable_copy = searchable.has_copy(core(), session, document_id)
    text = data.pop("text") or ""
    similar = []
    try:
        similar = search_actions.similar_documents(document_id, data["title"], text, 5)
    except OperationalError:
        raise  # a standby gone: the page is read again on the primary (replica_readable)
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
        except OperationalError:
            raise  # as above
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
        ocr_review=(data.get("ocr_review") or {}).get("pages", []),
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
    except PreviewFailed as exc:
        # the reason on the error page, as the API gives it (an image that failed to load
        # shows nothing, but a person who opens its address reads why)
        raise KhlangError(422, "preview_failed", exc.message_th, exc.message_en) from None


def _preview(document_id: int) -> dict | None:
    """The preview on the document page, at the page asked for (``?page=``)."""
    from service.preview_view import preview_info, preview_source

    source = preview_source(document_id)
    if source is None or source.kind == "none":
        return None
    info = preview_info(document_id, source, endpoint="pages.documents.preview_page")
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
    return redirect(url_for("pages.documents.document", document_id=document_id))


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
            back = url_for("pages.documents.document", document_id=document_id)
            reason = exc.message(current_lang())
            return render_template("error.html", status=403, reason=reason, back=back), 403
        else:
            abort(exc.status)
    else:
        flash("บันทึกการแก้ไขแล้ว" if thai else "Changes saved", "info")
    return redirect(url_for("pages.documents.document", document_id=document_id) + "#edit")


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
            back = url_for("pages.documents.document", document_id=document_id)
            return render_template("error.html", status=403, reason=reason, back=back), 403
        elif exc.status == 409:
            flash(exc.message(current_lang()), "error")
        else:
            abort(exc.status)
    return redirect(url_for("pages.documents.document", document_id=document_id) + "#links")


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
    return redirect(url_for("pages.documents.document", document_id=document_id) + "#links")
