"""The query language and its translation to Whoosh queries.

Free text in Thai, English or both; ``"quoted phrases"`` (also “…”) that must occur as
written; ``+word`` (or ``+"phrase"``) for a word that must occur; ``-word`` or
``-"phrase"`` to exclude; ``-จังหวัด:ลำปาง`` (any filter with a leading ``-``) to exclude the
documents with that value; field filters with Thai or English names, values with Thai or
Arabic digits: ``ปีงบประมาณ:๒๕๖๒`` = ``fiscal_year:2562``, ``ประเภท:``/``kind:``,
``หมวด:``/``category:``, ``จังหวัด:``/``province:``, ``โครงการ:``/``project:``,
``หน่วยงาน:``/``agency:``, ``ผู้ส่ง:``/``sender:`` (a letter's issuing office),
``ความเร่งด่วน:``/``urgency:`` (ด่วนที่สุด, ด่วนมาก, ด่วน), ``มีกำหนดส่ง:``/``has_deadline:``
(ใช่/ไม่, yes/no, true/false). Values with spaces are quoted: ``โครงการ:"..."``. A
project or agency value that is not a full name matches every name containing it
(``โครงการ:ท่องเที่ยว``).

The query is repaired like ingested text first (:data:`indexer.thai.repair.STEPS`: เเ -> แ,
decomposed sara am, PUA glyphs, mark order), so a query typed or pasted with the same damage
finds the repaired documents.

Each whitespace-separated chunk (or quoted phrase) becomes one clause that matches when the
chunk occurs in the document: as a word or word phrase (title, metadata, text; Whoosh) OR as
a unit-aligned substring (the SQLite sidecar, :mod:`indexer.search.sidecar`), found even
where the segmenter cut the document differently. Such a clause is the "phrase" tier of the
default search, whose other tiers are made of the chunks' content words
(:mod:`indexer.search.tiers`); with ``match="all"`` the clauses are the whole query.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from whoosh import query as Q
from whoosh.query.compound import DefaultOr

from indexer.thai.repair import repair_thai
from schemas.search_index import WORD_FIELDS

from .analysis import encode_units, normalize, word_texts
from .dictionary import DEFAULT_DICTIONARY
from .schema import facet_value

FIELD_ALIASES = {
    "ปีงบประมาณ": "fiscal_year",
    "ปีงบ": "fiscal_year",
    "fiscal_year": "fiscal_year",
    "fy": "fiscal_year",
    "year": "fiscal_year",
    "ประเภท": "kind",
    "kind": "kind",
    "หมวด": "category",
    "หมวดหมู่": "category",
    "category": "category",
    "จังหวัด": "province",
    "province": "province",
    "โครงการ": "project",
    "project": "project",
    "หน่วยงาน": "agency",
    "agency": "agency",
    "ผู้ส่ง": "sender",
    "sender": "sender",
    "ความเร่งด่วน": "urgency",
    "urgency": "urgency",
    "มีกำหนดส่ง": "has_deadline",
    "has_deadline": "has_deadline",
}
# Filters whose values are long official names: a part of a name selects every name with it.
PARTIAL_FIELDS = ("project", "agency")
FILTER_FIELDS = (
    "fiscal_year",
    "kind",
    "category",
    "province",
    "project",
    "agency",
    "sender",
    "urgency",
    "has_deadline",
)
_YES = {"ใช่", "มี", "yes", "y", "true", "1"}
_NO = {"ไม่", "ไม่ใช่", "ไม่มี", "no", "n", "false", "0"}

WORD_BOOST = 4.0  # boost of whole-word / word-phrase matches (field boosts on top)

_QUOTES = '"“”'
_TOKEN_RE = re.compile(
    rf"(?P<neg>-)?(?P<plus>\+)?(?:(?P<field>[^\s:{_QUOTES}]+):)?"
    rf"(?:[{_QUOTES}](?P<phrase>[^{_QUOTES}]*)[{_QUOTES}]?|(?P<word>[^\s{_QUOTES}]+))"
)


@dataclass
class ParsedQuery:
    text: str
    terms: list[str] = field(default_factory=list)  # unquoted chunks
    phrases: list[str] = field(default_factory=list)  # quoted phrases
    excluded: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)  # +word: must occur, as written
    filters: dict[str, list[str]] = field(default_factory=dict)
    excluded_filters: dict[str, list[str]] = field(default_factory=dict)  # -field:value

    @property
    def positive(self) -> list[str]:
        return self.terms + self.phrases + self.required

    def to_dict(self) -> dict:
        return asdict(self)


def filter_value(fieldname: str, value: str) -> str:
    v = facet_value(value)
    if fieldname == "fiscal_year":
        v = re.sub(r"^(?:ปีงบประมาณ|ปีงบ|พ\.?ศ\.?|fy)\s*", "", v, flags=re.I)
        if v.isdigit() and 1900 < int(v) < 2400:  # a C.E. year: the index keeps B.E.
            v = str(int(v) + 543)
    if fieldname == "province":
        v = re.sub(r"^(?:จังหวัด|จ\.)\s*", "", v)
    if fieldname == "has_deadline":
        low = v.lower()
        v = "yes" if low in _YES else "no" if low in _NO else v
    return v


def repair_query(text: str) -> str:
    """The character-level repairs ingestion applies to every text (not the layout ones:
    a query's spaces are the user's)."""
    return repair_thai(text).text


def parse(text: str) -> ParsedQuery:
    pq = ParsedQuery(text=text)
    for m in _TOKEN_RE.finditer(repair_query(text or "")):
        neg = bool(m.group("neg"))
        fname = m.group("field")
        value = m.group("phrase") if m.group("phrase") is not None else m.group("word")
        quoted = m.group("phrase") is not None
        if fname is not None:
            key = FIELD_ALIASES.get(fname.lower())
            if key is None:  # not a filter (e.g. 09:00): the whole thing is text
                value = f"{fname}:{value}"
            elif value and value.strip():
                target = pq.excluded_filters if neg else pq.filters
                target.setdefault(key, []).append(filter_value(key, value))
                continue
            else:
                continue
        if not value or not value.strip() or value == "-":
            continue
        if neg:
            pq.excluded.append(value)
        elif m.group("plus"):
            pq.required.append(value)
        elif quoted:
            pq.phrases.append(value)
        else:
            pq.terms.append(value)
    return pq


@dataclass
class Clause:
    """One query chunk: its word query (Whoosh) and its encoded form (sidecar substring)."""

    text: str
    words: Q.Query
    encoded: str


def chunk_clause(
    chunk: str, dictionary: str = DEFAULT_DICTIONARY, weight: float = 1.0
) -> Clause | None:
    """The chunk as word(s)/a word phrase in any word field, and as a unit-aligned
    substring; None when the chunk has nothing searchable (punctuation only). ``weight``
    scales its share of a document's score."""
    norm = normalize(chunk)
    words = word_texts(norm, dictionary)
    encoded = encode_units(norm)
    if not words or not encoded:
        return None
    subs: list[Q.Query] = []
    for fname, boost in WORD_FIELDS.items():
        b = boost * WORD_BOOST * weight
        if len(words) == 1:
            subs.append(Q.Term(fname, words[0], boost=b))
        else:
            # Not a Whoosh Phrase: this query only ranks documents that the sidecar found
            # containing the chunk contiguously; all of its words present = a word-level
            # match. Whoosh's position checks were most of the time of multi-word chunks.
            subs.append(Q.And([Q.Term(fname, w) for w in words], boost=b))
    # the binary tree of unions, whatever the index size: it can skip low-scoring blocks
    return Clause(chunk, DefaultOr(subs), encoded)


def filter_query(
    filters: dict[str, list[str]] | None, published_only: bool = False
) -> Q.Query | None:
    parts: list[Q.Query] = []
    for fname, values in (filters or {}).items():
        if not values:
            continue
        parts.append(Q.Or([Q.Term(fname, v) for v in values]))
    if published_only:
        # Visitors see published documents only (approved ones await the publisher).
        parts.append(Q.Term("publication", "published"))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.And(parts)


def normalize_filters(filters: dict | None) -> dict[str, list[str]]:
    """The ``filters=`` argument of search(): keys Thai or English, values str/int or lists."""
    out: dict[str, list[str]] = {}
    for key, value in (filters or {}).items():
        fname = FIELD_ALIASES.get(str(key).lower(), str(key))
        if fname not in FILTER_FIELDS:
            raise ValueError(f"unknown filter field {key!r}")
        values = value if isinstance(value, list | tuple | set) else [value]
        for v in values:
            if v is None or str(v).strip() == "":
                continue
            out.setdefault(fname, []).append(filter_value(fname, str(v)))
    return out
