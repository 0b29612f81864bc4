"""Linking a document to an inventory item (and unlinking it), and taking a deadline the
document sets as the item's due date."""

from __future__ import annotations

from flask import g

from indexer.ingest.indexing import reindex_quietly
from indexer.inventory.items import LinkError, set_due_date
from indexer.inventory.links import NotLinkable, link_document, unlink_document
from indexer.records.documents import document_as_dict
from schemas.models import Document, InventoryItem
from service import access
from service.actions.documents import document_not_found
from service.actions.inventory import get_item
from service.context import core
from service.errors import KhlangError, http_status


def item_not_found() -> KhlangError:
    return KhlangError(404, "item_not_found", "ไม่พบรายการในบัญชี", "no inventory item with that code")


def link_forbidden() -> KhlangError:
    return KhlangError(
        403,
        "forbidden",
        "เชื่อมโยงได้เฉพาะรายการของจังหวัดที่รับผิดชอบ",
        "you may link only items of your own province",
    )


def linkable_item(session, code: str) -> InventoryItem:
    """The item the principal may link to, or the refusal (no such item; another
    province's item)."""
    item = get_item(session, code)
    if item is None:
        raise item_not_found()
    if not access.may_link_item(item):
        raise link_forbidden()
    return item


def _visible_or_refuse(session, document_id: int) -> Document:
    if not g.principal.authenticated:
        raise http_status(401)
    document = access.visible_document(session, document_id)
    if document is None:
        raise document_not_found()
    return document


def change_link(document_id: int, code: str, *, unlink: bool, method: str = "manual") -> dict:
    """Link or unlink; the document's links afterwards."""
    with core().transaction() as session:
        document = _visible_or_refuse(session, document_id)
        item = linkable_item(session, code)
        if unlink:
            if unlink_document(session, document, item, agent=g.principal.agent) is None:
                raise KhlangError(404, "link_not_found", "ไม่มีการเชื่อมโยงนี้", "no such active link")
        else:
            try:
                link_document(session, document, item, agent=g.principal.agent, method=method)
            except NotLinkable as exc:
                raise KhlangError(409, "not_linkable", exc.message_th, exc.message_en) from exc
    reindex_quietly(core(), [document_id], agent=g.principal.agent)
    with core().sessions() as session:
        data = document_as_dict(session, session.get(Document, document_id), include_text=False)
    return {"document_id": document_id, "links": data["links"]}


def set_due_date_from(document_id: int, code: str, due: str) -> dict:
    """Use a date (a deadline the document sets) as an item's due date."""
    with core().sessions() as session:
        _visible_or_refuse(session, document_id)
        linkable_item(session, code)
    try:
        return set_due_date(core(), code, due, agent=g.principal.agent, document_id=document_id)
    except ValueError:
        raise KhlangError(400, "bad_date", "อ่านวันที่ไม่ได้", "unreadable date") from None
    except LinkError:
        raise item_not_found() from None
