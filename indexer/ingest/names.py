"""File names as the sender wrote them, whatever bytes they arrived in.

Thai Windows writes names in cp874. A ZIP from it unpacked with Linux `unzip`, or copied
from an old share, leaves names on disk that are not UTF-8; Python then hands them over
with surrogate escapes, which no database can store. Such names are decoded here.
"""

from __future__ import annotations

import os


def decode_name_bytes(raw: bytes) -> str | None:
    """The name in UTF-8, else in cp874 (Thai Windows), else None."""
    for encoding in ("utf-8", "cp874"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def readable_name(name: str) -> str:
    """A path or name from the file system, with each part that is not UTF-8 decoded from
    cp874, else from UTF-8 with replacement characters. Parts are decoded one by one: a
    cp874 folder may sit in a UTF-8 one."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.sep.join(_readable_part(part) for part in name.split(os.sep))


def _readable_part(part: str) -> str:
    raw = os.fsencode(part)
    return decode_name_bytes(raw) or raw.decode("utf-8", "replace")
