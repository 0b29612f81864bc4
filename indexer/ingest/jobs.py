"""Ingestion jobs: a batch with progress that survives being killed. This is the work of
the local runner (``indexer.ingest.runner.LocalJobRunner``); the service goes through
``job_runner(core)``, not through these functions.

Every file's outcome is committed as it finishes, so a job killed with SIGKILL has lost
nothing it acknowledged. Each job records the process that runs it (host, pid and the
pid's start time). A job still marked running whose process is gone was interrupted, and
is resumed by the one implementation here: files it already recorded are skipped (and
indexed if the killed run had not yet indexed them), the rest are ingested.

- The CLI resumes a job when the same input is given again (same paths, item, submitter).
- The web service keeps each upload's files in ``tmp/uploads/job-*`` until its job is
  over, and resumes upload jobs whose worker died, at start-up and when a job's status is
  asked for; its upload folder is then removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import case, func, select

from indexer.core import Khlang
from indexer.ingest.pipeline import Ingestor
from indexer.ingest.sources import FileResult, expand_paths
from indexer.runtime.diskspace import NOT_YET_SEARCHABLE
from indexer.runtime.locks import file_lock
from schemas.models import Batch, Document, JobFile, JobPage, Submission

log = logging.getLogger(__name__)

# A job folder with no running job is removed only once it is this old: a younger one may
# belong to an upload whose job is being created in another worker right now.
STALE_UPLOAD_SECONDS = 3600


def job_signature(paths: Sequence[str], item_code: str | None, agent: str) -> str:
    canonical = json.dumps(
        [sorted(str(Path(p).resolve()) for p in paths), item_code, agent], ensure_ascii=False
    )
    # Names that are not UTF-8 reach here as surrogate escapes: hash their raw bytes.
    return hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()[:32]


# --- who runs a job ---------------------------------------------------------------------


def _started_at(pid: int) -> str | None:
    """When the process started (clock ticks since boot, /proc/PID/stat field 22): tells a
    live job's process from a later one that was given the same pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def process_identity() -> dict:
    """What a job records about the process running it."""
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "pid_started": _started_at(pid)}


def owner_gone(detail: dict) -> bool:
    """True when the process that ran this job is known to be gone. A job of another host
    cannot be checked from here, so it is never taken over."""
    if detail.get("host", socket.gethostname()) != socket.gethostname():
        return False
    pid = detail.get("pid")
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, under another user
    recorded = detail.get("pid_started")
    return recorded is not None and _started_at(pid) not in (None, recorded)


@contextmanager
def _claim_lock(core: Khlang) -> Iterator[None]:
    """Several gunicorn workers (and the CLI) may find the same interrupted job at once;
    this lock makes checking and taking it one step."""
    with file_lock(core.settings.data_dir / "jobs.lock"):
        yield


def claim_interrupted(core: Khlang, batch_id: int) -> bool:
    """Take over an interrupted job for this process; False when it is not interrupted
    (finished, or its process alive: another worker may have just taken it)."""
    with _claim_lock(core), core.transaction() as session:
        batch = session.get(Batch, batch_id)
        if batch is None or batch.status != "running" or not owner_gone(batch.detail or {}):
            return False
        detail = dict(batch.detail or {})
        detail.update(process_identity(), resumed=detail.get("resumed", 0) + 1)
        batch.detail = detail
        return True


def _interrupted(core: Khlang, **where) -> list[Batch]:
    """Running jobs whose process is gone, newest first (``where``: detail keys)."""
    with core.sessions() as session:
        running = session.scalars(
            select(Batch).where(Batch.status == "running").order_by(Batch.id.desc())
        ).all()
    return [
        batch
        for batch in running
        if all((batch.detail or {}).get(k) == v for k, v in where.items())
        and owner_gone(batch.detail or {})
    ]


# --- running a job (new or resumed) ---------------------------------------------------


def completed_keys(
    core: Khlang, batch_id: int, source_path: str | None = None, *, retry_refused: bool = True
) -> dict[tuple, FileResult]:
    """What an interrupted batch already recorded, by (source path, path in bundle); only
    of ``source_path`` when given. A refusal before anything was stored is left out, to be
    tried again, unless ``retry_refused`` is False (a message delivered again on a broker
    repeats one attempt: its outcome stands)."""
    done: dict[tuple, FileResult] = {}
    where = [Submission.batch_id == batch_id]
    if source_path is not None:
        where.append(Submission.source_path == source_path)
    with core.sessions() as session:
        for s in session.scalars(select(Submission).where(*where)):
            if retry_refused and s.status == "rejected" and s.sha256 is None:
                continue  # nothing was stored: try again
            shown = s.source_path or s.original_name
            if s.bundle_path:
                shown = f"{shown}/{s.bundle_path}"
            done[(s.source_path, s.bundle_path)] = FileResult(
                shown, s.status, s.document_id, s.sha256, s.error, s.bundle_path or s.original_name
            )
    return done


