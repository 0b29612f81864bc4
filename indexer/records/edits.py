"""Corrections a person makes to a document's description: title, kind, fiscal year,
project, activity, notes and tags.

Every change is one ``edited`` provenance event naming each changed field's old and new
value and the agent, so a correction can always be traced and undone by hand. The original
file and its extracted text are never touched. The caller re-indexes the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from indexer.records import provenance as ev
from indexer.understand.kinds import KINDS
from schemas.models import Document, utcnow

EDITABLE = ("title", "kind", "fiscal_year", "project", "activity", "notes", "tags")
MAX_TITLE = 1000
MAX_NOTES = 20_000
MAX_TAG = 100
MAX_TAGS = 50
# Fiscal years (B.E.) a document may be filed under; the same range the API accepts.
FISCAL_YEARS = range(2400, 2701)
META_LISTS = {"project": "projects", "activity": "activities"}


@dataclass
class EditError(Exception):
    """A value that cannot be stored, with the field and the reason in Thai and English."""

    field: str
    message_th: str
    message_en: str

    def __str__(self) -> str:
        return self.message_en


def clean_tags(value) -> list[str]:
    """Tags as a list of distinct non-empty strings, in the order given; a string is split
    at commas (the page's single input)."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        raise EditError("tags", "แท็กต้องเป็นรายการข้อความ", "tags must be a list of strings")
    tags: list[str] = []
    for tag in value:
        text = " ".join(str(tag).split())
        if not text or text in tags:
            continue
        if len(text) > MAX_TAG:
            raise EditError(
                "tags",
                f"แท็กยาวเกิน {MAX_TAG} ตัวอักษร",
                f"a tag is longer than {MAX_TAG} characters",
            )
        tags.append(text)
    if len(tags) > MAX_TAGS:
        raise EditError("tags", f"แท็กเกิน {MAX_TAGS} รายการ", f"more than {MAX_TAGS} tags")
    return tags


def _clean(field: str, value):
    """The value as it will be stored, or EditError saying why it cannot be."""
    if field == "tags":
        return clean_tags(value if value is not None else [])
    if field == "fiscal_year":
        if value in (None, ""):
            return None
        try:
            year = int(str(value).strip())
        except ValueError:
            year = None
        if year is None or year not in FISCAL_YEARS:
            raise EditError(
                field,
                f"ปีงบประมาณต้องเป็นปี พ.ศ. ระหว่าง {FISCAL_YEARS.start} ถึง {FISCAL_YEARS.stop - 1}",
                f"fiscal_year must be a B.E. year from {FISCAL_YEARS.start} to "
                f"{FISCAL_YEARS.stop - 1}",
            )
        return year
    text = " ".join(str(value or "").split()) if field != "notes" else str(value or "").strip()
    if field in META_LISTS:
        return text or None  # an empty box clears the project (or activity)
    if field == "title":
        if not text:
            raise EditError(field, "ชื่อเอกสารต้องไม่ว่าง", "title must not be empty")
        if len(text) > MAX_TITLE:
            raise EditError(
                field, f"ชื่อเอกสารยาวเกิน {MAX_TITLE} ตัวอักษร", f"title is over {MAX_TITLE} chars"
            )
    if field == "kind" and text not in KINDS:
        raise EditError(
            field, f"ไม่รู้จักประเภทเอกสาร {text}", "kind must be one of " + ", ".join(KINDS)
        )
    if field == "notes" and len(text) > MAX_NOTES:
        raise EditError(
            field, f"บันทึกยาวเกิน {MAX_NOTES} ตัวอักษร", f"notes are over {MAX_NOTES} chars"
        )
    return text


def current_values(document: Document) -> dict:
    """The editable fields as they are now. A document's project and activity are the
    lists the reader found in it (``metadata.projects``); an edit sets the one it names."""
    meta = document.meta or {}
    return {
        "title": document.title,
        "kind": document.kind,
        "fiscal_year": document.fiscal_year,
        **{field: (meta.get(key) or [None])[0] for field, key in META_LISTS.items()},
        "notes": document.notes or "",
        "tags": list(document.tags or []),
    }


def edit_document(session: Session, document: Document, changes: dict, *, agent: str) -> dict:
    """Apply the changes (only fields in ``EDITABLE``); record one ``edited`` event with
    ``{field: {"from": old, "to": new}}`` for the fields whose value changed, and return
    that dict (empty when nothing changed: no event then)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise EditError(
            unknown[0],
            f"แก้ไขช่อง {unknown[0]} ไม่ได้",
            f"{unknown[0]} cannot be edited; editable: " + ", ".join(EDITABLE),
        )
    cleaned = {field: _clean(field, value) for field, value in changes.items()}
    before = current_values(document)
    changed = {
        field: {"from": before[field], "to": value}
        for field, value in cleaned.items()
        if value != before[field]
    }
    if not changed:
        return {}
    meta = dict(document.meta or {})
    for field, change in changed.items():
        value = change["to"]
        if field in ("project", "activity"):
            key = META_LISTS[field]
            rest = [v for v in (meta.get(key) or [])[1:] if v != value]
            meta[key] = ([value] if value else []) + rest
        elif field == "notes":
            document.notes = value or None
        elif field == "tags":
            document.tags = value or None
        else:
            setattr(document, field, value)
    document.meta = meta
    document.updated_at = utcnow()
    document.indexed_version = None  # stale until re-indexed (reindex --if-needed)
    ev.record(session, ev.EDITED, agent=agent, document=document, changes=changed)
    return changed
