"""Links between a document and inventory items, due dates and link suggestions."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from indexer.ingest.indexing import reindex_quietly
from indexer.records.documents import document_as_dict
from schemas.models import Document, InventoryItem
from service import access
from service.api.common import (
    HTTP_ERRORS,
    BadArgument,
    _not_available,
    _not_found,
    _optional,
    error,
)
from service.api_models.common import Error
from service.api_models.documents import DueDateBody, LinkBody, Links, Suggestions
from service.api_models.inventory import InventoryItem as ItemAnswer
from service.api_models.spec import STAFF, Answers, api
from service.auth import permission_required
from service.context import core

bp = Blueprint("links", __name__)


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
    from indexer.inventory.items import LinkError, set_due_date

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
    return _link_response(*change_link(document_id, code, unlink=False, method=method))


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
    status, result = set_due_date_from(document_id, code, due)
    if status == 400:
        return error(400, "bad_date", "อ่านวันที่ไม่ได้", "unreadable date")
    return _link_response(status, result)


@bp.delete("/api/documents/<int:document_id>/links/<code>")
@api.validate(resp=Answers(HTTP_200=Links), security=STAFF)
def remove_link(document_id: int, code: str):
    """Unlink (the link is kept, inactive, with an event)"""
    return _link_response(*change_link(document_id, code, unlink=True))


@bp.get("/api/documents/<int:document_id>/suggestions")
@api.validate(resp=Answers(HTTP_200=Suggestions), security=STAFF)
@permission_required("link")
def suggestions(document_id: int):
    """Inventory items this document may fulfil"""
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