def unindexed_documents(core: Khlang, batch_id: int) -> set[int]:
    """Documents this batch recorded that are not in the search index yet: a job killed
    between its database commits and its next index commit leaves them."""
    with core.sessions() as session:
        return set(
            session.scalars(
                select(Document.id)
                .join(Submission, Submission.document_id == Document.id)
                .where(Submission.batch_id == batch_id, Document.indexed_version.is_(None))
            )
        )


def _ingest(
    core: Khlang,
    ingestor: Ingestor,
    paths: Sequence[str],
    *,
    resumed: bool,
    progress: Callable[[FileResult], None] | None = None,
    timings: dict[str, float] | None = None,
) -> list[FileResult]:
    """Ingest ``paths`` into the ingestor's job; a resumed job skips what it recorded."""
    try:
        if resumed:
            ingestor.skip = completed_keys(core, ingestor.batch_id)
            ingestor.index_on_skip = unindexed_documents(core, ingestor.batch_id)
        items = list(expand_paths(paths))
        with core.transaction() as session:
            batch = session.get(Batch, ingestor.batch_id)
            # Members of ZIP bundles are added to the total as the bundles are opened.
            batch.total = len(items)
            batch.done = 0
    except Exception as exc:
        # Ingestor.run marks the job failed when it fails; before it starts, this does (or
        # an upload job would stay "running" under its live owner, its page polling for ever).
        log.exception("ingestion job %s could not start", ingestor.batch_id)
        ingestor.fail(exc, [])
        raise
    if progress is not None and hasattr(progress, "set_total"):
        progress.set_total(len(items))
    try:
        return ingestor.run(items, progress=progress)
    finally:
        if timings is not None:
            timings.update(ingestor.timings)


def _record_owner(core: Khlang, batch_id: int, **detail) -> None:
    with core.transaction() as session:
        batch = session.get(Batch, batch_id)
        batch.detail = {**(batch.detail or {}), **process_identity(), **detail}


def run_ingest_job(
    core: Khlang,
    paths: Sequence[str],
    *,
    agent: str,
    item_code: str | None = None,
    progress: Callable[[FileResult], None] | None = None,
    source: str = "cli",
    timings: dict[str, float] | None = None,
    workers: int = 1,
) -> list[FileResult]:
    """Ingest ``paths`` as one job (resuming a killed run of the same job).

    ``timings``, when given, receives the seconds spent per pipeline stage. ``workers`` > 1
    prepares files in that many worker processes (for large batches from the CLI).
    """
    signature = job_signature(paths, item_code, agent)
    resumed = next(
        (b.id for b in _interrupted(core, signature=signature) if claim_interrupted(core, b.id)),
        None,
    )
    ingestor = Ingestor(
        core, agent=agent, item_code=item_code, batch_id=resumed, source=source, workers=workers
    )
    if not resumed:
        _record_owner(core, ingestor.batch_id, signature=signature)
    return _ingest(core, ingestor, paths, resumed=bool(resumed), progress=progress, timings=timings)


# --- upload jobs of the web service ------------------------------------------------------


def start_background_job(
    core: Khlang,
    paths: Sequence[str],
    *,
    agent: str,
    item_code: str | None = None,
    source: str = "upload",
    cleanup: Path | None = None,
) -> int:
    """Start ingesting in a thread of this process and return the batch (job) id at once.

    The web upload uses it: the request returns the job id, and the page polls
    ``job_status``. ``cleanup`` is the folder of uploaded files: it is kept until the job
    is over, so that a job whose process dies can be resumed from it.
    """
    ingestor = Ingestor(core, agent=agent, item_code=item_code, source=source)
    _record_owner(
        core,
        ingestor.batch_id,
        paths=[str(p) for p in paths],
        upload_dir=str(cleanup) if cleanup else None,
    )
    _in_background(core, ingestor, paths, cleanup, resumed=False)
    return ingestor.batch_id


def _in_background(
    core: Khlang, ingestor: Ingestor, paths: Sequence[str], folder: Path | None, *, resumed
) -> None:
    def work() -> None:
        try:
            _ingest(core, ingestor, paths, resumed=resumed)
        except Exception:
            pass  # logged, and the job marked failed, by _ingest or Ingestor.run
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    name = f"khlang-job-{ingestor.batch_id}"
    threading.Thread(target=work, name=name, daemon=True).start()


def resume_upload_job(core: Khlang, batch_id: int) -> bool:
    """Resume an interrupted upload job in a thread of this process, from its kept upload
    folder; False when it is not interrupted or another process took it first."""
    if not claim_interrupted(core, batch_id):
        return False
    with core.sessions() as session:
        batch = session.get(Batch, batch_id)
        detail = dict(batch.detail or {})
        agent, item_code, source = batch.agent, batch.item_code, batch.source
    folder = Path(detail["upload_dir"]) if detail.get("upload_dir") else None
    log.warning("resuming interrupted upload job %s", batch_id)
    try:
        ingestor = Ingestor(
            core, agent=agent, item_code=item_code, batch_id=batch_id, source=source
        )
    except LookupError:  # the inventory item was deleted meanwhile
        with core.transaction() as session:
            batch = session.get(Batch, batch_id)
            batch.status = "failed"
            batch.detail = {**detail, "error": f"inventory item {item_code} not found"}
        return False
    _in_background(core, ingestor, detail.get("paths") or [], folder, resumed=True)
    return True


