"""Jobs on a broker, the pages of a scan: one message per page, so that a lost worker costs
one page's OCR, not a whole scan's, and the pages of one scan are read by several workers
at once. The database side only; the messages are ``broker_runner``'s.

- ``plan_pages``: asked by ``broker_jobs.handle_file`` before a file is ingested. A
  scanned PDF or multi-page TIFF with two pages or more to read by OCR gets one
  ``JobPage`` row per page (once), and the file waits: the pages not yet read are sent as
  messages. When every page is read, the file is ingested with them (``recorded``), as
  ``Ingestor.outcomes`` ingests any file: nothing is read twice.
- A bundle's own members that are scans (PDF or TIFF by name, a page or more to read;
  a PDF's pages that name no font, a quick look: a scan sent alone has every text layer
  read) are copied beside the bundle in the spool (``member_copy``) and planned the same
  way, their rows keyed by the member's index and naming its path in the bundle: a worker
  lost in a bundle of scans costs one page, not the bundle. The bundle is then ingested
  whole, each member with its own pages. Members of a bundle inside the bundle, scans
  under other names and pages whose text layer is there but unusable are read in the
  bundle's message, as before.
- ``handle_page``: one page read (within ``KHLANG_OCR_PAGE_SECONDS``) and recorded on its
  row, which turns "done" once: a page delivered again after its worker died is neither
  read nor counted twice. On PostgreSQL the row is locked while the page is read. Once
  the file's pages have spent ``KHLANG_MAX_OCR_SECONDS``, a page is recorded unread
  (``over_budget``), as read_pages lists it in one process. Any failure reading a page is
  that page's recorded reason, so the file never waits for a page that will not come.
  "last" says no page of the file is left: the file's message is then sent again.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections import Counter
from contextlib import nullcontext
from pathlib import Path, PurePosixPath

from sqlalchemy import func, insert, select, update

from indexer.core import Khlang
from indexer.extract import media, ocr_pages, pdf
from indexer.extract.ocr import OcrPage
from indexer.ingest.bundles import bundle_mime_or_none, copy_members
from indexer.ingest.identify import identify
from indexer.ingest.row_claim import BUSY, claim_row
from indexer.ingest.sources import Source
from indexer.runtime.holds import hold_at
from schemas.config import ExtractionLimits, Settings
from schemas.models import JobFile, JobPage

log = logging.getLogger(__name__)

QUEUED, DONE = "queued", "done"
FILE = 0  # JobPage.member of the file's own pages
# A bundle's members copied ahead to be read page by page: what scanners write.
SCAN_SUFFIXES = {".pdf", ".tif", ".tiff"}


def _scan_pages(path: Path, name: str, pdf_pages=pdf.pages_needing_ocr) -> tuple[str, list[int]]:
    """(kind, the pages ``extract`` would read by OCR) of a file; ("", []) for a file
    that is no scan. ``pdf_pages``: how a PDF's are found (a bundle's members:
    ``pdf.pages_without_fonts``, a quick subset)."""
    mime = identify(path, name).mime
    if mime in {"application/pdf", "application/x-pdf"}:
        return "pdf", pdf_pages(path)
    if mime.startswith("image/") and mime != "image/svg+xml":
        return "image", media.frames_to_read(path)
    return "", []


def plan_pages(
    core: Khlang, job_id: int, number: int, path: Path, name: str
) -> list[tuple[int, int]] | None:
    """The pages of file ``number`` still to read, (member, page) each, to be sent as
    messages ([] when all are read: the file can be ingested now); None for a file ingested
    whole (no scan of two pages or more, no bundle holding a scan)."""
    with core.sessions() as session:
        rows = session.execute(
            select(JobPage.member, JobPage.page, JobPage.state).where(
                JobPage.batch_id == job_id, JobPage.number == number
            )
        ).all()
    if not rows:
        if not path.exists():
            return None
        planned = _planned(core.settings, path, name)
        if not planned:
            return None
        values = [
            {"batch_id": job_id, "number": number, "member": member, "page": page,
             "member_path": member_path, "kind": kind, "state": QUEUED, "timed_out": False,
             "over_budget": False, "rotation": 0, "seconds": 0.0}
            for member, member_path, kind, page in planned
        ]  # fmt: skip
        # Under the file's lock (handle_file): no other delivery of it inserts them too.
        with core.transaction() as session:
            session.execute(insert(JobPage), values)
        return [(member, page) for member, _path, _kind, page in planned]
    return sorted((member, page) for member, page, state in rows if state == QUEUED)


def _planned(settings: Settings, path: Path, name: str) -> list[tuple[int, str | None, str, int]]:
    """(member, member_path, kind, page) of each page to read by a message of its own: a
    scan's (two pages or more), or a bundle's scanned members' (copied beside it)."""
    mime = bundle_mime_or_none(Source(path, name, name))
    if mime is None:
        kind, pages = _scan_pages(path, name)
        return [(FILE, None, kind, page) for page in pages] if len(pages) >= 2 else []
    remove_copies(path)  # of an earlier delivery that died before recording its plan

    def wanted(index: int, member_path: str) -> Path | None:
        scan = PurePosixPath(member_path).suffix.lower() in SCAN_SUFFIXES
        return member_copy(path, index, member_path) if scan else None

    try:
        copies = copy_members(path, mime, settings, wanted)
    except Exception:  # an unreadable bundle is refused by its own ingest
        log.exception("%s: its scanned members are read with the bundle", name)
        remove_copies(path)
        return []
    # Pages are handed to the ingest by member path: two members under one path (a ZIP may
    # hold both) would each get the other's text, so such members are read with the bundle.
    paths = Counter(member_path for _index, member_path, _copy in copies)
    planned = []
    for index, member_path, copy in copies:
        if paths[member_path] > 1:
            copy.unlink(missing_ok=True)
            continue
        try:
            name = PurePosixPath(member_path).name
            kind, pages = _scan_pages(copy, name, pdf.pages_without_fonts)
        except Exception:  # unsound: the bundle's ingest refuses it, with the reason
            kind, pages = "", []
        if not pages:
            copy.unlink(missing_ok=True)
        planned += [(index, member_path, kind, page) for page in pages]
    return planned


