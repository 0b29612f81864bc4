"""One document as the CLI (`khlang show --json`) and the API (`/api/documents/<id>`) show it."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.extract import ocr
from indexer.inventory.links import active_links
from indexer.records.provenance import event_as_dict
from indexer.thai.digits import to_arabic_digits
from schemas.models import Document, Event, Submission


def letter_key(number: str | None) -> str | None:
    """A letter number as a lookup key: Arabic digits, no spaces."""
    if not number:
        return None
    return re.sub(r"\s+", "", to_arabic_digits(number)) or None


def _cited_letter(session: Session, number: str | None, date: str | None) -> int | None:
    """The archived letter a reference cites. Letter numbers start again each year, so
    when the reference gives its date the letter must be of that date (a letter whose date
    could not be read is taken only when none has the date)."""
    key = letter_key(number)
    if not key:
        return None
    candidates = session.execute(
        select(Document.id, Document.document_date)
        .where(Document.letter_number == key)
        .order_by(Document.id)
    ).all()
    if not date:
        return candidates[0].id if candidates else None
    cited = dt.date.fromisoformat(date)
    same_day = [c.id for c in candidates if c.document_date == cited]
    undated = [c.id for c in candidates if c.document_date is None]
    return (same_day or undated or [None])[0]


def resolve_references(session: Session, metadata: dict) -> dict:
    """The metadata with each reference (อ้างถึง) pointing at the archived letter it cites,
    by number and date, when that letter is in Khlang (``document_id``; None when not)."""
    letter = metadata.get("letter")
    if not letter or not letter.get("references"):
        return metadata
    references = [
        {**ref, "document_id": _cited_letter(session, ref.get("number"), ref.get("date"))}
        for ref in letter["references"]
    ]
    return {**metadata, "letter": {**letter, "references": references}}


def ocr_review(metadata: dict | None) -> dict | None:
    """``{"pages": [2, 5]}``: the pages of the document's text that OCR read with low
    confidence (the text may be misread there, so search hits and the document say so);
    None when no page needs review or the text was not OCR'd."""
    pages = ocr.pages_to_review((metadata or {}).get("technical"))
    return {"pages": pages} if pages else None


def mark_ocr_review(session: Session, hits: list[dict]) -> None:
    """Set each search hit's ``ocr_review`` (read in one query for the page of hits), so
    whoever reads a hit (the search page, the API, `khlang search`) knows its text may be
    misread."""
    ids = [hit["document_id"] for hit in hits]
    if not ids:
        return
    rows = session.execute(select(Document.id, Document.meta).where(Document.id.in_(ids)))
    reviews = {document_id: ocr_review(meta) for document_id, meta in rows}
    for hit in hits:
        hit["ocr_review"] = reviews.get(hit["document_id"])


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
        "notes": document.notes or "",
        "tags": list(document.tags or []),
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
        "ocr_review": ocr_review(document.meta),
    }
    if include_text:
        data["text"] = document.text
    return data
