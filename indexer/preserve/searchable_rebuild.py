"""Making scans' searchable copies again (`khlang derive searchable`): after the copies'
folder was lost or not restored, after a copy failed at ingestion, or when a newer
tesseract or text layer should be used.

A copy is rebuilt from the preserved original alone, never from the old copy: the
original is checked against its hash, read again by OCR (the text boxes the copy needs
are not kept in the database; OCR takes 5-10 s a page), and the new copy is stored and
recorded by a new ``derived`` event, as at ingestion. The document's own text is left as
it is: only its derived copy changes.

Which documents are scans: those whose technical metadata holds OCR confidences
(``ocr_confidence``), i.e. whose text, or some page of it, was read by OCR."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from sqlalchemy import select

from indexer.extract import extract, ocr
from indexer.extract.model import UnsoundFile
from indexer.preserve import searchable
from indexer.records import provenance as ev
from indexer.records.preview import original_path
from schemas.models import Document, Event

REBUILT, SKIPPED, FAILED = "rebuilt", "skipped", "failed"


@dataclass
class Rebuilt:
    """One document's outcome: ``rebuilt`` (with the new copy's sha256 and pages),
    ``skipped`` or ``failed`` (with the reason, Thai then English)."""

    document_id: int
    filename: str | None
    outcome: str
    reason: str | None = None
    sha256: str | None = None
    pages: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _is_scan(metadata: dict | None) -> bool:
    return bool(((metadata or {}).get("technical") or {}).get(ocr.CONFIDENCE_KEY))


def scans(core) -> list[tuple[int, str]]:
    """(id, file name) of every document whose text was (partly) read by OCR, in id order."""
    with core.sessions() as session:
        rows = session.execute(
            select(Document.id, Document.filename, Document.meta).order_by(Document.id)
        )
        return [(document_id, name) for document_id, name, meta in rows if _is_scan(meta)]


def scan_ids(core) -> list[int]:
    return [document_id for document_id, _name in scans(core)]


def missing_copies(core) -> list[dict]:
    """The scans whose searchable copy was made, or tried, and is missing now: the making
    failed, or its file is gone from ``data/derived`` (a restore without it, a deleted
    folder). `khlang verify` names them; `khlang derive searchable --all --missing-only`
    also makes the copies of scans that never had one (archived before copies were made)."""
    every = scans(core)
    with core.sessions() as session:
        made = searchable.copies(session)
        tried = set(
            session.scalars(select(Event.document_id).where(Event.event_type == ev.DERIVED))
        )
    store = searchable.derived_store(core)
    return [
        {"document_id": document_id, "filename": name}
        for document_id, name in every
        if document_id in tried and (document_id not in made or not store.exists(made[document_id]))
    ]


def rebuild_copies(
    core, document_ids: Iterable[int], *, agent: str, missing_only: bool = False
) -> Iterator[Rebuilt]:
    """Rebuild the searchable copy of each document, one after another, each outcome as
    it is known (OCR is slow: the caller reports as they come). One document's failure
    is its outcome, never the end of the run."""
    for document_id in document_ids:
        try:
            yield _rebuild_one(core, document_id, agent=agent, missing_only=missing_only)
        except Exception as exc:  # a broken file or environment: this document's outcome
            reason = f"สร้างสำเนาไม่สำเร็จ (rebuild failed: {type(exc).__name__}: {exc})"
            yield Rebuilt(document_id, None, FAILED, reason[:500])


def _rebuild_one(core, document_id: int, *, agent: str, missing_only: bool) -> Rebuilt:
    with core.sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            reason = f"ไม่พบเอกสารหมายเลข {document_id} (no document {document_id})"
            return Rebuilt(document_id, None, FAILED, reason)
        name, sha256, mime = document.filename, document.sha256, document.mime
        if not _is_scan(document.meta):
            reason = (
                "ไม่ใช่เอกสารสแกน ข้อความไม่ได้อ่านด้วย OCR จึงไม่มีสำเนาที่ค้นหาได้ "
                "(not a scan: its text was not read by OCR, so it has no searchable copy)"
            )
            return Rebuilt(document_id, name, FAILED, reason)
        if missing_only and searchable.has_copy(core, session, document_id):
            reason = "มีสำเนาที่ค้นหาได้อยู่แล้ว (the searchable copy is present)"
            return Rebuilt(document_id, name, SKIPPED, reason)
    state = core.store.check(sha256)
    if state != "ok":
        reason = (
            "ไฟล์ต้นฉบับหายจากคลัง (the original is missing)"
            if state == "missing"
            else "ไฟล์ต้นฉบับเสียหาย ไม่ตรงกับค่า sha256 ให้สั่ง khlang verify "
            "(the original is corrupt: its bytes no longer match their sha256; run khlang verify)"
        )
        return Rebuilt(document_id, name, FAILED, reason)
    with original_path(core, sha256) as path:
        try:
            extraction = extract(path, mime, filename=name)
        except UnsoundFile as exc:
            return Rebuilt(document_id, name, FAILED, f"{exc.message_th} ({exc.message_en})")
        if not extraction.ocr_layers:
            reason = extraction.ocr_skipped or (
                "OCR อ่านข้อความวางบนหน้าไม่ได้ (OCR gave no text to lay over the pages)"
            )
            return Rebuilt(document_id, name, FAILED, reason)
        detail = searchable.make_copy(core, path, extraction.ocr_layers, mime)
    with core.transaction() as session:
        row = searchable.event_row(
            {**detail, "rebuilt": True}, agent=agent, document_id=document_id
        )
        ev.record_rows(session, [row])
    if detail["outcome"] != "success":
        reason = f"สร้างสำเนาไม่สำเร็จ (the copy could not be made: {detail['reason']})"
        return Rebuilt(document_id, name, FAILED, reason)
    return Rebuilt(document_id, name, REBUILT, sha256=detail["sha256"], pages=detail["pages"])
