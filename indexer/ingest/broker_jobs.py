"""Jobs on a broker (cluster mode), the database side: what the process that receives a
job records and where it puts the files, and what a worker does with one file. The queue
library itself is in ``broker_runner``; nothing here knows about messages.

- ``create_job``: the job's row (``Batch``), one ``JobFile`` row per file, and each file
  linked (or copied) into the *spool*, a folder every worker reads: ``KHLANG_SPOOL_DIR``,
  by default ``<data-dir>/spool`` (workers on other machines mount the same shared folder
  there). Files refused before they are read (missing, symbolic links) are recorded at once.
- ``handle_file``: one file, as ``Ingestor.outcomes`` ingests it (a bundle with its
  members). It is idempotent: whatever the job already recorded of the file is skipped,
  an object stored by a worker that died before recording its document is adopted, not
  stored again, and the ``JobFile`` row turns "done" (adding to the job's counter) once,
  in one transaction. On PostgreSQL the row is locked while the file is worked on, so a
  second delivery of it is not worked on at the same time.
- A message naming a job or file the database does not hold (lost with a primary that
  failed over before sending it, or a database emptied) is dropped, not asked again
  forever as if another worker held it (``_lost``): the reason is logged, naming the job,
  the file and, when it is still in the spool, where it is kept to be ingested again.
- The last file done finishes the job (``finish_job``): the job's documents are indexed,
  its counters and status set from what it recorded, its files removed from the spool. The job's
  documents are also indexed every ``INDEX_EVERY`` files, so a long job is searchable as
  it goes; the index is written under the data directory's index lock, so files handled
  by different workers are indexed alike.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from indexer.core import Khlang
from indexer.extract import ocr_pages
from indexer.ingest import broker_pages
from indexer.ingest.batches import BatchRecord
from indexer.ingest.bundles import bundle_mime_or_none
from indexer.ingest.indexing import index_documents
from indexer.ingest.jobs import completed_keys, process_identity, unindexed_documents
from indexer.ingest.pipeline import Ingestor
from indexer.ingest.row_claim import BUSY, claim_row
from indexer.ingest.sources import FileResult, Source, expand_paths, message, unexpected_error
from indexer.runtime.diskspace import is_no_space
from schemas.config import Settings, setting
from schemas.models import Batch, JobFile, JobPage, Submission

log = logging.getLogger(__name__)

SPOOL_SETTING = "KHLANG_SPOOL_DIR"
# Documents of a running job are indexed each time this many of its files are done.
INDEX_EVERY = 200
QUEUED, DONE = "queued", "done"
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def spool_root(settings: Settings) -> Path:
    """The folder every worker reads a job's files from."""
    value = setting(SPOOL_SETTING).strip()
    return Path(value).resolve() if value else settings.data_dir / "spool"


def spool_folder(settings: Settings, job_id: int) -> Path:
    return spool_root(settings) / f"job-{job_id}"


def _spool_stem(number: int) -> str:
    return f"{number:05d}"


def _place(path: Path, folder: Path, number: int, name: str) -> str:
    """Link (or, across file systems, copy) a file into the job's spool folder; its path
    there, relative to the spool. The name keeps only a plain extension: the names as the
    sender wrote them travel in the JobFile row, and a spool on a shared mount may not
    take every byte a sender's system put in a name."""
    suffix = Path(name).suffix
    target = folder / f"{_spool_stem(number)}{suffix if _SUFFIX.match(suffix) else ''}"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(path, target)
    except FileExistsError:
        pass  # placed by an earlier attempt to resume this job
    except OSError:
        shutil.copyfile(path, target)
    return str(target.relative_to(folder.parent))


