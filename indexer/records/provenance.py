"""Provenance events: every preservation action leaves one (what, when, who, tool, outcome).

The names follow PREMIS event types where one fits, in Khlang's own spelling.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from schemas.models import Document, Event, Submission, utcnow

RECEIVED = "received"
IDENTIFIED = "identified"
FORMAT_WARNING = "format-warning"
STORED = "stored"
EXTRACTED = "extracted"
OCR_SKIPPED = "ocr-skipped"
CLASSIFIED = "classified"
UNPACKED_FROM = "unpacked-from"
LINKED = "linked"
UNLINKED = "unlinked"
INDEXED = "indexed"
FIXITY_CHECK = "fixity-check"
REJECTED = "rejected"
PUBLICATION = "publication"
INVENTORY_IMPORTED = "inventory-imported"
INVENTORY_RETIRED = "inventory-retired"
INVENTORY_RESTORED = "inventory-restored"
DUE_DATE_SET = "due-date-set"
REPLICATED = "replicated"  # outcome "pending" while the replica cannot be reached
REPAIRED = "repaired"  # a missing or corrupt copy rewritten from the other copy
EXPORTED = "exported"
IMPORTED = "imported"
EDITED = "edited"  # a person corrected title, kind, year, project, notes or tags
DERIVED = "derived"
# Accounts: events without a document (the admin's actions on users and API tokens).
USER_ADDED = "user-added"
USER_CHANGED = "user-changed"
TOKEN_CREATED = "token-created"
TOKEN_REVOKED = "token-revoked"
# The admin's report settings (heading, logo, digits): an event without a document too.
REPORT_SETTINGS_CHANGED = "report-settings-changed"


def record(
    session: Session,
    event_type: str,
    *,
    agent: str,
    document: Document | None = None,
    submission: Submission | None = None,
    batch_id: int | None = None,
    outcome: str = "success",
    tool: str | None = None,
    **detail,
) -> Event:
    fields = row(
        event_type,
        agent=agent,
        submission_id=submission.id if submission is not None else None,
        batch_id=batch_id,
        outcome=outcome,
        tool=tool,
        **detail,
    )
    del fields["document_id"]  # by the relationship: the document may not have an id yet
    event = Event(**fields, document=document)
    session.add(event)
    return event


def row(
    event_type: str,
    *,
    agent: str,
    document_id: int | None = None,
    submission_id: int | None = None,
    batch_id: int | None = None,
    outcome: str = "success",
    tool: str | None = None,
    **detail,
) -> dict:
    """The same event as :func:`record`, as a row for :func:`record_rows` (by ids: the
    ingestion of a new file writes its rows in one statement, without ORM objects)."""
    return {
        "event_type": event_type,
        "agent": agent,
        "outcome": outcome,
        "tool": tool,
        "detail": detail,
        "document_id": document_id,
        "submission_id": submission_id,
        "batch_id": batch_id,
        "at": utcnow(),
    }


def record_rows(session: Session, rows: list[dict]) -> None:
    if rows:
        # the table, not the mapped class: a plain executemany (the ORM's bulk path costs
        # more than the insert itself)
        session.execute(insert(Event.__table__), rows)


def event_as_dict(event: Event) -> dict:
    detail = dict(event.detail or {})
    if event.tool:
        detail.setdefault("tool", event.tool)
    return {
        "event": event.event_type,
        "at": event.at.isoformat() if event.at else None,
        "agent": event.agent,
        "outcome": event.outcome,
        "detail": detail,
    }
