"""Actions on a selection of documents: links, publication, tags, export."""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request

from service.actions import bulk
from service.actions.publication import ACTIONS
from service.api.common import (
    HTTP_ERRORS,
    error,
)
from service.api_models.bulk import BulkExport, BulkLinks, BulkPublication, BulkResult, BulkTags
from service.api_models.spec import PUBLIC, STAFF, XLSX, Answers, api, files
from service.auth import login_required
from service.disposition import file_response

bp = Blueprint("bulk", __name__)


def _too_many():
    return error(
        400,
        "selection_too_large",
        f"เลือกได้ไม่เกิน {bulk.MAX_SELECTION} เอกสารต่อครั้ง",
        f"select at most {bulk.MAX_SELECTION} documents at a time",
    )


def _selection(body: dict) -> list[int]:
    """The request's document ids; a selection past the limit ends the request (400)."""
    try:
        return bulk.selection(body.get("document_ids"))
    except ValueError:
        abort(_too_many())


@bp.post("/api/bulk/links")
@api.validate(json=BulkLinks, resp=Answers(HTTP_200=BulkResult), security=STAFF)
@login_required
def bulk_links():
    """Link, confirm or unlink many documents, each to its own item (a ZIP's members,
    suggestions); each entry checked as one link (dsss: own province)"""
    entries = (request.get_json(silent=True) or {}).get("links") or []
    if len(entries) > bulk.MAX_SELECTION:
        return _too_many()
    if not g.principal.can("link"):
        return error(403, *HTTP_ERRORS[403])
    return jsonify(bulk.change_links(entries))


@bp.post("/api/bulk/publication")
@api.validate(json=BulkPublication, resp=Answers(HTTP_200=BulkResult), security=STAFF)
@login_required
def bulk_publication():
    """One publication step for each selected document (same rules as one: the approver is
    not the checker)"""
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
@api.validate(json=BulkTags, resp=Answers(HTTP_200=BulkResult), security=STAFF)
@login_required
def bulk_tags():
    """Add tags to each selected document (an edit event each)"""
    from indexer.records.edits import EditError

    body = request.get_json(silent=True) or {}
    ids = _selection(body)
    if not g.principal.can("edit"):
        return error(403, *HTTP_ERRORS[403])
    try:
        return jsonify(bulk.add_tags(ids, body.get("tags") or []))
    except EditError as exc:
        return error(400, "bad_tags", exc.message_th, exc.message_en)


@bp.post("/api/bulk/export")
@api.validate(json=BulkExport, resp=Answers(), security=PUBLIC)
@files("200", "the file", "text/csv", XLSX)
def bulk_export():
    """The selected documents as XLSX (real date cells, Thai B.E. format, frozen header,
    filters, A4 landscape) or CSV; visitors: published ones only"""
    body = request.get_json(silent=True) or {}
    ids = _selection(body)
    return file_response(**bulk.export_file(ids, body.get("format") or "xlsx"))
