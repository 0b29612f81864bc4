"""Text and technical metadata out of archived files, with Thai repair.

    extract(path, mime) -> Extraction      (raises UnsoundFile for broken files)

`mime` comes from libmagic (python-magic); dispatch is on it, not on the file name.
Every text goes through indexer.thai.repair.repair_thai.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .model import Extraction, UnsoundFile

__all__ = ["Extraction", "UnsoundFile", "extract", "ocr_pages"]

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_ODF = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
_LEGACY_OFFICE = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-office",
    "application/cdfv2",  # lower case: _resolve_mime lowers what libmagic says
    "application/x-ole-storage",
}
_SVG = "image/svg+xml"
_LEGACY_SUFFIXES = {".doc", ".xls", ".ppt"}
_OOXML_SUFFIXES = {".docx": _DOCX, ".xlsx": _XLSX, ".pptx": _PPTX}


def _resolve_mime(mime: str, path: Path, filename: str | None) -> str:
    """libmagic sometimes names an OOXML file only as a zip or 'Microsoft OOXML';
    then (and only then) the file name's suffix chooses among the OOXML kinds."""
    mime = (mime or "").split(";")[0].strip().lower()
    suffix = Path(filename or path.name).suffix.lower()
    generic = {"application/zip", "application/octet-stream", "application/vnd.openxmlformats"}
    if mime in generic and suffix in _OOXML_SUFFIXES:
        return _OOXML_SUFFIXES[suffix]
    # libmagic names an SVG without an XML declaration or namespace as XML or plain text
    if mime in {"text/xml", "application/xml", "text/plain"} and suffix == ".svg":
        return _SVG
    return mime


def _handler(mime: str, filename: str | None = None) -> Callable[..., Extraction] | None:
    from . import legacy_office, media, office, pdf, svg, text

    if mime in {"application/pdf", "application/x-pdf"}:
        return lambda p, ocr: pdf.extract_pdf(p, ocr_enabled=ocr)
    if mime == _DOCX:
        return lambda p, ocr: office.extract_docx(p)
    if mime == _XLSX:
        return lambda p, ocr: office.extract_xlsx(p)
    if mime == _PPTX:
        return lambda p, ocr: office.extract_pptx(p)
    if mime in _ODF:
        return lambda p, ocr: office.extract_odf(p)
    if mime in _LEGACY_OFFICE:
        return lambda p, ocr: legacy_office.extract_legacy_office(
            p, mime, ocr_enabled=ocr, filename=filename
        )
    if mime in {"text/rtf", "application/rtf"}:
        return lambda p, ocr: text.extract_rtf(p)
    if mime in {"text/html", "application/xhtml+xml"}:
        return lambda p, ocr: text.extract_html(p)
    if mime.startswith("text/") or mime in {"application/csv", "application/json"}:
        return lambda p, ocr: text.extract_plain(p, mime)
    if mime == _SVG:  # a drawing, not pixels: its text is XML, never rasterised
        return lambda p, ocr: svg.extract_svg(p)
    if mime.startswith("image/"):
        return lambda p, ocr: media.extract_image(p, ocr_enabled=ocr)
    if mime.startswith(("audio/", "video/")) or mime in media.EXTRA_MEDIA_MIMES:
        return lambda p, ocr: media.extract_media(p, mime)
    return None


def extract(path: Path, mime: str, *, filename: str | None = None, ocr: bool = True) -> Extraction:
    """Extract repaired text and technical metadata from the file at `path`.

    Raises UnsoundFile when the bytes are not a sound file of their type."""
    path = Path(path)
    resolved = _resolve_mime(mime, path, filename)
    handler = _handler(resolved, filename)
    if handler is None and Path(filename or path.name).suffix.lower() in _LEGACY_SUFFIXES:
        # Some compound file libmagic does not name: which kind it is, the name tells.
        handler = _handler("application/x-ole-storage", filename)
    if handler is None:
        return Extraction.without_text(
            f"ไม่รองรับการอ่านข้อความจากไฟล์ชนิดนี้ (no text extractor for {resolved})",
            metadata={"mime": resolved},
        )
    result = handler(path, ocr)
    result.metadata.setdefault("mime", resolved)
    return result
