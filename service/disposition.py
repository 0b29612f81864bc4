"""Content-Disposition for downloads of stored files, whatever their names hold.

A stored name is what a provider's computer called the file: Thai, quotes, semicolons,
names of 200 characters, even a CR or LF (legal in a Linux file name). Werkzeug refuses a
header with a line break in it (the download answered 500), and a quote or semicolon in a
plain ``filename="..."`` would end the value early. So the header is built here: control
characters become "_", the exact name goes in RFC 5987/6266's ``filename*`` (UTF-8,
percent-encoded, nothing left to quote), and ``filename`` is a plain ASCII stand-in for
clients that ignore ``filename*``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What a quoted ASCII filename keeps as it is; anything else becomes "_".
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()+,@~-]")
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}$")
# Long enough for any real name; a header of kilobytes is refused by some proxies.
MAX_NAME_CHARS = 150


def clean_name(name: str) -> str:
    """The name as offered: no control characters, NFC, at most MAX_NAME_CHARS characters
    (the suffix kept, so that the file still opens with the right program)."""
    name = _CONTROL.sub("_", unicodedata.normalize("NFC", name)).strip()
    if len(name) > MAX_NAME_CHARS:
        suffix = _SUFFIX.search(name)
        tail = suffix.group(0) if suffix else ""
        name = name[: MAX_NAME_CHARS - len(tail)] + tail
    return name


def attachment(name: str, stand_in: str) -> str:
    """The header's value for downloading ``name``; ``stand_in`` (e.g. "document-12") names
    the file for clients that read only the ASCII ``filename`` when the name is not ASCII."""
    name = clean_name(name) or stand_in
    if name.isascii():
        plain = _UNSAFE_ASCII.sub("_", name)
    else:
        suffix = _SUFFIX.search(name)
        plain = stand_in + (suffix.group(0) if suffix else "")
    exact = quote(name, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}"


def file_response(data: bytes, mimetype: str, name: str, fallback: str):
    """Bytes made for the asker (an export) as a download named ``name``."""
    from flask import Response

    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = attachment(name, fallback)
    return response
