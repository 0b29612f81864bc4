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
* the encoded text's aligned one- and two-character grams (chunks too short for trigrams),
  and its junction keys (:class:`Junctions`: where words meet, so that a substring inside a
  word is proven by postings and only one crossing words is read);
* the facet and stored fields, as the Whoosh backend indexes them.

Pure Python: the SQL is :mod:`indexer.search.pg_store`'s.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from schemas.pieces import text_pieces
from schemas.search_index import PIECE_OVERLAP, unit_pieces

from .analysis import encode_units, short_grams, word_texts
from .normalize import normalize
from .schema import facet_value, sidecar_head, to_fields

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


def _words(norm: str, dictionary: str, junctions: Junctions | None = None) -> Iterator[str]:
    """The words of normalised text, piece by piece (a list of every word of a long text
    cost GBs), each piece walked by ``junctions`` as the encoded text holds it."""
    for piece in text_pieces(norm):
        words = word_texts(piece, dictionary)
        if junctions is not None:
            junctions.span(piece, words)
        yield from words


@functools.lru_cache(maxsize=100_000)
def word_code(word: str) -> str:
    """A word's encoding, remembered: words repeat (encoding each anew doubled the time to
    make a document's rows)."""
    return encode_chunk(word)


# what stands between the two sides of a junction key (no encoded text holds it)
JUNCTION = "|"


class Junctions:
    """A document's encoded text, made stretch by stretch as :func:`sidecar_text` makes it
    (the title and metadata, then each text piece), and its junction keys: the encoded
    text around each place where one of its words ends and the next begins, two to
    :data:`JUNCTION_REACH` characters before and one after, and one before and two to
    :data:`JUNCTION_REACH` after (``ab|c``, ``abc|d``, ``a|bc``, ``a|bcd`` ...).

    Why: a substring lies inside one word, and then a posting of that word proves it
    (every word of the archive whose encoding holds the chunk is asked), or it crosses
    where two words meet: then, crossing after its p-th character, the document holds
    both of the chunk's own longest keys for that place (``e[p-a:p]|e[p]`` and
    ``e[p-1]|e[p:p+b]``, as long as fit in the chunk; :func:`chunk_junctions`). So only
    the documents with such keys, few against those holding the chunk's trigrams, have
    their text read.

    In a stretch whose words, encoded one by one, do not lie end to end along its encoding
    (a word cut off its syllable units: one stretch in a few, and half of the documents
    over 20,000 characters have one), every place is keyed, so that any substring touching
    it is read there. Each stretch is encoded once, here: the text is what the keys say."""

    def __init__(self):
        self.parts: list[str] = []  # each stretch's encoding (encode_units)
        self.places: list[int] = []  # where a word begins (in a loose stretch: everywhere)
        self.pos = 0
        self.loose = False  # a stretch's words did not lie end to end

    def span(self, text: str, words: list[str]) -> None:
        """The next stretch of the encoded text: ``text`` (normalised) and its words."""
        code = encode_units(text)
        length = len(code)
        codes = [c for c in map(word_code, words) if c]  # punctuation has no unit
        if "".join(codes) == trgm_form(code):
            start = self.pos
            for c in codes:
                self.places.append(start)
                start += len(c)
        else:
            self.loose = True
            self.places.extend(range(self.pos, self.pos + length))
        self.parts.append(code)
        self.pos += length

    def encoded(self) -> str:
        """The document's encoded text (:func:`sidecar_text`'s)."""
        return "".join(self.parts)

    def keys(self, units: str) -> list[str]:
        """The junction keys, ``units`` being :meth:`encoded` as stored."""
        keys = set()
        for p in self.places:
            for reach in range(2, JUNCTION_REACH + 1):
                if reach <= p < len(units):
                    keys.add(units[p - reach : p] + JUNCTION + units[p])
                if p >= 1 and p + reach <= len(units):
                    keys.add(units[p - 1] + JUNCTION + units[p : p + reach])
        return sorted(keys)


# the most characters a junction key holds on its long side (layout 4; layout 3 kept 2).
# Keys of two characters a side matched crossing chunks by chance in most of the documents
# read for them: การ|ประเมิน's keys (าร|ป, ร|ปร) are those of every การ|ประชุม. In 3,000
# documents of the bench corpus, the documents no posting proves and holding a chunk's
# keys, with 2 / 4 / 5 characters on the long side: การประเมิน 870 / 100 / 64 (5 holding
# it), ความพร้อม 191 / 65 / 21 (12), ทางหลวง 84 / 1 / 0 (0), จจุบันเป็น 544 / 91 / 75 (14)
JUNCTION_REACH = 5


def chunk_junctions(encoded: str, reach: int = JUNCTION_REACH) -> list[list[str]]:
    """For each place a chunk (three characters or more) could cross from one word into
    the next, the junction keys a document must hold for it to (:class:`Junctions`): the
    longest, up to ``reach`` characters, on each side (the generation's: 2 before layout
    4), which a document holding the chunk there holds with every shorter one."""
    out = []
    for p in range(1, len(encoded)):
        keys = []
        before, after = min(p, reach), min(len(encoded) - p, reach)
        if before >= 2:
            keys.append(encoded[p - before : p] + JUNCTION + encoded[p])
        if after >= 2:
            keys.append(encoded[p - 1] + JUNCTION + encoded[p : p + after])
        out.append(keys)
    return out


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
    return {w for w in words if word_code(w) not in units}


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
    # the encoded text made as sidecar_text makes it: the head (title, metadata), then the
    # text piece by piece, each stretch with its words
    junctions = Junctions()
    title = list(_words(normalize(fields["title"]), dictionary))
    meta = list(_words(normalize(fields["meta"]), dictionary))
    junctions.span(sidecar_head(doc), title + meta)
    counts = {
        "title": Counter(title),
        "meta": Counter(meta),
        "text": Counter(_words(text, dictionary, junctions)),
    }
    encoded = junctions.encoded()
    units = trgm_form(encoded)

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
        "units": units,
        # the junction keys beside the short grams: one GIN index finds both
        "grams": [trgm_form(g) for g in short_grams(encoded)] + junctions.keys(units),
    }
    # words lying end to end along the text are each in it: only an unjoined document's
    # are looked for (each word's encoding searched for in the text was a third of the time)
    words = set().union(*counts.values())
    cut = unaligned(words, units) if junctions.loose else set()
    return DocumentRows(int(doc["id"]), row, counts, unit_pieces(units), cut)
