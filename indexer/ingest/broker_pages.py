"""Jobs on a broker, the pages of a scan: one message per page, so that a lost worker costs
one page's OCR, not a whole scan's, and the pages of one scan are read by several workers
at once. The database side only; the messages are ``broker_runner``'s.

- ``plan_pages``: asked by ``broker_jobs.handle_file`` before a file is ingested. A
  scanned PDF or multi-page TIFF with two pages or more to read by OCR gets one
  ``JobPage`` row per page (once), and the file waits: the pages not yet read are sent as
  messages. When every page is read, the file is ingested with them (``recorded``), as
  ``Ingestor.outcomes`` ingests any file: nothing is read twice.
- ``handle_page``: one page read (within ``KHLANG_OCR_PAGE_SECONDS``) and recorded on its
  row, which turns "done" once: a page delivered again after its worker died is neither
  read nor counted twice. On PostgreSQL the row is locked while the page is read. Once
  the file's pages have spent ``KHLANG_MAX_OCR_SECONDS``, a page is recorded unread
  (``over_budget``), as read_pages lists it in one process. Any failure reading a page is
  that page's recorded reason, so the file never waits for a page that will not come.
  "last" says no page of the file is left: the file's message is then sent again.
"""

from __future__ import annotations

import os
import socket
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import func, insert, select, update

from indexer.core import Khlang
from indexer.extract import media, ocr_pages, pdf
from indexer.extract.ocr import OcrPage
from indexer.ingest.identify import identify
from indexer.ingest.row_claim import BUSY, claim_row
from indexer.runtime.holds import hold_at
from schemas.config import ExtractionLimits
from schemas.models import JobFile, JobPage

QUEUED, DONE = "queued", "done"


def _scan_pages(path: Path, name: str) -> tuple[str, list[int]]:
    """(kind, the pages ``extract`` would read by OCR) of a file; ("", []) for a file
    that is no scan of several pages."""
    mime = identify(path, name).mime
    if mime in {"application/pdf", "application/x-pdf"}:
        return "pdf", pdf.pages_needing_ocr(path)
    if mime.startswith("image/") and mime != "image/svg+xml":
        return "image", media.frames_to_read(path)
    return "", []


def plan_pages(core: Khlang, job_id: int, number: int, path: Path, name: str) -> list[int] | None:
    """The pages of file ``number`` still to read, each to be sent as a message ([] when
    all are read: the file can be ingested now); None for a file ingested whole (no scan
    of two pages or more)."""
    with core.sessions() as session:
        rows = session.execute(
            select(JobPage.page, JobPage.state).where(
                JobPage.batch_id == job_id, JobPage.number == number
            )
        ).all()
    if not rows:
        if not path.exists():
            return None
        kind, pages = _scan_pages(path, name)
        if len(pages) < 2:
            return None
        values = [
            {"batch_id": job_id, "number": number, "page": page, "kind": kind,
             "state": QUEUED, "timed_out": False, "over_budget": False, "rotation": 0,
             "seconds": 0.0}
            for page in pages
        ]  # fmt: skip
        # Under the file's lock (handle_file): no other delivery of it inserts them too.
        with core.transaction() as session:
            session.execute(insert(JobPage), values)
        return pages
    return sorted(page for page, state in rows if state == QUEUED)


def recorded(core: Khlang, job_id: int, number: int) -> dict[int, ocr_pages.PageRead]:
    """The pages of file ``number`` read by the page messages, as ocr_pages reads them (a
    page left unread because the file's OCR budget was spent has ``over`` set)."""
    with core.sessions() as session:
        rows = session.scalars(
            select(JobPage).where(
                JobPage.batch_id == job_id, JobPage.number == number, JobPage.state == DONE
            )
        ).all()
        return {
            row.page: ocr_pages.PageRead(
                row.page,
                None
                if row.error or row.over_budget
                else OcrPage(row.text or "", row.confidence, row.layer, row.rotation),
                row.error,
                row.seconds,
                row.timed_out,
                over=row.over_budget,
            )
            for row in rows
        }