def create_job(
    core: Khlang,
    paths: Sequence[str],
    *,
    agent: str,
    item_code: str | None = None,
    source: str = "upload",
    signature: str | None = None,
) -> tuple[int, list[int]]:
    """Record a new job of ``paths`` with its files placed in the spool: (job id, the
    numbers of its files to send). LookupError when ``item_code`` names no active item."""
    ingestor = Ingestor(core, agent=agent, item_code=item_code, source=source, index=False)
    _set_aside_earlier_spool(core.settings, ingestor.batch_id)
    try:
        extra = {"signature": signature} if signature else {}
        return ingestor.batch_id, _add_files(core, ingestor, paths, **extra)
    except Exception as exc:
        log.exception("job %s could not be queued", ingestor.batch_id)
        ingestor.fail(exc, [])
        shutil.rmtree(spool_folder(core.settings, ingestor.batch_id), ignore_errors=True)
        raise


def _set_aside_earlier_spool(settings: Settings, job_id: int) -> None:
    """A new job's spool folder already there belongs to an earlier job of the same id, one
    the database lost (a failover that lost the primary's last writes hands its ids out
    again; an emptied database starts again at 1): its files are kept for the operator,
    moved aside, never taken for the new job's (``_place`` keeps a file already there)."""
    folder = spool_folder(settings, job_id)
    if not folder.exists():
        return
    aside = folder.with_name(f"{folder.name}-lost-{time.strftime('%Y%m%dT%H%M%S')}")
    folder.rename(aside)
    log.error(
        "โฟลเดอร์ spool %s มีอยู่ก่อนงานใหม่ %s เป็นของงานเดิมที่ฐานข้อมูลไม่มีแล้ว "
        "ย้ายไปไว้ที่ %s นำเข้าไฟล์ในนั้นอีกครั้งด้วย khlang ingest หากยังต้องการ "
        "(the spool folder %s was there before new job %s: it is an earlier job's the "
        "database lost; moved to %s: ingest its files again with khlang ingest if needed)",
        folder, job_id, aside, folder, job_id, aside,
    )  # fmt: skip


def _add_files(core: Khlang, ingestor: Ingestor, paths: Sequence[str], **detail) -> list[int]:
    """Place the files of ``paths`` in the job's spool folder and record a JobFile each;
    files refused before being read are recorded as refused. The numbers of the new rows."""
    job_id = ingestor.batch_id
    folder = spool_folder(core.settings, job_id)
    rows, refused = [], 0
    for item in expand_paths(paths):
        if isinstance(item, FileResult):
            ingestor._record_rejection(item)
            refused += 1
            continue
        number = len(rows)
        spec = {
            "spool": _place(item.local_path, folder, number, item.original_name),
            "original_name": item.original_name,
            "display_path": item.display_path,
            "source_path": item.source_path,
        }
        rows.append({"batch_id": job_id, "number": number, "source": spec, "state": QUEUED})
    with core.transaction() as session:
        if rows:
            session.execute(insert(JobFile), [{**row, "results": 0} for row in rows])
        batch = session.get(Batch, job_id)
        batch.total, batch.done = len(rows) + refused, refused
        batch.detail = {
            **(batch.detail or {}),
            **process_identity(),
            **detail,
            "runner": "broker",
            "files": len(rows),
            "enqueued": False,
            "recorded_at": time.time(),
        }
    if not rows:
        finish_job(core, job_id)
    return [row["number"] for row in rows]


def adopt_job(core: Khlang, job_id: int, paths: Sequence[str]) -> list[int]:
    """A job the local runner began, whose process died (``detail["paths"]``): its files
    become JobFile rows, to be finished by workers (what it recorded is skipped)."""
    with core.sessions() as session:
        batch = session.get(Batch, job_id)
        agent, item_code, source = batch.agent, batch.item_code, batch.source
    ingestor = Ingestor(core, agent=agent, item_code=item_code, batch_id=job_id, source=source)
    # The files are counted again as they are done (what was recorded, quickly).
    numbers = _add_files(core, ingestor, paths)
    with core.transaction() as session:
        batch = session.get(Batch, job_id)
        # a job of the broker's from now on: the local runner is to leave it alone
        batch.detail = {k: v for k, v in (batch.detail or {}).items() if k != "paths"}
    return numbers


