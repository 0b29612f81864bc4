"""The Whoosh schema of the Khlang search index, and the version string an index records."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from typing import Any

from whoosh import fields
from whoosh.analysis import RegexTokenizer

from indexer.thai.digits import to_arabic_digits

from .analysis import ANALYZER_VERSION, ThaiSyllableGramTokenizer, ThaiWordTokenizer
from .dictionary import DEFAULT_DICTIONARY
from .dictionary import load as load_dictionary

SCHEMA_VERSION = "1"

# Word fields searched for free text, with their boosts.
WORD_FIELDS = {"title": 3.0, "meta": 1.5, "text": 1.0}
# Facet fields (multi-valued ones are separated by \x1f in the indexed value).
FACET_FIELDS = ("fiscal_year", "province", "project", "agency", "category", "kind")
MULTI_FIELDS = ("province", "project", "agency")
SEP = "\x1f"


def schema_version(dictionary: str = DEFAULT_DICTIONARY) -> str:
    """analyzer + dictionary + schema versions; stored in the index, compared on open."""
    info = load_dictionary(dictionary)
    return f"analyzer={ANALYZER_VERSION};dict={info.name}-{info.version};schema={SCHEMA_VERSION}"


def build_schema(dictionary: str = DEFAULT_DICTIONARY) -> fields.Schema:
    words = ThaiWordTokenizer(dictionary)
    multi = RegexTokenizer(r"[^\x1f]+")
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=fields.TEXT(analyzer=words, phrase=True, stored=True),
        meta=fields.TEXT(analyzer=words, phrase=True),
        text=fields.TEXT(analyzer=words, phrase=True),
        # syllable fields over title + metadata + text: units and unit pairs (frequency
        # only), and unit trigrams with positions for phrases of three units or more
        syl=fields.TEXT(analyzer=ThaiSyllableGramTokenizer(dictionary, n=(1, 2)), phrase=False),
        syl3=fields.TEXT(analyzer=ThaiSyllableGramTokenizer(dictionary, n=(3,)), phrase=True),
        filename=fields.STORED(),
        kind=fields.ID(stored=True),
        category=fields.ID(stored=True),
        fiscal_year=fields.ID(stored=True),
        date=fields.ID(stored=True, sortable=True),
        publication=fields.ID(stored=True),
        province=fields.TEXT(analyzer=multi, phrase=False),
        project=fields.TEXT(analyzer=multi, phrase=False),
        agency=fields.TEXT(analyzer=multi, phrase=False),
        body=fields.STORED(),  # zlib-compressed UTF-8 text, for snippets and similar_to_document
    )


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


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def decompress(blob: bytes | None) -> str:
    return zlib.decompress(blob).decode("utf-8") if blob else ""


def to_fields(doc: dict) -> dict[str, Any]:
    """The document dict the caller gives -> Whoosh field values."""
    title = doc.get("title") or ""
    text = doc.get("text") or ""
    meta_parts = [
        doc.get("metadata_text") or "",
        doc.get("filename") or "",
        doc.get("letter_number") or "",
    ]
    meta = "\n".join(p for p in meta_parts if p)
    syllable_text = f"{title}\n{meta}\n{text}"  # one object for both syllable fields
    fy = doc.get("fiscal_year")

    def multi(key: str) -> str:
        return SEP.join(facet_value(v) for v in (doc.get(key) or []) if str(v).strip())

    return {
        "id": str(int(doc["id"])),
        "title": title,
        "meta": meta,
        "text": text,
        "syl": syllable_text,
        "syl3": syllable_text,
        "filename": doc.get("filename") or "",
        "kind": facet_value(doc.get("kind") or ""),
        "category": facet_value(doc.get("category") or ""),
        "fiscal_year": str(int(fy)) if fy not in (None, "") else "",
        "date": _date_str(doc.get("date")),
        "publication": facet_value(doc.get("publication") or "").lower(),
        "province": multi("provinces"),
        "project": multi("projects"),
        "agency": multi("agencies"),
        "body": compress(text),
    }
