"""The search index's schema: its fields, their kinds and boosts, and its version.

The Whoosh index holds, per document, three word fields searched for free text (title,
metadata, text), facet and filter fields, and stored fields for showing hits. How a
document's values become these fields (normalising, segmenting, the substring sidecar) is
the indexer's part (:mod:`indexer.search.schema`); the word fields' analyzer is passed in,
so that this layer depends on nothing of the indexer.
"""

from __future__ import annotations

from collections import Counter

from whoosh import fields, formats
from whoosh.analysis import RegexTokenizer
from whoosh.system import pack_uint

from schemas.pieces import text_pieces

# 3: word fields without positions; 4: ``received`` stored, ``date`` only the document's
# own date (undated documents sort last), ``agency`` only the inventory items' host agencies
SCHEMA_VERSION = "4"

# Word fields searched for free text, with their boosts.
WORD_FIELDS = {"title": 3.0, "meta": 1.5, "text": 1.0}
# Facet fields (multi-valued ones are separated by SEP in the indexed value).
FACET_FIELDS = (
    "fiscal_year",
    "province",
    "project",
    "agency",
    "category",
    "kind",
    "sender",
    "urgency",
    "has_deadline",
)
MULTI_FIELDS = ("province", "project", "agency")
SEP = "\x1f"


class WordFrequencies(formats.Frequency):
    """Whoosh's Frequency format, fed from the tokenizer's token texts directly: no Token
    object per word (the per-token generator was a third of indexing time). Same bytes.

    No positions: phrases are matched by the sidecar (a unit-aligned substring), and Whoosh
    only ranks word matches. Positions were a pickled list per posting, written for every
    word of every document and unpickled with every postings block a search read."""

    def word_values(self, value, analyzer, **kwargs):
        texts = getattr(analyzer, "texts", None)
        if texts is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        counts: Counter = Counter()
        for piece in text_pieces(value):  # a list of every word of a long text cost GBs
            # a piece of normalised text is normalised text: keep its type (NormalizedText)
            counts.update(texts(piece if piece is value else type(value)(piece)))
        for w, n in counts.items():
            yield w, n, n * fb, pack_uint(n)


def _word_field(words, stored: bool = False) -> fields.TEXT:
    field = fields.TEXT(analyzer=words, phrase=False, stored=stored)
    field.format = WordFrequencies(field_boost=field.format.field_boost)
    return field


def build_schema(words) -> fields.Schema:
    """The schema, with ``words`` (a Whoosh tokenizer) as the word fields' analyzer."""
    multi = RegexTokenizer(r"[^\x1f]+")
    # Substring (syllable-unit) matching lives in the SQLite sidecar, not here.
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=_word_field(words, stored=True),
        meta=_word_field(words),
        text=_word_field(words),
        filename=fields.STORED(),
        kind=fields.ID(stored=True),
        category=fields.ID(stored=True),
        fiscal_year=fields.ID(stored=True),
        date=fields.ID(stored=True, sortable=True),
        received=fields.STORED(),
        publication=fields.ID(stored=True),
        province=fields.TEXT(analyzer=multi, phrase=False),
        project=fields.TEXT(analyzer=multi, phrase=False),
        agency=fields.TEXT(analyzer=multi, phrase=False),
        sender=fields.ID,
        urgency=fields.ID,
        has_deadline=fields.ID,  # "yes" / "no"; empty when unknown
        body=fields.STORED(),  # zlib-compressed UTF-8 text, for snippets and similar_to_document
    )


# The postgres search backend's substring pieces (migration 0011): a document's encoded
# text cut every PIECE_STEP characters into pieces PIECE_STEP + PIECE_OVERLAP long, so
# that every substring of up to PIECE_OVERLAP + 1 characters lies whole in one piece.
PIECE_STEP = 600
PIECE_OVERLAP = 150


def unit_pieces(units: str) -> list[str]:
    """The pieces of one document's encoded text (as migration 0011 cuts them in SQL)."""
    return [units[i : i + PIECE_STEP + PIECE_OVERLAP] for i in range(0, len(units), PIECE_STEP)]
