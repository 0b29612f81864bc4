"""One document as the CLI (`khlang show --json`) and the API (`/api/documents/<id>`) show it."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.links import active_links
from indexer.provenance import event_as_dict
from indexer.thai.digits import to_arabic_digits
from schemas.models import Document, Event, Submission


def letter_key(number: str | None) -> str | None:
    """A letter number as a lookup key: Arabic digits, no spaces."""
    if not number:
        return None
    return re.sub(r"\s+", "", to_arabic_digits(number)) or None


def resolve_references(session: Session, metadata: dict) -> dict:
    """The metadata with each reference (อ้างถึง) pointing at the archived letter it cites,
    when that letter is in Khlang (``document_id``; None when it is not)."""
    letter = metadata.get("letter")
    if not letter or not letter.get("references"):
        return metadata
    references = []
    for reference in letter["references"]:
        key = letter_key(reference.get("number"))
        found = None
        if key:
            found = session.scalar(
                select(Document.id).where(Document.letter_number == key).order_by(Document.id)
            )
        references.append({**reference, "document_id": found})
    return {**metadata, "letter": {**letter, "references": references}}


def document_as_dict(session: Session, document: Document, *, include_text: bool = True) -> dict:
    events = session.scalars(
        select(Event).where(Event.document_id == document.id).order_by(Event.at, Event.id)
    ).all()
    submissions = session.scalars(
        select(Submission).where(Submission.document_id == document.id).order_by(Submission.id)
    ).all()
    links = []
    for link in active_links(session, document.id):
        item = link.item
        links.append(
            {
                "code": item.code,
                "title": item.title,
                "project": item.project.name if item.project else None,
                "activity": item.activity.name if item.activity else None,
                "fiscal_year": item.project.fiscal_year if item.project else None,
                "method": link.method,
                "linked_by": link.linked_by,
                "linked_at": link.linked_at.isoformat(),
            }
        )
    data = {
        "document_id": document.id,
        "title": document.title,
        "filename": document.filename,
        "sha256": document.sha256,
        "size": document.size,
        "mime": document.mime,
        "category": document.category,
        "kind": document.kind,
        "fiscal_year": document.fiscal_year,
        "document_date": document.document_date.isoformat() if document.document_date else None,
        "publication": document.publication,
        "created_at": document.created_at.isoformat(),
        "metadata": resolve_references(session, document.meta or {}),
        "links": links,
        "submissions": [
            {
                "submitted_by": s.submitted_by,
                "submitted_at": s.submitted_at.isoformat(),
                "original_name": s.original_name,
                "bundle_path": s.bundle_path,
                "status": s.status,
                "batch_id": s.batch_id,
            }
            for s in submissions
        ],
        "provenance": [event_as_dict(e) for e in events],
    }
    if include_text:
        data["text"] = document.text
    return data
