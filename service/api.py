"""The JSON API under /api/ (and /healthz)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_file

from indexer.core import Khlang
from indexer.documents import document_as_dict
from schemas.models import Document

bp = Blueprint("api", __name__)


def core() -> Khlang:
    return current_app.extensions["khlang"]


def error(status: int, code: str, message_th: str, message_en: str):
    """Errors are JSON with a stable code and a message in Thai and English."""
    response = jsonify({"error": {"code": code, "message": message_th, "message_en": message_en}})
    response.status_code = status
    return response


@bp.get("/healthz")
def healthz():
    report = core().health()
    return jsonify(report), (200 if report["ok"] else 503)


@bp.get("/api/documents/<int:document_id>")
def get_document(document_id: int):
    with core().sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            return error(404, "not_found", "ไม่พบเอกสาร", "document not found")
        return jsonify(document_as_dict(session, document))


@bp.get("/api/documents/<int:document_id>/file")
def download(document_id: int):
    with core().sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            return error(404, "not_found", "ไม่พบเอกสาร", "document not found")
        sha256, mime = document.sha256, document.mime
        name = document.filename.rsplit("/", 1)[-1]
    path = core().store.path_for(sha256)
    if not path.is_file():
        return error(410, "object_missing", "ไฟล์ต้นฉบับหายจากคลัง", "the preserved file is missing")
    # Werkzeug writes both an ASCII fallback and an RFC 5987 filename* in UTF-8,
    # so Thai names survive every browser.
    return send_file(
        path, mimetype=mime, as_attachment=True, download_name=name, etag=sha256, max_age=0
    )