def _record(connection, job_id: int, number: int, read: ocr_pages.PageRead) -> None:
    """The page's outcome, once: a second delivery finds it done and changes nothing."""
    page = read.page
    connection.execute(
        update(JobPage)
        .where(
            JobPage.batch_id == job_id,
            JobPage.number == number,
            JobPage.page == read.number,
            JobPage.state == QUEUED,
        )
        .values(
            state=DONE,
            text=page.text if page else None,
            confidence=page.confidence if page else None,
            layer=page.layer if page else None,
            rotation=page.rotation if page else 0,
            error=read.error,
            timed_out=read.timed_out,
            over_budget=read.over,
            seconds=read.seconds,
            handled_by=f"{socket.gethostname()}:{os.getpid()}",
        )
    )


def _seconds_spent(connection, job_id: int, number: int) -> float:
    """The OCR seconds the file's pages read so far took (KHLANG_MAX_OCR_SECONDS is a
    budget per document, however many workers read its pages)."""
    return connection.execute(
        select(func.coalesce(func.sum(JobPage.seconds), 0.0)).where(
            JobPage.batch_id == job_id, JobPage.number == number, JobPage.state == DONE
        )
    ).scalar_one()


def _read_page(kind: str, path: Path, page: int, name: str, spent: float) -> ocr_pages.PageRead:
    """The page read within its time limit, or left unread (``over``) when the file's budget
    is spent. Whatever goes wrong is the page's recorded reason: an exception let out
    would leave the row queued and the file waiting for it for ever."""
    limits = ExtractionLimits.load()
    if spent >= limits.max_ocr_seconds:
        return ocr_pages.PageRead(page, None, over=True)
    try:
        return ocr_pages.read_one(
            ocr_pages.READERS[kind], path, page, limits.ocr_page_seconds, name
        )
    except Exception as exc:  # MemoryError, a decompression bomb, a broken file: the page's
        return ocr_pages.PageRead(page, None, _unreadable(name, page, exc))


def handle_page(core: Khlang, job_id: int, number: int, page: int, spool: Path) -> str:
    """Read page ``page`` of file ``number`` (what a page's message asks): "done",
    "already done" (also when the file is done and its pages' rows are gone), "busy"
    (another delivery holds it: ask again later) or "last" (no page of the file is left:
    the file's own message is to be sent again). ``spool``: the folder the job's files
    are in."""
    with core.sessions() as session:
        spec = session.scalar(
            select(JobFile.source).where(JobFile.batch_id == job_id, JobFile.number == number)
        )
    if spec is None:  # no file row: broker_jobs.handle_page tells "gone" from busy
        return "busy"
    query = select(JobPage.state, JobPage.kind).where(
        JobPage.batch_id == job_id, JobPage.number == number, JobPage.page == page
    )
    with claim_row(core, query) as claimed:
        if claimed is BUSY:
            return "busy"
        connection, row = claimed
        if row is None:
            return "already done"
        outcome = "already done"
        if row.state == QUEUED:
            name = spec["display_path"]
            hold_at("ocr-page", f"{spec['original_name']} page {page}")  # crash tests only
            with core.engine.connect() if connection is None else nullcontext(connection) as c:
                spent = _seconds_spent(c, job_id, number)
            read = _read_page(row.kind, spool / spec["spool"], page, name, spent)
            if connection is None:
                with core.engine.begin() as own:
                    _record(own, job_id, number, read)
            else:
                _record(connection, job_id, number, read)
            outcome = "done"
    with core.sessions() as session:
        left = session.scalar(
            select(func.count())
            .select_from(JobPage)
            .where(JobPage.batch_id == job_id, JobPage.number == number, JobPage.state == QUEUED)
        )
    return "last" if left == 0 else outcome


def _unreadable(name: str, page: int, exc: Exception) -> str:
    return (
        f"อ่านหน้า {page} ของ {name} ไม่ได้ ({type(exc).__name__}) "
        f"(page {page} of {name} could not be read: {exc})"
    )
