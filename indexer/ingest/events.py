"""What each outcome of a file leaves in the record: its submission row and its
provenance events (``indexer.records.provenance``), for a new document, a duplicate and a
rejection. The per-file flow (``steps``) decides the outcome; this module only writes it.
"""

from __future__ import annotations

from archive import Staged
from indexer.core import Khlang
from indexer.ingest.identify import libmagic_version
from indexer.ingest.sources import REJECTED, FileResult, Source
from indexer.records import provenance as ev
from schemas.models import Submission


def unpacked_detail(source: Source) -> dict:
    return {
        "tool": source.bundle_tool,
        "bundle_document_id": source.bundle_document_id,
        "bundle_sha256": source.bundle_sha256,
        "path_in_bundle": source.bundle_path,
    }


def submission_values(
    source: Source,
    status: str,
    sha256: str | None,
    error: str | None = None,
    *,
    agent: str,
    batch_id: int,
) -> dict:
    return {
        "batch_id": batch_id,
        "submitted_by": agent,
        "original_name": source.original_name,
        "bundle_path": source.bundle_path,
        "source_path": source.source_path,
        "status": status,
        "sha256": sha256,
        # why a file was stored without text: the job's status shows it, as the CLI does
        "error": error,
    }


def new_document_rows(
    *,
    agent: str,
    batch_id: int,
    document_id: int,
    submission_id: int,
    source: Source,
    identification,
    stored,
    extraction,
    understanding,
) -> list[dict]:
    """The provenance of a new document: received, (unpacked-from), identified,
    (format-warning), stored, extracted, (ocr-skipped), classified (indexed follows)."""
    common = {"agent": agent, "document_id": document_id, "submission_id": submission_id}
    rows = [
        ev.row(
            ev.RECEIVED,
            batch_id=batch_id,
            original_name=source.original_name,
            bundle_path=source.bundle_path,
            source_path=source.source_path,
            size=stored.size,
            **common,
        )
    ]
    if source.bundle_document_id:
        rows.append(ev.row(ev.UNPACKED_FROM, **unpacked_detail(source), **common))
    rows.append(
        ev.row(
            ev.IDENTIFIED,
            tool=libmagic_version(),
            mime=identification.mime,
            category=identification.category,
            description=identification.description,
            **common,
        )
    )
    if identification.warning:
        rows.append(
            ev.row(
                ev.FORMAT_WARNING,
                outcome="warning",
                tool=libmagic_version(),
                message=identification.warning,
                extension_mime=identification.extension_mime,
                **common,
            )
        )
    rows.append(
        ev.row(
            ev.STORED,
            tool="khlang object store",
            sha256=stored.sha256,
            size=stored.size,
            object_created=stored.created,
            **common,
        )
    )
    rows.append(
        ev.row(
            ev.EXTRACTED,
            outcome="success" if extraction.text.strip() else "no-text",
            tool=", ".join(extraction.tools) or None,
            method=extraction.method,
            repairs=extraction.repairs,
            fallbacks=extraction.fallbacks,
            warnings=extraction.warnings,
            pages=extraction.pages,
            characters=len(extraction.text),
            reason=extraction.no_text_reason,
            **common,
        )
    )
    if extraction.ocr_skipped:
        rows.append(
            ev.row(
                ev.OCR_SKIPPED,
                outcome="warning",
                tool="tesseract",
                reason=extraction.ocr_skipped,
                **common,
            )
        )
    # Every document says how its kind was decided, also when there was nothing to read.
    if understanding is not None:
        kind, evidence = understanding.kind, understanding.kind_evidence
    elif extraction.method == "bundle-listing":
        kind, evidence = "other", ["ไฟล์รวม: จำแนกแต่ละไฟล์ข้างใน (a bundle: each member is)"]
    else:
        kind, evidence = "other", ["ไม่มีข้อความให้จำแนก (no text to classify)"]
    rows.append(
        ev.row(
            ev.CLASSIFIED,
            tool="khlang rules",
            kind=kind,
            evidence=evidence,
            fiscal_year=understanding.fiscal_year if understanding else None,
            **common,
        )
    )
    return rows


def record_duplicate(
    session,
    document,
    submission,
    source: Source,
    staged: Staged,
    *,
    agent: str,
    batch_id: int,
    repaired: str | None,
) -> None:
    """Known bytes arrived again: received (duplicate), (stored: repaired, when the arrival
    replaced a ``repaired`` = "missing" or "damaged" object), (unpacked-from)."""
    ev.record(
        session,
        ev.RECEIVED,
        agent=agent,
        document=document,
        submission=submission,
        batch_id=batch_id,
        outcome="duplicate",
        original_name=source.original_name,
        bundle_path=source.bundle_path,
        bundle_sha256=source.bundle_sha256,
        source_path=source.source_path,
        restored_object=repaired is not None,
    )
    if repaired is not None:
        lost = "หาย" if repaired == "missing" else "เสียหาย"
        ev.record(
            session,
            ev.STORED,
            outcome="repaired",
            tool="khlang object store",
            sha256=staged.sha256,
            size=staged.size,
            replaced=repaired,
            message=f"ไฟล์ต้นฉบับ{lost} จึงใช้สำเนาที่ได้รับใหม่ซึ่งตรวจค่า sha256 แล้วแทน "
            f"(the stored object was {repaired}; replaced by this verified copy)",
            agent=agent,
            document=document,
            submission=submission,
        )
    if source.bundle_document_id:
        ev.record(
            session,
            ev.UNPACKED_FROM,
            agent=agent,
            document=document,
            submission=submission,
            **unpacked_detail(source),
        )


def write_rejection(
    core: Khlang, result: FileResult, source: Source | None, *, agent: str, batch_id: int
) -> None:
    """A refused file: its submission (status rejected, with the reason) and its event."""
    with core.transaction() as session:
        submission = Submission(
            batch_id=batch_id,
            submitted_by=agent,
            original_name=(source.original_name if source else result.filename) or result.path,
            bundle_path=source.bundle_path if source else None,
            source_path=source.source_path if source else result.path,
            status=REJECTED,
            error=result.error,
            sha256=result.sha256,
        )
        session.add(submission)
        session.flush()
        ev.record(
            session,
            ev.REJECTED,
            agent=agent,
            submission=submission,
            batch_id=batch_id,
            outcome="failure",
            path=result.path,
            reason=result.error,
        )
