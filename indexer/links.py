"""Links between delivered documents and the inventory items they fulfil.

Every link and unlink is a provenance event with its agent. Unlinking keeps the row
(inactive), so the history of what was claimed to fulfil what is never lost.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import provenance as ev
from schemas.models import Document, DocumentLink, InventoryItem, utcnow


def link_document(
    session: Session, document: Document, item: InventoryItem, *, agent: str, method: str
) -> DocumentLink:
    """Link (or re-activate the link of) ``document`` to ``item``; idempotent."""
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
        link.active, link.method, link.linked_by, link.linked_at = True, method, agent, utcnow()
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
