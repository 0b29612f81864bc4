"""Links between delivered documents and the inventory items they fulfil.

Every link and unlink is a provenance event with its agent. Unlinking keeps the row
(inactive), so the history of what was claimed to fulfil what is never lost. A link's
``linked_at`` is when it became active: confirming a suggested link does not move it.

A bundle (ZIP, 7z) is a container: its members are the deliverables, so a bundle is never
linked. A retired item takes no new links.

``link_document``/``unlink_document`` work inside the caller's session (ingest and
suggestions use them); ``link``/``confirm_link``/``unlink``/``document_links`` are the same
for callers holding a ``Khlang`` core, by document id and item code.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.inventory.items import LinkError, _session_of, get_item
from indexer.records import provenance as ev
from schemas.models import Document, DocumentLink, InventoryItem, utcnow


class NotLinkable(ValueError):
    """This document cannot be linked to this item (a bundle, or a retired item)."""

    def __init__(self, message_th: str, message_en: str):
        super().__init__(f"{message_th} ({message_en})")
        self.message_th, self.message_en = message_th, message_en


def is_container(document: Document) -> bool:
    """A bundle whose members are ingested (and linked) each on their own."""
    return document.category == "archive"


def link_document(
    session: Session, document: Document, item: InventoryItem, *, agent: str, method: str
) -> DocumentLink:
    """Link (or re-activate the link of) ``document`` to ``item``; idempotent.
    NotLinkable for a bundle or a retired item."""
    if is_container(document):
        raise NotLinkable(
            f"ไฟล์บีบอัด {document.filename} เป็นเพียงที่บรรจุ ให้เชื่อมโยงไฟล์ที่อยู่ภายใน",
            "a bundle is a container: link the files inside it",
        )
    if item.retired_at is not None:
        raise NotLinkable(f"รายการ {item.code} ถูกยกเลิกแล้ว", f"item {item.code} is retired")
    link = session.scalar(
        select(DocumentLink).where(
            DocumentLink.document_id == document.id, DocumentLink.item_id == item.id
        )
    )
    if link is not None and link.active and link.method == method:
        return link
    if link is None:
        link = DocumentLink(document=document, item=item, method=method, linked_by=agent)
        session.add(link)
    else:
        if not link.active:
            link.active, link.linked_at = True, utcnow()
        link.method, link.linked_by = method, agent
    # The index holds a document's linked projects and provinces: re-index it.
    document.indexed_version = None
    ev.record(
        session,
        ev.LINKED,
        agent=agent,
        document=document,
        item_code=item.code,
        item_title=item.title,
        method=method,
    )
    return link


def unlink_document(session: Session, document: Document, item: InventoryItem, *, agent: str):
    link = session.scalar(
        select(DocumentLink).where(
            DocumentLink.document_id == document.id,
            DocumentLink.item_id == item.id,
            DocumentLink.active.is_(True),
        )
    )
    if link is None:
        return None
    link.active = False
    document.indexed_version = None
    ev.record(session, ev.UNLINKED, agent=agent, document=document, item_code=item.code)
    return link


def active_links(session: Session, document_id: int) -> list[DocumentLink]:
    return list(
        session.scalars(
            select(DocumentLink)
            .where(DocumentLink.document_id == document_id, DocumentLink.active.is_(True))
            .order_by(DocumentLink.id)
        )
    )


# --- the core-level API: one transaction per change, documents and items by id and code ---


def _doc_and_item(session: Session, document_id: int, code: str) -> tuple[Document, InventoryItem]:
    document = session.get(Document, document_id)
    if document is None:
        raise LinkError(f"ไม่พบเอกสารหมายเลข {document_id} (no document {document_id})")
    item = get_item(session, code)
    if item is None:
        raise LinkError(f"ไม่พบรายการรหัส {code} (no inventory item with code {code})")
    return document, item


def link(core, document_id: int, code: str, *, agent: str, method: str = "manual") -> dict:
    """Link a document to an item (staff's own choice: method 'manual')."""
    with core.transaction() as session:
        document, item = _doc_and_item(session, document_id, code)
        found = link_document(session, document, item, agent=agent, method=method)
        session.flush()
        return _link_dict(found, item)


def confirm_link(core, document_id: int, code: str, *, agent: str) -> dict:
    """Staff confirm a (suggested or not yet existing) link: method becomes 'confirmed'."""
    return link(core, document_id, code, agent=agent, method="confirmed")


def unlink(core, document_id: int, code: str, *, agent: str) -> bool:
    """Deactivate the link (the row and its history stay). False if there was none."""
    with core.transaction() as session:
        document, item = _doc_and_item(session, document_id, code)
        return unlink_document(session, document, item, agent=agent) is not None


def _link_dict(found: DocumentLink, item: InventoryItem) -> dict:
    return {
        "document_id": found.document_id,
        "code": item.code,
        "method": found.method,
        "active": found.active,
        "linked_by": found.linked_by,
        "linked_at": found.linked_at.isoformat() if found.linked_at else None,
    }


def document_links(
    session_or_core, document_id: int, *, include_inactive: bool = False
) -> list[dict]:
    session, close = _session_of(session_or_core)
    try:
        query = select(DocumentLink).where(DocumentLink.document_id == document_id)
        if not include_inactive:
            query = query.where(DocumentLink.active.is_(True))
        return [
            _link_dict(row, row.item) | {"deliverable": row.item.title}
            for row in session.scalars(query.order_by(DocumentLink.id))
        ]
    finally:
        if close:
            session.close()