def queued_files(core: Khlang, job_id: int) -> list[int]:
    with core.sessions() as session:
        return list(
            session.scalars(
                select(JobFile.number)
                .where(JobFile.batch_id == job_id, JobFile.state == QUEUED)
                .order_by(JobFile.number)
            )
        )


def mark_enqueued(core: Khlang, job_id: int) -> None:
    """Every file of the job is in the broker's queue: a job whose receiving process dies
    after this needs nothing from it any more."""
    with core.transaction() as session:
        batch = session.get(Batch, job_id)
        batch.detail = {**(batch.detail or {}), "enqueued": True}


# --- a worker's side ------------------------------------------------------------------


def _mark_done(connection, job_id: int, number: int, results: int) -> bool:
    """The file's row turns done and the job's counter grows by its outcomes, once; its
    pages' rows go."""
    changed = connection.execute(
        update(JobFile)
        .where(JobFile.batch_id == job_id, JobFile.number == number, JobFile.state == QUEUED)
        .values(state=DONE, results=results, handled_by=f"{socket.gethostname()}:{os.getpid()}")
    ).rowcount
    if changed:
        connection.execute(
            update(Batch).where(Batch.id == job_id).values(done=Batch.done + results)
        )
        # the pages' text and text layers are in the document now: a job of scans kept
        # them twice, for ever
        connection.execute(
            delete(JobPage).where(JobPage.batch_id == job_id, JobPage.number == number)
        )
    return bool(changed)


def handle_file(core: Khlang, job_id: int, number: int) -> str:
    """Ingest one file of a job (what a message asks); "done", "already done", "busy"
    (another delivery holds it now: the caller asks again later, until it is done), "gone"
    (the job or the file is not in the database: the message is to be dropped), or
    "pages" (a scan, or a bundle holding scans, whose pages are to be read first, one
    message each: ``pages_to_send``; the last page's message asks for the file again)."""
    query = select(JobFile.state, JobFile.source).where(
        JobFile.batch_id == job_id, JobFile.number == number
    )
    with claim_row(core, query) as claimed:
        if claimed is BUSY:
            return "busy"
        if claimed[1] is None:
            return "gone" if _lost(core, job_id, number) else "busy"
        connection, (state, spec) = claimed
        outcome = "already done"
        if state == QUEUED:
            path = spool_root(core.settings) / spec["spool"]
            pages = broker_pages.plan_pages(core, job_id, number, path, spec["original_name"])
            if pages:
                return "pages"
            pages_read = broker_pages.recorded(core, job_id, number, spec["original_name"])
            with ocr_pages.using_recorded(pages_read):
                results = _ingest(core, job_id, spec)
            if connection is None:
                with core.engine.begin() as own:
                    _mark_done(own, job_id, number, len(results))
            else:
                _mark_done(connection, job_id, number, len(results))
            broker_pages.remove_copies(path)  # a bundle's members read page by page
            outcome = "done"
    _after_file(core, job_id)
    return outcome


def pages_to_send(core: Khlang, job_id: int, number: int) -> list[tuple[int, int]]:
    """The pages of file ``number`` not read yet, (member, page) each: member 0 is the
    file itself, N its bundle's N-th member (after handle_file said "pages")."""
    with core.sessions() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(JobPage.member, JobPage.page)
                .where(
                    JobPage.batch_id == job_id,
                    JobPage.number == number,
                    JobPage.state == QUEUED,
                )
                .order_by(JobPage.member, JobPage.page)
            )
        ]


