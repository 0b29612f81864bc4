"""One document as the asking principal may see and change it: its edits."""

from __future__ import annotations

from flask import g

from indexer.ingest.indexing import reindex_quietly
from indexer.records.edits import EditError
from indexer.records.edits import edit_document as apply_edit
from schemas.models import Document
from service import access
from service.context import core
from service.errors import KhlangError, http_status


def document_not_found() -> KhlangError:
    """Also what a visitor is told of an unpublished document: they cannot tell it from a
    missing one."""
    return KhlangError(404, "not_found", "ไม่พบเอกสาร", "document not found")


def edit_forbidden() -> KhlangError:
    return KhlangError(
        403,
        "forbidden",
        "แก้ไขได้เฉพาะเจ้าหน้าที่ยุทธศาสตร์ หรือเจ้าหน้าที่ DSSS สำหรับเอกสารของจังหวัดตน",
        "only strategy staff, or a DSSS officer for their own province's documents, may edit",
    )


def edit_document(document_id: int, changes: dict) -> dict:
    """Apply an edit for the asking principal; the document as they see it afterwards.
    A field that cannot take its value is refused as ``bad_<field>``."""
    if not g.principal.authenticated:
        raise http_status(401)
    with core().transaction() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            raise document_not_found()
        if not access.may_edit_document(session, document):
            raise edit_forbidden()
        try:
            changed = apply_edit(session, document, changes, agent=g.principal.agent)
        except EditError as exc:
            raise KhlangError(400, f"bad_{exc.field}", exc.message_th, exc.message_en) from exc
    if changed:
        reindex_quietly(core(), [document_id], agent=g.principal.agent)
    with core().sessions() as session:
        return access.document_view(session, session.get(Document, document_id))
