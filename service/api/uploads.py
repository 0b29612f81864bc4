"""Uploads and the background jobs that ingest them (service.actions.uploads does the work)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from service.actions.uploads import job_progress, start_upload
from service.api_models.common import Error
from service.api_models.spec import STAFF, Answers, api
from service.api_models.uploads import Job, JobAccepted, UploadForm
from service.auth import login_required, permission_required

bp = Blueprint("uploads", __name__)


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
@api.validate(resp=Answers(HTTP_200=Job), security=STAFF)
@login_required
def job(job_id: int):
    """Progress and per-file results of an upload job (its owner, strategy, admin)"""
    return jsonify(job_progress(job_id))