def handle_page(
    core: Khlang, job_id: int, number: int, page: int, member: int = broker_pages.FILE
) -> str:
    """Read one page of a scan of a job, or of a bundle's scanned member (what a page's
    message asks): see broker_pages.handle_page; "gone" as for handle_file."""
    spool = spool_root(core.settings)
    outcome = broker_pages.handle_page(core, job_id, number, page, spool, member)
    if outcome == "busy" and _lost(core, job_id, number, page, member):
        return "gone"
    return outcome


def _missing_row(
    core: Khlang, job_id: int, number: int, page: int | None, member: int
) -> str | None:
    """Which row a message names is not in the database ("job", "file", "page"), or None.
    A plain read, which a row lock does not stop: "locked" and "not there" look alike to
    the claim's SELECT ... FOR UPDATE SKIP LOCKED."""
    with core.sessions() as session:
        if session.scalar(select(Batch.id).where(Batch.id == job_id)) is None:
            return "job"
        file_row = select(JobFile.number).where(
            JobFile.batch_id == job_id, JobFile.number == number
        )
        if session.scalar(file_row) is None:
            return "file"
        if page is None:
            return None
        page_row = select(JobPage.page).where(
            JobPage.batch_id == job_id,
            JobPage.number == number,
            JobPage.member == member,
            JobPage.page == page,
        )
        return "page" if session.scalar(page_row) is None else None


_MISSING_TH = {"job": "ไม่มีงานนี้", "file": "งานมีอยู่แต่ไม่มีแถวของไฟล์นี้",
               "page": "ไฟล์มีอยู่แต่ไม่มีแถวของหน้านี้"}  # fmt: skip
_MISSING_EN = {"job": "the job's row is not there", "file": "the job is there, the file's row "
               "is not", "page": "the file is there, the page's row is not"}  # fmt: skip


def _lost(core: Khlang, job_id: int, number: int, page: int | None = None, member: int = 0) -> bool:
    """True (and the reason logged) when the message's job, file or page is not in the
    database: rows are written before their messages are sent and never deleted, so such
    a message can never be done; asked again, it would come back for ever. The file is
    left in the spool (nothing would ever finish the job and remove it there)."""
    missing = _missing_row(core, job_id, number, page, member)
    if missing is None:
        return False
    stem = _spool_stem(number)
    kept = [p for p in spool_folder(core.settings, job_id).glob(f"{stem}*") if p.stem == stem]
    of_member_th = f" ไฟล์ที่ {member} ในไฟล์บีบอัด" if member else ""
    of_member_en = f" member {member}" if member else ""
    what_th = f"งาน {job_id} ไฟล์ที่ {number}" + (f"{of_member_th} หน้า {page}" if page else "")
    what_en = f"job {job_id} file {number}" + (f"{of_member_en} page {page}" if page else "")
    if kept:
        then_th = f"ไฟล์ยังเก็บไว้ที่ {kept[0]} นำเข้าอีกครั้งด้วย khlang ingest {kept[0]}"
        then_en = f"the file is kept at {kept[0]}: ingest it again with khlang ingest {kept[0]}"
    else:
        then_th = "ไม่มีไฟล์ใน spool แล้ว ผู้ส่งต้องอัปโหลดอีกครั้ง"
        then_en = "the file is not in the spool any more: its sender must upload it again"
    log.error(
        "%s ไม่อยู่ในฐานข้อมูล (%s) อาจสูญหายพร้อมฐานข้อมูลหลักเมื่อสลับไปใช้ฐานข้อมูลสำรอง "
        "หรือฐานข้อมูลถูกล้าง ทิ้งข้อความนี้โดยไม่ลองอีก; %s "
        "(%s is not in the database (%s): lost with the old primary in a failover, or the "
        "database was emptied; its message is dropped, not retried; %s)",
        what_th, _MISSING_TH[missing], then_th, what_en, _MISSING_EN[missing], then_en,
    )  # fmt: skip
    return True