def _resumable_upload(core: Khlang, batch_id: int) -> bool:
    with core.sessions() as session:
        batch = session.get(Batch, batch_id)
        return (
            batch is not None
            and batch.status == "running"
            and "paths" in (batch.detail or {})
            and owner_gone(batch.detail or {})
        )


def resume_interrupted_uploads(core: Khlang) -> list[int]:
    """At service start-up: resume every upload job whose process died, and remove upload
    folders that no job needs any more."""
    resumed = [
        batch.id
        for batch in _interrupted(core)
        if "paths" in (batch.detail or {}) and resume_upload_job(core, batch.id)
    ]
    remove_stale_upload_folders(core)
    return resumed


def remove_stale_upload_folders(core: Khlang) -> None:
    """Upload folders no running job needs, an hour old (whichever runner ran them)."""
    uploads = core.settings.tmp_dir / "uploads"
    if not uploads.is_dir():
        return
    with core.sessions() as session:
        running = session.scalars(select(Batch.detail).where(Batch.status == "running"))
        kept = {(d or {}).get("upload_dir") for d in running}
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for folder in uploads.glob("job-*"):
        if str(folder) not in kept and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def job_status(core: Khlang, batch_id: int) -> dict | None:
    """Counts and per-file results of a job, for the upload page's live progress.

    An upload job whose process died is resumed here, in the background: asking for its
    status is what a waiting user does."""
    if _resumable_upload(core, batch_id):
        resume_upload_job(core, batch_id)
    return read_status(core, batch_id)


def read_status(core: Khlang, batch_id: int) -> dict | None:
    """``job_status`` without resuming anything (a broker's jobs are resumed by workers)."""
    with core.sessions() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return None
        submissions = session.scalars(
            select(Submission).where(Submission.batch_id == batch_id).order_by(Submission.id)
        ).all()
        unsearchable = _not_yet_searchable(session, batch, submissions)
        reading_now = _reading_now(session, batch)
        files = [
            {
                "path": s.bundle_path or s.original_name,
                "status": s.status,
                "document_id": s.document_id,
                "sha256": s.sha256,
                "error": s.error,
                "warnings": [NOT_YET_SEARCHABLE] if s.document_id in unsearchable else [],
            }
            for s in submissions
        ]
    counts: dict[str, int] = {}
    for entry in files:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return {
        "job_id": batch.id,
        "status": batch.status,
        "agent": batch.agent,
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "total": max(batch.total, len(files)),
        "done": len(files),
        "counts": counts,
        "files": files,
        "error": (batch.detail or {}).get("error"),
        "current": reading_now,
    }


def reading_message(read: int, pages: int) -> str:
    """What the job's page says of a scan being read: the page in hand of how many."""
    page = min(read + 1, pages)
    return (
        f"กำลังอ่านข้อความจากภาพ หน้า {page}/{pages} (reading text from the scan: page {page}/{pages})"
    )


def _reading_now(session, batch: Batch) -> list[dict]:
    """The files of a running job whose pages are being read by OCR, and how far: from the
    job's row (the local runner) or from its pages' rows (a broker: one message a page)."""
    if batch.status != "running":
        return []
    shown = []
    local = (batch.detail or {}).get("ocr_pages")
    if local:
        shown.append((local["path"], local["read"], local["pages"]))
    pages = session.execute(
        select(
            JobPage.number,
            JobPage.member_path,  # a bundle's scanned member: each is a scan of its own
            func.count(),
            func.sum(case((JobPage.state == "done", 1), else_=0)),
        )
        .where(JobPage.batch_id == batch.id)
        .group_by(JobPage.number, JobPage.member, JobPage.member_path)
        .order_by(JobPage.number, JobPage.member)
    ).all()
    if pages:
        names = dict(
            session.execute(
                select(JobFile.number, JobFile.source).where(
                    JobFile.batch_id == batch.id, JobFile.state == "queued"
                )
            ).all()
        )
        for number, member_path, total, read in pages:
            if number in names and read < total:
                path = names[number]["display_path"]
                shown.append(
                    (f"{path}/{member_path}" if member_path else path, int(read), int(total))
                )
    return [
        {"path": path, "step": "ocr", "page": min(read + 1, total), "pages": total,
         "message": reading_message(read, total)}
        for path, read, total in shown
    ]  # fmt: skip


def _not_yet_searchable(session, batch: Batch, submissions: list[Submission]) -> set[int]:
    """Documents of a job over whose indexing was deferred (the disk filled up while
    indexing) that are still not in the search index: the next ingest or service start
    indexes them, and from then on they are no longer listed."""
    if batch.status == "running" or not (batch.detail or {}).get("index_deferred"):
        return set()
    ids = {s.document_id for s in submissions if s.document_id is not None}
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Document.id).where(Document.id.in_(ids), Document.indexed_version.is_(None))
        )
    )
