"""The preview of a document's original, as the API and the document page serve it.

Access is the download's: a visitor previews published documents only, and cannot tell an
unpublished document from a missing one.
"""

from __future__ import annotations

from flask import current_app, send_file, url_for

from indexer.records.preview import (
    PreviewFailed,
    PreviewSource,
    page_count,
    page_image,
    preview_kind,
)
from service import access


def preview_source(document_id: int) -> PreviewSource | None:
    """What the asker may preview of the document, or None (not found or not visible)."""
    with access.core().sessions() as session:
        document = access.visible_document(session, document_id)
        if document is None:
            return None
        return PreviewSource(preview_kind(document.mime), document.sha256, document.mime)


def preview_info(document_id: int, source: PreviewSource, *, endpoint: str) -> dict:
    """The preview's kind, page count and page URLs (``endpoint``: the API's or the
    page's image route); ``error`` in Thai and English when the original cannot be shown."""
    info = {"document_id": document_id, "kind": source.kind, "pages": 0, "page_urls": []}
    try:
        info["pages"] = page_count(access.core(), source)
    except PreviewFailed as exc:
        current_app.logger.warning("preview of document %s: %s", document_id, exc.message_en)
        info["error"] = {"message": exc.message_th, "message_en": exc.message_en}
        return info
    info["page_urls"] = [
        url_for(endpoint, document_id=document_id, page=n) for n in range(1, info["pages"] + 1)
    ]
    return info


def page_response(source: PreviewSource, page: int):
    """The PNG of one page; raises PreviewFailed, or IndexError for a page not there."""
    core = access.core()
    if not 1 <= page <= page_count(core, source):
        raise IndexError(page)
    path = page_image(core, source, page)
    # The original never changes (it is named by its hash): the page image may be cached.
    response = send_file(path, mimetype="image/png", etag=f"{source.sha256}-{page}", max_age=0)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