def _ingest(core: Khlang, job_id: int, spec: dict) -> list[FileResult]:
    with core.sessions() as session:
        batch = session.get(Batch, job_id)
        agent, item_code, kind = batch.agent, batch.item_code, batch.source
    source = Source(
        spool_root(core.settings) / spec["spool"],
        spec["original_name"],
        spec["display_path"],
        source_path=spec["source_path"],
    )
    # the job's documents are indexed together (_after_file), not file by file
    made = {"agent": agent, "batch_id": job_id, "source": kind, "index": False}
    try:
        ingestor = Ingestor(core, item_code=item_code, **made)
    except LookupError as exc:  # the inventory item was retired while the job waited
        return [Ingestor(core, **made).reject(source, unexpected_error(exc))]
    ingestor.show_ocr_pages = False  # the pages' own rows say how far a scan is
    # What an earlier delivery of this message recorded stands (its refusals too).
    ingestor.skip = completed_keys(core, job_id, spec["source_path"], retry_refused=False)
    if not source.local_path.exists():
        return [ingestor.reject(source, message("missing"))]
    results = list(ingestor.outcomes([source], [bundle_mime_or_none(source)]))
    ingestor.suggester.suggest_passed_over(ingestor.index.queue)
    return results


def _after_file(core: Khlang, job_id: int) -> None:
    """Finish the job after its last file; index its documents every INDEX_EVERY files."""
    with core.sessions() as session:
        status = session.scalar(select(Batch.status).where(Batch.id == job_id))
        counts = dict(
            session.execute(
                select(JobFile.state, func.count())
                .where(JobFile.batch_id == job_id)
                .group_by(JobFile.state)
            ).all()
        )
    if status != "running":
        return
    if not counts.get(QUEUED):
        finish_job(core, job_id)
    elif counts.get(DONE, 0) % INDEX_EVERY == 0:
        _index_job(core, job_id)


def _index_job(core: Khlang, job_id: int) -> bool:
    """Index the job's documents not yet in the index; False when the disk is full (they
    stay marked unindexed for the next ingest or `reindex --if-needed`)."""
    with core.sessions() as session:
        agent = session.scalar(select(Batch.agent).where(Batch.id == job_id))
    try:
        index_documents(core, sorted(unindexed_documents(core, job_id)), agent=agent)
    except Exception as exc:
        if not is_no_space(exc):
            raise
        log.error("indexing job %s deferred, disk full: %r", job_id, exc)
        return False
    return True


def finish_job(core: Khlang, job_id: int) -> None:
    """The job is over: its documents indexed, its row finished with counts of what it
    recorded, its files removed from the spool. Done again (by a second delivery of the last
    file) it changes nothing."""
    indexed = _index_job(core, job_id)
    with core.transaction() as session:
        batch = session.get(Batch, job_id, with_for_update=True)
        if batch is None or batch.status != "running":
            return
        statuses = session.scalars(
            select(Submission.status).where(Submission.batch_id == job_id)
        ).all()
        batch.total = len(statuses)  # a bundle opened twice added its members twice
        agent, kind, item_code = batch.agent, batch.source, batch.item_code
    results = [FileResult("", status) for status in statuses]
    record = BatchRecord(core, agent=agent, source=kind, item_code=item_code, batch_id=job_id)
    record.finish(results, index_deferred=not indexed)
    _clear_spool(core, job_id)


def _clear_spool(core: Khlang, job_id: int) -> None:
    """Remove the job's files from the spool, and its folder once empty. Only the files of
    its JobFile rows: a file whose row was lost (``_lost``) stays where its log line says."""
    root = spool_root(core.settings)
    with core.sessions() as session:
        specs = session.scalars(select(JobFile.source).where(JobFile.batch_id == job_id))
        for spec in specs:
            (root / spec["spool"]).unlink(missing_ok=True)
            broker_pages.remove_copies(root / spec["spool"])
    with contextlib.suppress(OSError):  # removed already, or not empty: a lost file kept
        spool_folder(core.settings, job_id).rmdir()
