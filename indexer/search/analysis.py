"""Thai text analysis for the search index: one normaliser, two token streams.

The same code runs at index and at query time:

1. :func:`normalize_map` (:mod:`indexer.search.normalize`) folds the text without losing track of where each character came
   from: Thai digits -> Arabic (one for one), Latin lowercased, dotted abbreviations folded
   (พ.ศ. -> พศ, จปฐ. -> จปฐ, U.S. -> us), decomposed sara am repaired (ํา -> ำ), thousands
   separators dropped between digits (1,234 -> 1234), zero-width characters dropped. Tone
   marks and every other Thai mark are kept: ข้าว, ข่าว and ขาว stay three words.
2. The normalised text is cut into runs: Thai-letter runs and runs of other letters/digits.
   Whitespace, punctuation, ๆ (mai yamok) and ฯ (paiyannoi) separate runs and are not
   indexed, so ต่างๆ, ต่าง ๆ and ต่าง all give the word ต่าง.
3. Word stream: each Thai run is segmented by nlpo3 with the Khlang dictionary (see
   :mod:`indexer.search.dictionary`); other runs are one word each.
4. Syllable stream: each Thai run is cut into Thai Character Clusters (TCC, Theeramunkong et
   al. 2000). TCC boundaries include every syllable boundary, and TCC is computed left to
   right from a boundary, so a query that is a TCC-aligned substring of a document run is cut
   into exactly the clusters the document has there (checked on the seeds by the tests).
   Non-Thai runs are one unit each.

Every token carries its position and its start/end character offsets in the *original* text.

The analyzers are Whoosh tokenizers that pickle as a few bytes (the dictionary *name*), never
the dictionary itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh.analysis import Token, Tokenizer

from schemas.pieces import piece_chars, text_pieces

from .dictionary import DEFAULT_DICTIONARY
from .dictionary import load as load_dictionary
from .normalize import THAI_LETTER, normalize, normalize_map

ANALYZER_VERSION = "2"

_RUN_RE = re.compile(f"([{THAI_LETTER}]+)|[^\\W_\u0e00-\u0e7f]+")
_THAI_RE = re.compile(f"[{THAI_LETTER}]")


# --- Thai Character Clusters -------------------------------------------------------------
# pythainlp.tokenize.tcc's rules, with its stray '|' in a character class removed. The
# pattern is applied with finditer(text, start, end) per run, which is linear (pythainlp
# slices text[p:] per cluster, quadratic on long runs) and makes '$' mean "end of run".
_TCC_RULES = """\
c[ั]([่-๋]c)?
c[ั]([่-๋]c)?k
เc็ck
เcctาะk
เccีtยะk
เccีtย(?=[เ-ไก-ฮ]|$)k
เc[ิีุู]tย(?=[เ-ไก-ฮ]|$)k
เcc็ck
เcิc์ck
เcิtck
เcีtยะ?k
เcืtอะk
เcื
เctา?ะ?k
c[ึื]tck
c[ะ-ู]tk
c[ิุู]์
cรรc์
c็
ct[ะาำ]?k
แc็ck
แcc์k
แctะk
แcc็ck
แccc์k
โctะk
[เ-ไ]ctk
ก็
อึ
หึ
"""
_TCC_PATTERN = "|".join(
    _TCC_RULES.replace("k", "(?:cc?[ุูิ]?[์])?")
    .replace("c", "[ก-ฮ]")
    .replace("t", "[่-๋]?")
    .replace("([่-๋]", "(?:[่-๋]")
    .replace("|$)", f"|(?![{THAI_LETTER}]))")
    .split()
)
_TCC_RE = re.compile(_TCC_PATTERN)
# One pass over normalised text: a TCC, else a lone Thai character (a cluster of one), else a
# whole non-Thai letter/digit run. Separators match nothing and are skipped.
_UNIT_RE = re.compile(f"{_TCC_PATTERN}|[{THAI_LETTER}]|[^\\W_\u0e00-\u0e7f]+")


def tcc(text: str) -> list[str]:
    """Thai Character Clusters of one run of Thai text (no normalisation)."""
    return _UNIT_RE.findall(text)


def syllable_texts(norm: str) -> list[str]:
    """Syllable units of already-normalised text (the fast path used for indexing)."""
    return _UNIT_RE.findall(norm)


# --- token streams ------------------------------------------------------------------------


@dataclass(slots=True)
class Piece:
    text: str  # normalised token text
    start: int  # offsets in the original text
    end: int


def _segment(run: str, nlpo3_name: str) -> list[str]:
    import nlpo3

    return nlpo3.segment(run, nlpo3_name)


def word_texts(norm: str, dictionary: str = DEFAULT_DICTIONARY) -> list[str]:
    """Word tokens of already-normalised text (the fast path used for indexing)."""
    nlpo3_name = load_dictionary(dictionary).nlpo3_name
    out: list[str] = []
    for m in _RUN_RE.finditer(norm):
        if m.group(1) is None:
            out.append(m.group(0))
        else:
            out.extend(_segment(m.group(0), nlpo3_name))
    return out


def words(text: str, dictionary: str = DEFAULT_DICTIONARY) -> list[Piece]:
    """Word tokens of ``text`` with their offsets in ``text``."""
    nlpo3_name = load_dictionary(dictionary).nlpo3_name
    n = normalize_map(text)
    norm = n.text
    out: list[Piece] = []
    for m in _RUN_RE.finditer(norm):
        s, e = m.span()
        if m.group(1) is None:
            out.append(Piece(norm[s:e], *n.span(s, e)))
            continue
        p = s
        for w in _segment(norm[s:e], nlpo3_name):
            q = p + len(w)
            out.append(Piece(w, *n.span(p, q)))
            p = q
    return out


# --- substring sidecar encoding ---------------------------------------------------------------
# The sidecar (see :mod:`indexer.search.sidecar`) keeps one string per document in an SQLite
# FTS5 trigram index. Each syllable unit is written with its boundaries folded into the
# characters themselves, so that a plain substring match is a unit-aligned match:
#
# * a Thai unit of one character becomes that character's ONE variant; a longer unit its
#   FIRST variant, MID variants, then its LAST variant (four copies of the Thai block in the
#   Private Use Area, U+E000-U+E1FF);
# * a non-Thai unit (a whole run of Latin letters/digits) is wrapped in RUN_OPEN/RUN_CLOSE;
# * separators (whitespace, punctuation, ๆ, ฯ) are dropped, as the old syllable fields did.
#
# A query chunk encoded the same way starts with a FIRST/ONE character and ends with a
# LAST/ONE character, so it can only match where the document has unit boundaries, and the
# TCC claim (a TCC-aligned substring is cut into the clusters the document has there) makes
# every aligned occurrence match. The text is no longer than the normalised text (no
# separator characters), and its trigrams are more selective than plain Thai trigrams.
_PUA = 0xE000
_MID, _FIRST, _LAST, _ONE = 0, 1, 2, 3


def _variant(v: int) -> dict[int, str]:
    return {0x0E00 + i: chr(_PUA + v * 128 + i) for i in range(128)}


_TR = [str.maketrans(_variant(v)) for v in range(4)]
RUN_OPEN, RUN_CLOSE = "\ue200", "\ue201"
# Aligned encoded grams of one or two characters (too short for a trigram index): a one-char
# unit; a two-char unit (FIRST LAST); two one-char units (ONE ONE). Overlapping: lookahead.
_ONE_RE = re.compile("[\ue180-\ue1ff]")
_PAIR_RE = re.compile("(?=([\ue180-\ue1ff]{2}|[\ue080-\ue0ff][\ue100-\ue17f]))")
_CODE_CACHE_MAX = 400_000


class _UnitCodes(dict):
    """unit -> encoded unit; a dict so that ``map(codes.__getitem__, units)`` runs in C."""

    def __missing__(self, unit: str) -> str:
        if "\u0e00" <= unit[0] <= "\u0e7f":
            if len(unit) == 1:
                code = unit.translate(_TR[_ONE])
            else:
                code = (
                    unit[0].translate(_TR[_FIRST])
                    + unit[1:-1].translate(_TR[_MID])
                    + unit[-1].translate(_TR[_LAST])
                )
        else:
            code = RUN_OPEN + unit + RUN_CLOSE
        if len(self) < _CODE_CACHE_MAX:
            self[unit] = code
        return code


_CODES = _UnitCodes()


def encode_units(norm: str) -> str:
    """The sidecar form of already-normalised text (see above)."""
    # piece by piece: the list of every unit of a 100 MB text took GBs (pieces end at a
    # line break or space, which no unit spans)
    return "".join(
        "".join(map(_CODES.__getitem__, _UNIT_RE.findall(piece))) for piece in text_pieces(norm)
    )


def short_grams(encoded: str) -> list[str]:
    """The distinct aligned one- and two-character grams of an encoded text, sorted."""
    grams: set[str] = set()
    size = piece_chars()  # in pieces, as encode_units; one more character for the pairs
    for start in range(0, len(encoded), size):
        grams.update(_ONE_RE.findall(encoded, start, start + size))
        grams.update(_PAIR_RE.findall(encoded[start : start + size + 1]))
    return sorted(grams)


def unit_runs(norm: str) -> list[str]:
    """The runs of already-normalised text that the encoding keeps (its units, end to end),
    in order: what lies between them (spaces, punctuation) has no unit. A word whose
    encoding holds a chunk's holds these runs, in this order."""
    runs: list[str] = []
    end = -1
    for m in _UNIT_RE.finditer(norm):
        if m.start() == end:
            runs[-1] += m.group(0)
        else:
            runs.append(m.group(0))
        end = m.end()
    return runs


