"""The upload form and a job's page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from service.actions.uploads import job_progress, start_upload
from service.auth import login_required, permission_required
from service.context import core
from service.errors import KhlangError
from service.i18n import current_lang

bp = Blueprint("uploads", __name__)


@bp.get("/upload")
@permission_required("upload")
def upload():
    from service.actions.inventory import upload_choices, upload_menus

    try:
        choices = upload_choices(core(), g.principal)
    except Exception:
        current_app.logger.exception("upload choices failed")
        choices = []
    return render_template(
        "upload.html",
        choices=choices,
        **upload_menus(choices),
        max_upload=current_app.config.get("MAX_CONTENT_LENGTH"),
    )


@bp.post("/upload")
@permission_required("upload")
def upload_post():
    """Without JavaScript the form posts here and lands on the job's page."""
    files = [f for f in request.files.getlist("files") if f and f.filename]
    item_code = (request.form.get("item_code") or "").strip() or None
    try:
        started = start_upload(files, item_code)
    except KhlangError as exc:
        if exc.status == 403:
            # The form offers only the officer's own items: only a forged one gets here.
            abort(403)
        flash(exc.message(current_lang()), "error")
        return redirect(url_for("pages.uploads.upload"))
    return redirect(url_for("pages.uploads.job", job_id=started["job_id"]))


@bp.get("/upload/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    try:
        progress = job_progress(job_id)
    except KhlangError:
        abort(404)
    return render_template("job.html", job=progress)
