"""What the asking principal may see and do with documents, items and jobs.

Both the pages and the API go through these functions, so a check is never only in a page.
"""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.core import Khlang
from indexer.inventory import item_province_id
from schemas.models import Batch, Document, InventoryItem, Province


def core() -> Khlang:
    return current_app.extensions["khlang"]


def search_index():
    """The process's search index. ``SearchIndex`` gives each request thread its own Whoosh
    searcher and sidecar connection (neither is safe to share) and shares the tables derived
    from an index state between them, so every thread searches through this one object."""
    return core().index


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


def may_see_job(batch: Batch) -> bool:
    principal = g.principal
    return principal.can("jobs_all") or batch.agent == principal.agent


def province_id_by_name(session: Session, name: str) -> int | None:
    return session.scalar(select(Province.id).where(Province.name == name))
