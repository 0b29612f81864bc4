"""Uploads and the background jobs that ingest them."""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from pathlib import Path

from flask import Blueprint, g, jsonify, request

from schemas.models import Batch
from service import access
from service.api.common import (
    error,
)
from service.api.links import _item_by_code, _link_response
from service.api_models.common import Error
from service.api_models.spec import STAFF, Answers, api
from service.api_models.uploads import Job, JobAccepted, UploadForm
from service.auth import login_required, permission_required
from service.context import core

bp = Blueprint("uploads", __name__)


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


@bp.post("/api/uploads")
@permission_required("upload")
@api.validate(
    form=UploadForm,
    resp=Answers(
        HTTP_202=(JobAccepted, "accepted; poll status_url"),
        HTTP_404=(Error, "no inventory item with that code (item_not_found)"),
        HTTP_409=(Error, "the item is retired (code item_retired)"),
        HTTP_413=(Error, "too large (code too_large)"),
    ),
    security=STAFF,
)
def upload():
    """Upload files or ZIP bundles; ingestion runs as a job (admin, dsss)"""
    from indexer.ingest.jobs import start_background_job

    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        return error(400, "no_files", "ไม่มีไฟล์ที่ส่งมา", "send one or more files in 'files'")
    item_code = (request.form.get("item_code") or "").strip() or None
    if item_code:
        with core().sessions() as session:
            item = _item_by_code(session, item_code)
            if item is None:
                return error(
                    404, "item_not_found", "ไม่พบรายการในบัญชี", "no inventory item with that code"
                )
            if not access.may_link_item(item):
                return _link_response(403, None)
            if item.retired_at is not None:
                return error(409, "item_retired", "รายการนี้ถูกยกเลิกแล้ว", "the item is retired")
    job_dir, paths = save_uploads(files)
    try:
        job_id = start_background_job(
            core(),
            paths,
            agent=g.principal.agent,
            item_code=item_code,
            source="upload",
            cleanup=job_dir,
        )
    except Exception:
        shutil.rmtree(job_dir, ignore_errors=True)
        raise
    response = jsonify({"job_id": job_id, "status_url": f"/api/jobs/{job_id}", "files": len(paths)})
    response.status_code = 202
    response.headers["Location"] = f"/api/jobs/{job_id}"
    return response


@bp.get("/api/jobs/<int:job_id>")
@api.validate(resp=Answers(HTTP_200=Job), security=STAFF)
@login_required
def job(job_id: int):
    """Progress and per-file results of an upload job (its owner, strategy, admin)"""
    from indexer.ingest.jobs import job_status

    with core().sessions() as session:
        batch = session.get(Batch, job_id)
        if batch is None or not access.may_see_job(batch):
            return error(404, "not_found", "ไม่พบงานนำเข้า", "job not found")
    return jsonify(job_status(core(), job_id))
