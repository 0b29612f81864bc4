"""Ingestion jobs: a batch with progress that survives being killed.

Every file's outcome is committed as it finishes, so a job killed with SIGKILL has lost
nothing it acknowledged. Running the same input again (same paths, item and submitter)
finds the dead job and resumes it: files it already recorded are skipped, not re-ingested.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import select

from indexer.core import Khlang
from indexer.pipeline import FileResult, Ingestor, expand_paths
from schemas.models import Batch, Submission


def job_signature(paths: Sequence[str], item_code: str | None, agent: str) -> str:
    canonical = json.dumps(
        [sorted(str(Path(p).resolve()) for p in paths), item_code, agent], ensure_ascii=False
    )
    # Names that are not UTF-8 reach here as surrogate escapes: hash their raw bytes.
    return hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _process_alive(detail: dict) -> bool:
    if detail.get("host") != socket.gethostname():
        return False
    pid = detail.get("pid")
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_interrupted(core: Khlang, signature: str) -> int | None:
    """The newest unfinished batch with this signature whose process is gone."""
    with core.sessions() as session:
        running = session.scalars(
            select(Batch).where(Batch.status == "running").order_by(Batch.id.desc())
        ).all()
        for batch in running:
            detail = batch.detail or {}
            if detail.get("signature") == signature and not _process_alive(detail):
                return batch.id
    return None


def completed_keys(core: Khlang, batch_id: int) -> dict[tuple, FileResult]:
    """What an interrupted batch already recorded, by (source path, path in bundle)."""
    done: dict[tuple, FileResult] = {}
    with core.sessions() as session:
        for s in session.scalars(select(Submission).where(Submission.batch_id == batch_id)):
            if s.status == "rejected" and s.sha256 is None:
                continue  # nothing was stored: try again
            shown = s.source_path or s.original_name
            if s.bundle_path:
                shown = f"{shown}/{s.bundle_path}"
            done[(s.source_path, s.bundle_path)] = FileResult(
                shown, s.status, s.document_id, s.sha256, s.error, s.bundle_path or s.original_name
            )
    return done


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
    resumed = find_interrupted(core, signature)
    ingestor = Ingestor(
        core, agent=agent, item_code=item_code, batch_id=resumed, source=source, workers=workers
    )
    skip = completed_keys(core, resumed) if resumed else {}
    with core.transaction() as session:
        batch = session.get(Batch, ingestor.batch_id)
        detail = dict(batch.detail or {})
        detail.update(signature=signature, pid=os.getpid(), host=socket.gethostname())
        if resumed:
            detail["resumed"] = detail.get("resumed", 0) + 1
        batch.detail = detail
        items = list(expand_paths(paths))
        # Members of ZIP bundles are added to the total as the bundles are opened.
        batch.total = len(items)
        batch.done = 0
    if progress is not None and hasattr(progress, "set_total"):
        progress.set_total(len(items))
    ingestor.skip = skip
    try:
        return ingestor.run(items, progress=progress)
    finally:
        if timings is not None:
            timings.update(ingestor.timings)


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
    ``job_status``. ``cleanup`` is a folder of uploaded files removed when the job ends.
    """
    import shutil
    import threading

    ingestor = Ingestor(core, agent=agent, item_code=item_code, source=source)
    items = list(expand_paths(paths))
    with core.transaction() as session:
        batch = session.get(Batch, ingestor.batch_id)
        batch.total = len(items)
        batch.detail = {**(batch.detail or {}), "pid": os.getpid(), "host": socket.gethostname()}

    def work() -> None:
        try:
            ingestor.run(items)
        except Exception as exc:  # the job's row must say it failed, not stay "running"
            with core.transaction() as session:
                failed = session.get(Batch, ingestor.batch_id)
                failed.status = "failed"
                failed.detail = {**(failed.detail or {}), "error": repr(exc)}
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)

    threading.Thread(target=work, name=f"khlang-job-{ingestor.batch_id}", daemon=True).start()
    return ingestor.batch_id


def job_status(core: Khlang, batch_id: int) -> dict | None:
    """Counts and per-file results of a job, for the upload page's live progress."""
    with core.sessions() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return None
        submissions = session.scalars(
            select(Submission).where(Submission.batch_id == batch_id).order_by(Submission.id)
        ).all()
        files = [
            {
                "path": s.bundle_path or s.original_name,
                "status": s.status,
                "document_id": s.document_id,
                "sha256": s.sha256,
                "error": s.error,
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
    }
