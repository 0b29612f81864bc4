"""Uploads and the background jobs that ingest them (service.actions.uploads does the work)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from service.actions.uploads import job_progress, start_upload
from service.auth import login_required, permission_required

bp = Blueprint("uploads", __name__)


@bp.post("/api/uploads")
@permission_required("upload")
def upload():
    files = [f for f in request.files.getlist("files") if f and f.filename]
    item_code = (request.form.get("item_code") or "").strip() or None
    started = start_upload(files, item_code)
    job_id = started["job_id"]
    response = jsonify(
        {"job_id": job_id, "status_url": f"/api/jobs/{job_id}", "files": started["files"]}
    )
    response.status_code = 202
    response.headers["Location"] = f"/api/jobs/{job_id}"
    return response


@bp.get("/api/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    return jsonify(job_progress(job_id))
