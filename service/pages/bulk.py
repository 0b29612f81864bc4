"""The pages' bulk actions: the selection form on the search results, and the job page's
assignment of a ZIP's members each to its own inventory item."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from schemas.models import Batch, DocumentLink, InventoryItem
from service import access
from service.actions import bulk
from service.actions.publication import ACTIONS
from service.actions.uploads import visible_job
from service.auth import _safe_next, login_required
from service.disposition import file_response
from service.errors import KhlangError
from service.i18n import current_lang

bp = Blueprint("bulk", __name__)

# members of one upload whose suggestions the job page computes (each is a query)
MAX_ASSIGNABLE = 100


def _say(result: dict) -> None:
    """The outcome on the next page: how many were done, and each refusal with its reason."""
    thai = current_lang() == "th"
    flash(
        f"ทำแล้ว {result['done']} เอกสาร ไม่สำเร็จ {result['failed']} เอกสาร"
        if thai
        else f"{result['done']} done, {result['failed']} not done",
        "info" if not result["failed"] else "error",
    )
    for failure in [r for r in result["results"] if not r["ok"]][:20]:
        reason = failure["message"] if thai else failure["message_en"]
        flash(f"#{failure['document_id']}: {reason}", "error")


def _suggested_links(document_ids: list[int]) -> list[dict]:
    """The links the suggester made for these documents, as entries to confirm."""
    with access.core().sessions() as session:
        rows = session.execute(
            select(DocumentLink.document_id, InventoryItem.code)
            .join(InventoryItem, DocumentLink.item_id == InventoryItem.id)
            .where(
                DocumentLink.document_id.in_(document_ids),
                DocumentLink.active.is_(True),
                DocumentLink.method == "suggested",
            )
        ).all()
    return [{"document_id": d, "item_code": c, "op": "confirm"} for d, c in rows]


@bp.post("/bulk")
@login_required
def selection_action():
    """The search page's form: the ticked documents and one action."""
    back = _safe_next(request.form.get("next"))
    try:
        ids = bulk.selection(request.form.getlist("document_id"))
    except ValueError:
        abort(400)
    action = request.form.get("action") or ""
    if action in ("export_xlsx", "export_csv"):
        return file_response(**bulk.export_file(ids, action.removeprefix("export_")))
    if not ids:
        flash("ยังไม่ได้เลือกเอกสาร" if current_lang() == "th" else "No document selected", "error")
        return redirect(back)
    if action in ACTIONS:
        if not g.principal.can(action):
            abort(403)
        _say(bulk.publication(ids, action))
    elif action == "tags":
        from indexer.records.edits import EditError

        if not g.principal.can("edit"):
            abort(403)
        try:
            _say(bulk.add_tags(ids, request.form.get("tags") or ""))
        except EditError as exc:
            flash(exc.message_th if current_lang() == "th" else exc.message_en, "error")
    elif action == "confirm_links":
        if not g.principal.can("link"):
            abort(403)
        _say(bulk.change_links(_suggested_links(ids)))
    else:
        abort(400)
    return redirect(back)


# --- a ZIP's members, each to its own item ---------------------------------------------------


def _members(job_id: int) -> tuple[Batch, list[dict]]:
    """The job's stored members with their linked items and the suggester's best items."""
    from indexer.ingest.jobs import job_status
    from indexer.inventory.suggest import suggest_items
    from service.context import core

    try:
        batch = visible_job(job_id)
    except KhlangError:
        abort(404)
    status = job_status(core(), job_id)
    dsss = g.principal.role == "dsss"
    members = []
    for entry in status["files"]:
        if not entry.get("document_id") or len(members) >= MAX_ASSIGNABLE:
            continue
        document_id = entry["document_id"]
        with core().sessions() as session:
            linked = [
                link.item.code
                for link in session.scalars(
                    select(DocumentLink).where(
                        DocumentLink.document_id == document_id, DocumentLink.active.is_(True)
                    )
                )
            ]
        found = suggest_items(
            core(), document_id, limit=3, province_id=g.principal.province_id if dsss else None
        )
        members.append(
            {
                "document_id": document_id,
                "path": entry["path"],
                "linked": linked,
                "suggestions": [s.as_dict() for s in found],
            }
        )
    return batch, members


@bp.get("/upload/jobs/<int:job_id>/assign")
@login_required
def assign_form(job_id: int):
    if not g.principal.can("link"):
        abort(403)
    batch, members = _members(job_id)
    return render_template("job_assign.html", job_id=job_id, batch=batch, members=members)


@bp.post("/upload/jobs/<int:job_id>/assign")
@login_required
def assign(job_id: int):
    """Link each member to the item chosen for it (or, with ``accept``, to its best
    suggestion), taking it off the item the whole upload was linked to."""
    if not g.principal.can("link"):
        abort(403)
    batch, members = _members(job_id)
    accept = request.form.get("accept") == "1"
    moves: list[dict] = []
    for member in members:
        document_id = member["document_id"]
        if accept:
            best = member["suggestions"][:1]
            chosen = best[0]["code"] if best else ""
        else:
            # a typed code (the second field) wins over the suggestion chosen in the list
            given = [v.strip() for v in request.form.getlist(f"item_{document_id}") if v.strip()]
            chosen = given[-1] if given else ""
        if chosen and chosen not in member["linked"]:
            moves.append({"document_id": document_id, "item_code": chosen, "op": "link"})
    result = bulk.change_links(moves)
    # Only a member now linked to its own item leaves the upload's item: a refused link
    # never leaves a member with no item at all.
    moved = {r["document_id"] for r in result["results"] if r["ok"]}
    linked_before = {m["document_id"]: m["linked"] for m in members}
    if batch.item_code:
        bulk.change_links(
            [
                {"document_id": d, "item_code": batch.item_code, "op": "unlink"}
                for d in moved
                if batch.item_code in linked_before[d]
            ]
        )
    _say(result)
    return redirect(url_for("bulk.assign_form", job_id=job_id))
