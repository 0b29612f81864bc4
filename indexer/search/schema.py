"""How a document becomes the fields of the search index (the schema itself, its fields
and version, is :mod:`schemas.search_index`), and the version string an index records."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from typing import Any

from whoosh import fields

from indexer.thai.digits import to_arabic_digits
from schemas import search_index
from schemas.search_index import SCHEMA_VERSION, SEP

from .analysis import ANALYZER_VERSION, ThaiWordTokenizer, encode_units, normalize
from .dictionary import DEFAULT_DICTIONARY
from .dictionary import load as load_dictionary

# Indexes made before the schema moved to schemas/ pickled the word fields' format as
# indexer.search.schema.WordFrequencies: it must still be found here to open them.
WordFrequencies = search_index.WordFrequencies


def schema_version(dictionary: str = DEFAULT_DICTIONARY) -> str:
    """analyzer + dictionary + schema versions; stored in the index, compared on open."""
    info = load_dictionary(dictionary)
    return f"analyzer={ANALYZER_VERSION};dict={info.name}-{info.version};schema={SCHEMA_VERSION}"


def build_schema(dictionary: str = DEFAULT_DICTIONARY) -> fields.Schema:
    return search_index.build_schema(ThaiWordTokenizer(dictionary))


def facet_value(value: Any) -> str:
    """How a facet/filter value is indexed and compared: NFC, trimmed, Arabic digits."""
    text = unicodedata.normalize("NFC", str(value)).strip()
    return re.sub(r"\s+", " ", to_arabic_digits(text))


def _date_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _yes_no(value: Any) -> str:
    if value is None or value == "":
        return ""
    return "yes" if value else "no"


def sidecar_text(doc: dict, normalized_text: str | None = None) -> str:
    """What the substring sidecar indexes for a document: title, metadata and text,
    normalised and encoded (see :func:`indexer.search.analysis.encode_units`). Units never
    span a line break, so the text, normalised once for both the word field and this, is
    encoded on its own."""
    head = encode_units(sidecar_head(doc))
    text = normalized_text if normalized_text is not None else normalize(doc.get("text") or "")
    return head + encode_units(text)


def sidecar_head(doc: dict) -> str:
    """The normalised title and metadata that come first in :func:`sidecar_text`."""
    parts = [
        doc.get("title") or "",
        doc.get("metadata_text") or "",
        doc.get("filename") or "",
        doc.get("letter_number") or "",
    ]
    return normalize("\n".join(p for p in parts if p))


def compress(text: str) -> bytes:
    # level 1: a third of level 6's time, for a body read back only for snippets
    return zlib.compress(text.encode("utf-8"), 1)


def decompress(blob: bytes | None) -> str:
    return zlib.decompress(blob).decode("utf-8") if blob else ""


def index_forms(doc: dict) -> tuple[dict[str, Any], str]:
    """The Whoosh field values and the sidecar text of a document, its text normalised
    once for both."""
    text = normalize(doc.get("text") or "")
    return to_fields(doc, text), sidecar_text(doc, text)


def to_fields(doc: dict, normalized_text: str | None = None) -> dict[str, Any]:
    """The document dict the caller gives -> Whoosh field values."""
    title = doc.get("title") or ""
    text = doc.get("text") or ""
    meta_parts = [
        doc.get("metadata_text") or "",
        doc.get("filename") or "",
        doc.get("letter_number") or "",
    ]
    meta = "\n".join(p for p in meta_parts if p)
    fy = doc.get("fiscal_year")

    def multi(key: str) -> str:
        return SEP.join(facet_value(v) for v in (doc.get(key) or []) if str(v).strip())

    return {
        "id": str(int(doc["id"])),
        "title": title,
        "meta": meta,
        # the word field analyses the normalised text (NormalizedText: not normalised again)
        "text": normalized_text if normalized_text is not None else normalize(text),
        "filename": doc.get("filename") or "",
        "kind": facet_value(doc.get("kind") or ""),
        "category": facet_value(doc.get("category") or ""),
        "fiscal_year": str(int(fy)) if fy not in (None, "") else "",
        "date": _date_str(doc.get("date")),
        "received": _date_str(doc.get("received")),
        "publication": facet_value(doc.get("publication") or "").lower(),
        "province": multi("provinces"),
        "project": multi("projects"),
        "agency": multi("agencies"),
        "sender": facet_value(doc.get("sender") or ""),
        "urgency": facet_value(doc.get("urgency") or ""),
        "has_deadline": _yes_no(doc.get("has_deadline")),
        "body": compress(text),
    }
