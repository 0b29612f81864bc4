"""One document: its record, file, preview, searchable copy, similar documents, edits and
publication steps.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request, send_file

from archive.objectstore import S3ObjectStore
from indexer.preserve import searchable
from service import access
from service.actions.documents import edit_document
from service.actions.publication import take_step
from service.actions.search import similar_documents
from service.api.common import _not_found, error
from service.api_models.common import Error
from service.api_models.documents import Document as DocumentAnswer
from service.api_models.documents import (
    DocumentEdit,
    Preview,
    PublicationBody,
    PublicationResult,
    SimilarQuery,
)
from service.api_models.search import Similar
from service.api_models.spec import PUBLIC, STAFF, Answers, api, files
from service.context import core
from service.disposition import attachment
from service.read_your_writes import replica_readable

bp = Blueprint("documents", __name__)


@bp.get("/api/documents/<int:document_id>")
@api.validate(resp=Answers(HTTP_200=DocumentAnswer), security=PUBLIC)
@replica_readable
def get_document(document_id: int):
    """A document with metadata, text, links and provenance"""
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        return jsonify(access.document_view(session, document))


@bp.get("/api/documents/<int:document_id>/file")
@api.validate(
    resp=Answers(
        HTTP_410=(Error, "the preserved object is missing"),
        HTTP_500=(
            Error,
            "the preserved object is corrupt (object_corrupt): its bytes no longer match "
            "their hash; not served, a failed fixity check is recorded",
        ),
    ),
    security=PUBLIC,
)
@files("200", "the original bytes, as the type identified from them", "*/*")
def download(document_id: int):
    """Download the preserved original"""
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        sha256, mime = document.sha256, document.mime
        name = document.filename.rsplit("/", 1)[-1]
    store = core().store
    if not store.exists(sha256):
        return error(410, "object_missing", "ไฟล์ต้นฉบับหายจากคลัง", "the preserved file is missing")
    if _object_state(document_id, sha256) == "corrupt":
        return _object_corrupt()
    # A folder store hands Werkzeug the path (ranges, sendfile); an S3 store a stream.
    body = store.open(sha256) if isinstance(store, S3ObjectStore) else store.path_for(sha256)
    return _send_object(body, mime, name, sha256, document_id)


def _send_object(body, mime: str, name: str, sha256: str, document_id: int):
    response = send_file(body, mimetype=mime, etag=sha256, max_age=0)
    # Built by hand: a stored name may hold a CR, LF, quote or semicolon (see disposition).
    response.headers["Content-Disposition"] = attachment(name, f"document-{document_id}")
    return response


@bp.get("/api/documents/<int:document_id>/preview")
@api.validate(resp=Answers(HTTP_200=Preview), security=PUBLIC)
def preview(document_id: int):
    """The preview of the original: its kind (pdf, office, image, none), page count and page
    image URLs (access as the download)"""
    from service.preview_view import preview_info, preview_source

    source = preview_source(document_id)
    if source is None:
        return _not_found()
    return jsonify(preview_info(document_id, source, endpoint="api.documents.preview_page"))


@bp.get("/api/documents/<int:document_id>/preview/<int:page>.png")
@api.validate(
    resp=Answers(
        HTTP_422=(Error, "the original cannot be rendered (preview_failed), with the reason")
    ),
    security=PUBLIC,
)
@files("200", "the page", "image/png")
def preview_page(document_id: int, page: int):
    """One page of the preview as a PNG, rendered from the original and cached as a derived
    file (the original is only read)"""
    from indexer.records.preview import PreviewFailed
    from service.preview_view import page_response, preview_source

    source = preview_source(document_id)
    if source is None:
        return _not_found()
    try:
        return page_response(source, page)
    except IndexError:
        return error(404, "no_such_page", f"เอกสารนี้ไม่มีหน้า {page}", f"no page {page}")
    except PreviewFailed as exc:
        return error(422, "preview_failed", exc.message_th, exc.message_en)


def _object_state(document_id: int, sha256: str) -> str:
    from indexer.preserve.fixity import check_before_serving

    principal = g.principal
    who = principal.agent if principal.authenticated else "anonymous"
    return check_before_serving(core(), document_id, sha256, requested_by=who)


def _object_corrupt():
    """The preserved bytes no longer match their hash: serving them would pass damage off
    as the original (recorded as a failed fixity check on the document)."""
    current_app.logger.error("refused a download: object corrupt")
    return error(
        500,
        "object_corrupt",
        "ไฟล์ต้นฉบับในคลังเสียหาย (ข้อมูลไม่ตรงกับค่าแฮชที่บันทึกไว้) จึงไม่ส่งให้ "
        "ผู้ดูแลระบบควรสั่ง khlang verify แล้วนำเข้าไฟล์ต้นฉบับเดิมอีกครั้งเพื่อแทนที่สำเนาที่เสีย",
        "the preserved file is corrupt (its bytes no longer match their recorded hash), so it is "
        "not served; an administrator should run khlang verify and ingest the original file "
        "again, which replaces the corrupt copy",
    )


@bp.get("/api/documents/<int:document_id>/searchable.pdf")
@api.validate(resp=Answers(), security=PUBLIC)
@files("200", "the original's pages with the recognised text laid over", "application/pdf")
def download_searchable(document_id: int):
    """Download a scan's searchable copy (OCR text as an invisible layer), not the original"""
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        sha256 = searchable.copy_of(session, document_id)
        name = Path(document.filename.rsplit("/", 1)[-1]).stem + "-ค้นหาได้.pdf"
    if sha256 is None:
        return error(
            404,
            "no_searchable_copy",
            "เอกสารนี้ไม่มีสำเนา PDF ที่ค้นหาข้อความได้ (มีเฉพาะไฟล์สแกนที่อ่านด้วย OCR)",
            "this document has no searchable PDF copy (only OCR'd scans have one)",
        )
    path = searchable.derived_store(core()).path_for(sha256)
    if not path.is_file():  # lost (a restore without data/derived): it can be made again
        return error(
            404,
            "searchable_copy_missing",
            "สำเนา PDF ที่ค้นหาข้อความได้ของเอกสารนี้หายไป ผู้ดูแลระบบสร้างใหม่ได้ด้วย "
            f"khlang derive searchable {document_id}",
            "this document's searchable PDF copy is missing; an administrator can make it "
            f"again with khlang derive searchable {document_id}",
        )
    return _send_object(path, "application/pdf", name, sha256, document_id)