def member_copy(path: Path, member: int, member_path: str) -> Path:
    """Where member ``member`` of the bundle at ``path`` (in the spool) is copied to be
    read page by page: beside the bundle, named by its number and index (the name keeps
    only a plain extension, as the spool's names do)."""
    suffix = PurePosixPath(member_path).suffix
    plain = suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix) else ""
    return path.with_name(f"{path.stem}-{member:04d}{plain}")


def remove_copies(path: Path) -> None:
    """The member copies of the bundle at ``path`` (once it is ingested, or planned anew)."""
    for copy in path.parent.glob(f"{path.stem}-*"):
        if re.fullmatch(r"\d{4,}", copy.stem.removeprefix(f"{path.stem}-")):
            copy.unlink(missing_ok=True)


def recorded(
    core: Khlang, job_id: int, number: int, name: str
) -> dict[str, dict[int, ocr_pages.PageRead]]:
    """The pages of file ``number`` read by the page messages, as ocr_pages reads them (a
    page left unread because the file's OCR budget was spent has ``over`` set), by the name
    the ingest reads them under: ``name`` for the file's own, a member's path in the
    bundle for a member's."""
    with core.sessions() as session:
        rows = session.scalars(
            select(JobPage).where(
                JobPage.batch_id == job_id, JobPage.number == number, JobPage.state == DONE
            )
        ).all()
        pages: dict[str, dict[int, ocr_pages.PageRead]] = {}
        for row in rows:
            pages.setdefault(row.member_path or name, {})[row.page] = ocr_pages.PageRead(
                row.page,
                None
                if row.error or row.over_budget
                else OcrPage(row.text or "", row.confidence, row.layer, row.rotation),
                row.error,
                row.seconds,
                row.timed_out,
                over=row.over_budget,
            )
        return pages


def _record(connection, job_id: int, number: int, member: int, read: ocr_pages.PageRead) -> None:
    """The page's outcome, once: a second delivery finds it done and changes nothing."""
    page = read.page
    connection.execute(
        update(JobPage)
        .where(
            JobPage.batch_id == job_id,
            JobPage.number == number,
            JobPage.member == member,
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


def _seconds_spent(connection, job_id: int, number: int, member: int) -> float:
    """The OCR seconds the document's pages read so far took (KHLANG_MAX_OCR_SECONDS is a
    budget per document, however many workers read its pages; a bundle's member is one)."""
    return connection.execute(
        select(func.coalesce(func.sum(JobPage.seconds), 0.0)).where(
            JobPage.batch_id == job_id,
            JobPage.number == number,
            JobPage.member == member,
            JobPage.state == DONE,
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


def handle_page(
    core: Khlang, job_id: int, number: int, page: int, spool: Path, member: int = FILE
) -> str:
    """Read page ``page`` of file ``number`` (or of its bundle's member ``member``: what a
    page's message asks): "done", "already done" (also when the file is done and its pages'
    rows are gone), "busy" (another delivery holds it: ask again later) or "last" (no page
    of the file is left: the file's own message is to be sent again). ``spool``: the
    folder the job's files are in."""
    with core.sessions() as session:
        spec = session.scalar(
            select(JobFile.source).where(JobFile.batch_id == job_id, JobFile.number == number)
        )
    if spec is None:  # no file row: broker_jobs.handle_page tells "gone" from busy
        return "busy"
    query = select(JobPage.state, JobPage.kind, JobPage.member_path).where(
        JobPage.batch_id == job_id,
        JobPage.number == number,
        JobPage.member == member,
        JobPage.page == page,
    )
    with claim_row(core, query) as claimed:
        if claimed is BUSY:
            return "busy"
        connection, row = claimed
        if row is None:
            return "already done"
        outcome = "already done"
        if row.state == QUEUED:
            path, name, what = spool / spec["spool"], spec["display_path"], spec["original_name"]
            if row.member_path is not None:
                path = member_copy(path, member, row.member_path)
                name, what = f"{name}/{row.member_path}", f"{what}/{row.member_path}"
            hold_at("ocr-page", f"{what} page {page}")  # crash tests only
            with core.engine.connect() if connection is None else nullcontext(connection) as c:
                spent = _seconds_spent(c, job_id, number, member)
            read = _read_page(row.kind, path, page, name, spent)
            if connection is None:
                with core.engine.begin() as own:
                    _record(own, job_id, number, member, read)
            else:
                _record(connection, job_id, number, member, read)
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
