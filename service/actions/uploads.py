"""Uploads: the files a person sends become a background ingest job."""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from pathlib import Path

from flask import g

from indexer.ingest import job_runner
from schemas.models import Batch
from service import access, read_your_writes
from service.actions.links import linkable_item
from service.context import core
from service.errors import KhlangError


def clean_upload_name(name: str) -> str:
    """Keep the Thai name the officer gave (it becomes the document's file name), minus
    anything that could escape the job folder."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip().lstrip(".")
    return name[:200] or "ไฟล์"


def save_uploads(files) -> tuple[Path, list[str]]:
    """Move the request's spooled files into a fresh job folder (hard links: no copy)."""
    uploads_root = core().settings.tmp_dir / "uploads"
    uploads_root.mkdir(parents=True, exist_ok=True)
    job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=uploads_root))
    paths = []
    for number, storage in enumerate(files):
        target_dir = job_dir / f"{number:05d}"
        target_dir.mkdir()
        target = target_dir / clean_upload_name(storage.filename)
        stream = storage.stream
        source = getattr(stream, "name", None)
        stream.flush() if hasattr(stream, "flush") else None
        if isinstance(source, str) and os.path.isfile(source):
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        else:
            storage.save(target)
        paths.append(str(target))
    return job_dir, paths


def visible_job(job_id: int) -> Batch:
    """The upload job, if the principal may see it (their own, or any for staff)."""
    with core().sessions() as session:
        batch = session.get(Batch, job_id)
        if batch is None or not access.may_see_job(batch):
            raise KhlangError(404, "not_found", "ไม่พบงานนำเข้า", "job not found")
        session.expunge(batch)
    return batch


def job_progress(job_id: int) -> dict:
    """The job's progress and each file's outcome, for the principal who may see it."""
    visible_job(job_id)
    return job_runner(core()).status(job_id)


def start_upload(files: list, item_code: str | None) -> dict:
    """Start the job ingesting ``files`` (uploaded file storages), each linked to the item
    ``item_code`` when given: ``{"job_id", "files"}``."""
    if not files:
        raise KhlangError(400, "no_files", "ไม่มีไฟล์ที่ส่งมา", "send one or more files in 'files'")
    if item_code:
        with core().sessions() as session:
            item = linkable_item(session, item_code)
            if item.retired_at is not None:
                raise KhlangError(409, "item_retired", "รายการนี้ถูกยกเลิกแล้ว", "the item is retired")
    job_dir, paths = save_uploads(files)
    try:
        job_id = job_runner(core()).start(
            paths,
            agent=g.principal.agent,
            item_code=item_code,
            source="upload",
            cleanup=job_dir,
        )
    except Exception:
        shutil.rmtree(job_dir, ignore_errors=True)
        raise
    read_your_writes.job_started(job_id)
    return {"job_id": job_id, "files": len(paths)}
