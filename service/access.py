"""What the asking principal may see and do with documents, items and jobs.

Both the pages and the API go through these functions, so a check is never only in a page.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.inventory import item_province_id
from schemas.models import Batch, Document, InventoryItem, Province
from service.api_models.documents import PublicDocument, visible_part
from service.context import core


def search_backend():
    """The process's search backend (indexer.search.backend). It is safe to share between
    request threads (Whoosh's gives each thread its own searcher and sidecar connection and
    shares the tables derived from an index state), so every thread searches through it."""
    return core().search_backend


def published_only() -> bool:
    return not g.principal.can("read_all")


def visible_document(session: Session, document_id: int) -> Document | None:
    """The document, or None when it does not exist *or* the principal may not see it:
    a visitor cannot tell an unpublished document from a missing one."""
    document = session.get(Document, document_id)
    if document is None:
        return None
    if document.publication != "published" and published_only():
        return None
    return document


def published_ids(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Document.id).where(Document.id.in_(ids), Document.publication == "published")
        )
    )


def may_link_item(item: InventoryItem) -> bool:
    principal = g.principal
    return principal.can("link") and principal.may_act_for_province(item_province_id(item))


def document_province_ids(session: Session, document: Document) -> set[int]:
    """The provinces a document belongs to: those of the items it is linked to, and those
    its text names (``metadata.provinces``)."""
    from indexer.inventory.links import active_links

    ids = {item_province_id(link.item) for link in active_links(session, document.id)}
    names = (document.meta or {}).get("provinces") or []
    if names:
        ids |= set(session.scalars(select(Province.id).where(Province.name.in_(names))))
    return ids - {None}


def may_edit_document(session: Session, document: Document) -> bool:
    """Strategy staff and admins edit any document; a dsss officer their province's."""
    principal = g.principal
    if not principal.can("edit"):
        return False
    if principal.role != "dsss":
        return True
    return principal.province_id in document_province_ids(session, document)


def may_see_job(batch: Batch) -> bool:
    principal = g.principal
    return principal.can("jobs_all") or batch.agent == principal.agent


def province_id_by_name(session: Session, name: str) -> int | None:
    return session.scalar(select(Province.id).where(Province.name == name))


# --- what a visitor sees of a document --------------------------------------------------------
# PublicDocument (service/api_models/documents.py) declares it field by field, an allow-list:
# a field added later for staff is not shown to the public by default.


def document_view(session: Session, document: Document, *, include_text: bool = True) -> dict:
    """A document as the asking principal may see it: staff get everything
    (``document_as_dict``), visitors the public view."""
    from indexer.records.documents import document_as_dict

    data = document_as_dict(session, document, include_text=include_text)
    return public_document(session, data) if published_only() else data


def public_document(session: Session, data: dict) -> dict:
    public = visible_part(PublicDocument, data)
    public["metadata"] = _public_references(session, public.get("metadata") or {})
    public.setdefault("links", [])
    public.setdefault("provenance", [])
    return public


def _public_references(session: Session, metadata: dict) -> dict:
    """A letter's references point only at cited letters that are published: the id of an
    internal one would tell a visitor it exists."""
    letter = metadata.get("letter")
    references = (letter or {}).get("references") or []
    cited = [r["document_id"] for r in references if r.get("document_id") is not None]
    if not cited:
        return metadata
    allowed = published_ids(session, cited)
    references = [
        {**r, "document_id": r["document_id"] if r.get("document_id") in allowed else None}
        for r in references
    ]
    return {**metadata, "letter": {**letter, "references": references}}