def syllables(text: str) -> list[Piece]:
    """Syllable units of ``text`` with their offsets in ``text``."""
    n = normalize_map(text)
    return [Piece(m.group(0), *n.span(*m.span())) for m in _UNIT_RE.finditer(n.text)]


def has_thai(text: str) -> bool:
    return _THAI_RE.search(text) is not None


# --- Whoosh tokenizers ------------------------------------------------------------------------


class _KhlangTokenizer(Tokenizer):
    """Base: pickles as its class and a few small settings, nothing else."""

    def __init__(self, dictionary: str = DEFAULT_DICTIONARY):
        self.dictionary = dictionary

    def __getstate__(self):
        return {"dictionary": self.dictionary, "analyzer_version": ANALYZER_VERSION}

    def __setstate__(self, state):
        self.dictionary = state.get("dictionary", DEFAULT_DICTIONARY)

    def __eq__(self, other):
        return type(self) is type(other) and self.dictionary == other.dictionary

    def __hash__(self):
        return hash((type(self).__name__, self.dictionary))

    def pieces(self, value: str) -> list[Piece]:
        """Tokens with offsets (slower; used when a caller asks for chars)."""
        raise NotImplementedError

    def texts(self, value: str) -> list[str]:
        """Token texts only (the indexing path)."""
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        if chars:
            for i, p in enumerate(self.pieces(value)):
                t.text = p.text
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = p.text
                if positions:
                    t.pos = start_pos + i
                t.startchar = start_char + p.start
                t.endchar = start_char + p.end
                yield t
            return
        for i, text in enumerate(self.texts(value)):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = start_pos + i
            yield t


class ThaiWordTokenizer(_KhlangTokenizer):
    """Word stream (see module docstring)."""

    def pieces(self, value: str) -> list[Piece]:
        return words(value, self.dictionary)

    def texts(self, value: str) -> list[str]:
        return word_texts(normalize(value), self.dictionary)  # once: see NormalizedText
