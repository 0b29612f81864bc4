"""What the ``postgres`` search backend stores for a document, made by the same analyzer as
the Whoosh backend (:mod:`indexer.search.analysis`, :mod:`indexer.search.schema`).

* the words of each word field (title, metadata, text) as nlpo3 cut them with the versioned
  dictionary, counted: a ``tsvector`` literal (weights A, B, C by field; PostgreSQL's own
  parser and configurations never see the text) and one postings row a word;
* the TCC-encoded text of :func:`indexer.search.analysis.encode_units` with its markers
  moved from the Private Use Area, which ``pg_trgm`` ignores (measured: no trigram at all),
  to the Yi Syllables block (U+A000-U+A201), which it indexes as letters. Raw Thai will not
  do: ``pg_trgm`` drops tone marks and vowels as non-letters, so ข้าว and ข่าว would be one
  string; encoded, every Thai character is a letter of its own;
* which words' encodings are not in that text (:func:`unaligned`): every other word's
  postings prove, without reading text, that a document holds it as a substring;
* the same encoded text cut into overlapping pieces (:func:`schemas.search_index.unit_pieces`),
  where ``pg_trgm`` finds and ``LIKE`` confirms substrings without reading the whole text;
* the encoded text's aligned one- and two-character grams (chunks too short for trigrams);
* the facet and stored fields, as the Whoosh backend indexes them.

Pure Python: the SQL is :mod:`indexer.search.pg_store`'s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from schemas.pieces import text_pieces
from schemas.search_index import PIECE_OVERLAP, unit_pieces

from .analysis import encode_units, short_grams, word_texts
from .normalize import normalize
from .schema import facet_value, sidecar_text, to_fields

# BM25F (Whoosh's defaults), as :mod:`indexer.search.weighting`
K1, B = 1.2, 0.75
FIELDS = ("title", "meta", "text")
TS_WEIGHT = {"title": "A", "meta": "B", "text": "C"}
MAX_LEXEME_BYTES = 2046  # PostgreSQL's limit; longer runs are found as substrings only

_PUA, _PUA_END = 0xE000, 0xE201  # the encoding's markers (analysis: four Thai copies, runs)
_TRGM_BASE = 0xA000  # Yi Syllables: letters to pg_trgm, not found in Thai archives
# Yi in a document's own runs would be read as markers: folded to U+FFFD (both sides alike)
_TO_TRGM = str.maketrans(
    {chr(_TRGM_BASE + k): "\ufffd" for k in range(_PUA_END - _PUA + 1)}
    | {chr(_PUA + k): chr(_TRGM_BASE + k) for k in range(_PUA_END - _PUA + 1)}
)


# the longest chunk sure to lie whole in one piece (longer: found by this much of it)
PIECE_CHUNK = PIECE_OVERLAP + 1


def like(encoded: str) -> str:
    """A ``LIKE`` pattern finding an encoded chunk anywhere."""
    return "%" + encoded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def trgm_form(encoded: str) -> str:
    """Encoded text (:func:`encode_units`) as stored in ``units`` for ``pg_trgm``."""
    return encoded.translate(_TO_TRGM)


def encode_chunk(norm: str) -> str:
    """A query chunk's normalised text in the stored encoding."""
    return trgm_form(encode_units(norm))


def clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL."""
    return text.replace("\x00", "") if "\x00" in text else text


def _count(norm: str, dictionary: str) -> Counter:
    counts: Counter = Counter()
    for piece in text_pieces(norm):  # a list of every word of a long text cost GBs
        counts.update(word_texts(piece, dictionary))
    return counts


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass
class DocumentRows:
    doc_id: int
    row: dict  # khlang_search.documents' columns (but gen)
    counts: dict[str, Counter]  # field -> word -> frequency
    pieces: list[str]  # khlang_search.pieces' units, in order
    unaligned: set[str]  # words whose encoding is not in ``units`` (:func:`unaligned`)

    def postings(self, avg: dict[str, float], boosts: dict[str, float]) -> list[tuple]:
        """(term, tf_title, tf_meta, tf_text, impact, unaligned): impact is the word's BM25F
        share without idf at the averages given, to order a word's best documents first."""
        lengths = {f: self.row[f"len_{f}"] for f in FIELDS}
        terms = set().union(*self.counts.values())
        out = []
        for term in terms:
            tfs = [self.counts[f].get(term, 0) for f in FIELDS]
            impact = sum(
                boosts[f] * bm25_tf(tf, lengths[f], avg[f])
                for f, tf in zip(FIELDS, tfs, strict=True)
                if tf
            )
            out.append((term, *tfs, impact, term in self.unaligned))
        return out


def unaligned(words, units: str) -> set[str]:
    """Those of ``words`` whose encoding (:func:`encode_chunk`) is not in ``units``: cut by
    the segmenter off a syllable unit's boundary (เหวียน as เห|วี|ยน; 13 of 152,991 words
    of 600 documents). Any other word's posting proves that the document holds the word
    as a never-miss substring, without reading its text."""
    return {w for w in words if encode_chunk(w) not in units}


def bm25_tf(tf: float, length: float, avg: float) -> float:
    """BM25's term-frequency part (Whoosh's ``bm25`` without idf)."""
    norm = (1 - B) + B * (length / avg if avg else 1.0)
    return tf * (K1 + 1) / (tf + K1 * norm)


def tsvector_literal(counts: dict[str, Counter]) -> str:
    """One lexeme a word, one weighted position per field it is in (frequencies are kept
    in the postings, not as positions: a tsvector keeps 256 at most)."""
    marks: dict[str, list[str]] = {}
    for pos, f in enumerate(FIELDS, start=1):
        for word in counts[f]:
            if len(word.encode("utf-8")) <= MAX_LEXEME_BYTES:
                marks.setdefault(word, []).append(f"{pos}{TS_WEIGHT[f]}")
    return " ".join(f"{_lexeme(w)}:{','.join(m)}" for w, m in marks.items())


def document_rows(doc: dict, dictionary: str) -> DocumentRows:
    """The rows of one document dict (as the Whoosh backend takes it)."""
    text = normalize(doc.get("text") or "")
    fields = to_fields(doc, text)
    counts = {
        "title": _count(normalize(fields["title"]), dictionary),
        "meta": _count(normalize(fields["meta"]), dictionary),
        "text": _count(text, dictionary),
    }
    encoded = sidecar_text(doc, text)

    def multi(key: str) -> list[str]:
        return [clean(facet_value(v)) for v in (doc.get(key) or []) if str(v).strip()]

    row = {
        "doc_id": int(doc["id"]),
        **{
            k: clean(fields[k])
            for k in (
                "title",
                "filename",
                "kind",
                "category",
                "fiscal_year",
                "date",
                "received",
                "publication",
                "sender",
                "urgency",
                "has_deadline",
            )
        },
        "province": multi("provinces"),
        "project": multi("projects"),
        "agency": multi("agencies"),
        "body": clean(doc.get("text") or ""),
        **{f"len_{f}": sum(counts[f].values()) for f in FIELDS},
        "words": tsvector_literal(counts),
        "units": trgm_form(encoded),
        "grams": [trgm_form(g) for g in short_grams(encoded)],
    }
    words = set().union(*counts.values())
    return DocumentRows(
        int(doc["id"]), row, counts, unit_pieces(row["units"]), unaligned(words, row["units"])
    )