@bp.get("/api/documents/<int:document_id>/similar")
@api.validate(query=SimilarQuery, resp=Answers(HTTP_200=Similar), security=PUBLIC)
def document_similar(document_id: int):
    """Documents similar to this one, with shared terms"""
    limit = request.context.query.limit
    with core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return _not_found()
        title, text = document.title, document.text
    return jsonify({"hits": similar_documents(document_id, title, text, limit)})


@bp.post("/api/documents/<int:document_id>/publication")
@api.validate(
    json=PublicationBody,
    resp=Answers(
        HTTP_200=PublicationResult,
        HTTP_409=(Error, "wrong state (invalid_transition) or same checker (same_agent)"),
    ),
    security=STAFF,
)
def publication(document_id: int):
    """One step of the approval chain (seed 001): check, approve, publish; or withdraw
    (admin)"""
    body = request.get_json(silent=True) or request.form
    return jsonify(take_step(document_id, body.get("action"), str(body.get("note") or "")))


@bp.patch("/api/documents/<int:document_id>")
@api.validate(
    json=DocumentEdit,
    resp=Answers(HTTP_200=(DocumentAnswer, "the updated document")),
    security=STAFF,
)
def patch_document(document_id: int):
    """Correct the description: title, kind, fiscal year, project, activity, notes, tags
    (strategy and admin; dsss for their own province's documents).

    Each change is an `edited` provenance event with old and new values and the agent; the
    search index follows."""
    return jsonify(edit_document(document_id, request.get_json(silent=True) or {}))
