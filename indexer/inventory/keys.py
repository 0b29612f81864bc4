"""Names and codes of inventory items: tolerant normalisation of Thai names, the natural
key that identifies a row across re-imports, and the short code 'INV-2562-K7M2QX'.

Every row becomes an ``InventoryItem`` identified by its natural key (fiscal year +
project + activity + deliverable + province, normalised: spaces, Thai/Arabic digits and the
prefixes โครงการ/กิจกรรม do not matter), so re-importing an updated list updates rows and
never duplicates them, and the same deliverable of a cluster project in น่าน and in แพร่ is
two items. The host agency is not part of the key: it is who delivers, and a corrected or
reassigned agency updates the item rather than making a new one. Every item gets a short
code derived from its key when it is created, which is the same on every installation and
stays with the item on every re-import (items created before the province was part of the
key keep theirs), and which ``khlang ingest --item CODE`` accepts in any case and digits.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from indexer.thai.digits import to_arabic_digits
from schemas.models import InventoryItem

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[\"'“”‘’«»()\[\]{}<>,;:!?|*_~`^]+")
NAME_PREFIXES = ("โครงการ", "กิจกรรมที่", "กิจกรรม", "ผลผลิต", "ผลลัพธ์")


def normalise_text(text: str | None) -> str:
    """Text for tolerant matching: NFC, decomposed sara am joined, Thai digits made
    Arabic, zero-width characters, punctuation and all spaces removed, lower case."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = text.replace("\u0e4d\u0e32", "\u0e33")  # ํา -> ำ (PDF extraction splits it)
    text = _ZERO_WIDTH.sub("", text)
    text = to_arabic_digits(text).lower()
    text = _PUNCT.sub("", text)
    return _SPACE.sub("", text)


def normalise_name(name: str | None) -> str:
    """A project/activity/deliverable name for comparison: ``normalise_text`` without a
    leading โครงการ / กิจกรรม (staff write the prefix or not)."""
    text = normalise_text(name)
    changed = True
    while changed:
        changed = False
        for prefix in NAME_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix) + 1:
                text = text[len(prefix) :]
                changed = True
    text = text.lstrip(".-–")
    return text


def clean_display(value) -> str:
    """A cell value for display: NFC, trimmed, inner runs of spaces collapsed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _ZERO_WIDTH.sub("", text)
    return _SPACE.sub(" ", text).strip()


def natural_key(
    fiscal_year: int,
    project: str,
    activity: str | None,
    deliverable: str,
    province: str | None = None,
) -> str:
    """The row's identity. Without a province it is the key items had before the province
    was part of it, so those items are found again (see ``_Resolver.item``)."""
    parts = [
        int(fiscal_year),
        normalise_name(project),
        normalise_name(activity),
        normalise_name(deliverable),
    ]
    if province:
        parts.append(normalise_text(province))
    canonical = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def item_code_for(fiscal_year: int, key: str, length: int = 6) -> str:
    """'INV-2562-K7M2QX': fiscal year + Crockford base32 of the natural key's hash, so the
    same row gets the same code on every import and every installation."""
    number = int(key, 16)
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[number & 31])
        number >>= 5
    return f"INV-{fiscal_year}-{''.join(chars)}"


def normalise_code(code: str) -> str:
    """Codes as typed: 'inv-๒๕๖๒-k7m2qx ' -> 'INV-2562-K7M2QX' (O->0, I/L->1 as Crockford)."""
    code = to_arabic_digits(code.strip()).upper()
    m = re.fullmatch(r"INV-(\d{4})-([0-9A-Z]+)", code)
    if not m:
        return code
    tail = m.group(2).translate(str.maketrans("OIL", "011"))
    return f"INV-{m.group(1)}-{tail}"


CODE_RE = re.compile(r"INV-\d{4}-[0-9A-HJKMNP-TV-Z]{6,12}", re.IGNORECASE)


def item_province_id(item: InventoryItem) -> int | None:
    """The province an item belongs to: its own, else its project's."""
    if item.province_id is not None:
        return item.province_id
    if item.project is not None:
        return item.project.province_id
    return None
