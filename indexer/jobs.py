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
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


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
) -> list[FileResult]:
    signature = job_signature(paths, item_code, agent)
    resumed = find_interrupted(core, signature)
    ingestor = Ingestor(core, agent=agent, item_code=item_code, batch_id=resumed, source=source)
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
    return ingestor.run(items, progress=progress)
