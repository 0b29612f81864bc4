"""Links between a document and inventory items, due dates and link suggestions."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from indexer.inventory.suggest import suggest_items
from service import access
from service.actions.links import change_link, set_due_date_from
from service.api.common import BadArgument, _not_found, error
from service.api_models.common import Error
from service.api_models.documents import DueDateBody, LinkBody, Links, Suggestions
from service.api_models.inventory import InventoryItem as ItemAnswer
from service.api_models.spec import STAFF, Answers, api
from service.auth import permission_required
from service.context import core

bp = Blueprint("links", __name__)


@bp.post("/api/documents/<int:document_id>/links")
@api.validate(
    json=LinkBody,
    resp=Answers(
        HTTP_200=Links,
        HTTP_409=(Error, "a bundle (link its members) or a retired item (code not_linkable)"),
    ),
    security=STAFF,
)
def add_link(document_id: int):
    """Link the document to an inventory item (dsss: own province only)"""
    # JSON is checked against LinkBody; a form post is read as it comes
    body = request.get_json(silent=True) or request.form
    code = (body.get("item_code") or "").strip()
    method = body.get("method") or "manual"
    if not code:
        return error(400, "item_code_required", "กรุณาระบุรหัสรายการ", "item_code is required")
    if method not in ("manual", "confirmed"):
        raise BadArgument("method")
    return jsonify(change_link(document_id, code, unlink=False, method=method))


@bp.post("/api/documents/<int:document_id>/due-date")
@api.validate(json=DueDateBody, resp=Answers(HTTP_200=ItemAnswer), security=STAFF)
def use_deadline_as_due_date(document_id: int):
    """Use a date (e.g. a deadline this letter sets) as an item's due date"""
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
    return jsonify(set_due_date_from(document_id, code, due))


@bp.delete("/api/documents/<int:document_id>/links/<code>")
@api.validate(resp=Answers(HTTP_200=Links), security=STAFF)
def remove_link(document_id: int, code: str):
    """Unlink (the link is kept, inactive, with an event)"""
    return jsonify(change_link(document_id, code, unlink=True))


@bp.get("/api/documents/<int:document_id>/suggestions")
@api.validate(resp=Answers(HTTP_200=Suggestions), security=STAFF)
@permission_required("link")
def suggestions(document_id: int):
    """Inventory items this document may fulfil"""
    with core().sessions() as session:
        if access.visible_document(session, document_id) is None:
            return _not_found()
    # a dsss officer links items of their own province only: suggest only those
    province_id = g.principal.province_id if g.principal.role == "dsss" else None
    found = suggest_items(core(), document_id, province_id=province_id)
    return jsonify({"suggestions": [s.as_dict() for s in found]})
