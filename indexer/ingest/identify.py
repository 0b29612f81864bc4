"""Identify a file by its content (libmagic through python-magic), never by its name alone.

Categories follow the provincial web-publishing guideline (seed 001): text documents, images,
audio and video, plus spreadsheets, presentations, archives and other. When the name's
extension says something else than the content, the content wins and a warning is recorded.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

import magic

# libmagic reports Office Open XML and ODF by their own MIME types; older libmagic versions
# say "application/zip" for some of them, which the extension then disambiguates.
CATEGORY_BY_MIME = {
    "application/pdf": "text",
    "application/msword": "text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "text",
    "application/vnd.oasis.opendocument.text": "text",
    "application/rtf": "text",
    "text/rtf": "text",
    "application/vnd.ms-excel": "spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet": "spreadsheet",
    "text/csv": "spreadsheet",
    "application/vnd.ms-powerpoint": "presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "presentation",
    "application/vnd.oasis.opendocument.presentation": "presentation",
    "application/zip": "archive",
    "application/x-zip-compressed": "archive",
    "application/x-rar": "archive",
    "application/vnd.rar": "archive",
    "application/x-7z-compressed": "archive",
    "application/gzip": "archive",
    "application/x-tar": "archive",
}

_OOXML_BY_EXTENSION = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_CFB_BY_EXTENSION = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
# Extensions whose MIME the content may legitimately refine (text/plain for .csv, ...).
_COMPATIBLE = {
    ".csv": {"text/plain", "text/csv", "application/csv"},
    ".txt": {"text/plain"},
    ".htm": {"text/html"},
    ".html": {"text/html"},
}


@dataclass(frozen=True)
class Identification:
    mime: str
    category: str
    description: str
    extension_mime: str | None
    warning: str | None  # set when the name's extension disagrees with the content


def category_of(mime: str) -> str:
    if mime in CATEGORY_BY_MIME:
        return CATEGORY_BY_MIME[mime]
    major = mime.split("/", 1)[0]
    if major in ("image", "audio", "video"):
        return major
    if major == "text":
        return "text"
    return "other"


def _refine(mime: str, extension: str) -> str:
    """Resolve container formats libmagic cannot tell apart without unpacking."""
    if mime in ("application/zip", "application/octet-stream") and extension in _OOXML_BY_EXTENSION:
        return _OOXML_BY_EXTENSION[extension]
    if (
        mime in ("application/x-ole-storage", "application/CDFV2")
        and extension in _CFB_BY_EXTENSION
    ):
        return _CFB_BY_EXTENSION[extension]
    if mime == "text/plain" and extension == ".csv":
        return "text/csv"
    return mime


# Names of one format under two MIME types (after the x- prefix is dropped): Python's
# mimetypes says application/rtf for .rtf where libmagic says text/rtf.
_MIME_ALIASES = {
    "text/rtf": "application/rtf",
    "application/zip-compressed": "application/zip",
    "application/csv": "text/csv",
}


def _plain(mime: str) -> str:
    """audio/x-wav and audio/wav name the same thing: compare without the x- prefix, and
    with aliases of one format folded together."""
    major, _, minor = mime.partition("/")
    plain = f"{major}/{minor.removeprefix('x-')}"
    return _MIME_ALIASES.get(plain, plain)


def _same_text_dialect(mime: str, guessed: str) -> bool:
    """libmagic calls Markdown, JSON, YAML and the like "text/plain": no disagreement."""
    return mime == "text/plain" and (
        guessed.startswith("text/") or guessed.endswith(("json", "xml", "yaml"))
    )


def _describer(soft: bool) -> magic.Magic:
    describer = magic.Magic()
    if not soft:
        describer.flags |= magic.MAGIC_NO_CHECK_SOFT
        magic.magic_setflags(describer.cookie, describer.flags)
    return describer


_MIME = magic.Magic(mime=True)
_DESCRIBE = _describer(soft=True)
# libmagic's "soft" (magic-file) tests are what take its time on text (~1.2 ms for 10 KB of
# Thai); when they found nothing more than text/plain, the description they would give is
# the text-encoding one that the built-in tests give alone (the same on the corpus texts).
_DESCRIBE_PLAIN_TEXT = _describer(soft=False)


def content_mime(path: Path, name: str | None = None) -> str:
    """The MIME type of the file at ``path`` by its content (one libmagic call), refined
    by its name's extension only where libmagic cannot tell containers apart."""
    return _refine(_MIME.from_file(str(path)), Path(name or path.name).suffix.lower())


def identify(path: Path, name: str | None = None) -> Identification:
    """Identify the file at ``path``; ``name`` is its original name (for the extension)."""
    name = name or path.name
    extension = Path(name).suffix.lower()
    detected = _MIME.from_file(str(path))
    mime = _refine(detected, extension)
    describer = _DESCRIBE_PLAIN_TEXT if detected == "text/plain" else _DESCRIBE
    description = describer.from_file(str(path))
    guessed = mimetypes.guess_type(name)[0]
    if extension == ".csv":
        guessed = "text/csv"
    warning = None
    # No guess (no extension, or one mimetypes does not know: .log, .ini, .nfo) is no
    # disagreement: the content alone decides.
    disagrees = (
        guessed is not None
        and _plain(guessed) != _plain(mime)
        and not _same_text_dialect(mime, guessed)
        and mime not in _COMPATIBLE.get(extension, ())
    )
    if disagrees:
        warning = (
            f"นามสกุลไฟล์ {extension} ไม่ตรงกับเนื้อหาจริง ({mime}); ใช้ชนิดตามเนื้อหา "
            f"(extension {extension} suggests {guessed}, content is {mime})"
        )
    return Identification(mime, category_of(mime), description, guessed, warning)


def libmagic_version() -> str:
    try:
        return f"libmagic {magic.version() / 100:.2f}"
    except Exception:  # older python-magic without version(): the tool name still counts
        return "libmagic"
