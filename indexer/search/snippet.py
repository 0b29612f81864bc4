"""Highlighted snippets: HTML-escaped, matches in <mark>, cut at Thai word boundaries."""

from __future__ import annotations

import codecs
import html
import re
import zlib
from bisect import bisect_left, bisect_right
from functools import lru_cache

from .analysis import normalize, normalize_map, syllable_texts, words
from .dictionary import DEFAULT_DICTIONARY

# Between two units of a query chunk the document may have separators (spaces, punctuation,
# ๆ, ฯ, the folded dots of an abbreviation): the syllable index ignores them, so do we. The
# text is searched with every separator replaced by one NUL (same length, so offsets hold),
# and the pattern allows NULs between units: a character class of Unicode categories per
# unit made compiling a question's pattern (~40 units) cost more than a page of snippets.
_SEP_CHAR = re.compile(r"[^\w\u0e01-\u0e4e]|[_\u0e46\u0e2f]")
_SEP = "\x00*"


def _masked(text: str) -> str:
    """``text`` with each separator character replaced by NUL (offsets unchanged)."""
    return _SEP_CHAR.sub("\x00", text)


_PLAIN_THAI = re.compile("[\u0e01-\u0e2e\u0e30-\u0e32\u0e34-\u0e3a\u0e40-\u0e45\u0e47-\u0e4c]+")


@lru_cache(maxsize=256)
def _compiled(chunks: tuple[str, ...]) -> tuple[re.Pattern[str] | None, bool]:
    """The pattern of the normalised query units (to run on masked text, see ``_SEP``), and
    whether it may be run on the raw text: when every unit is plain Thai (no sara am, digits
    or Latin, which normalising produces from other raw text), normalising changes nothing a
    match could contain -- the separators between units (dots of folded abbreviations,
    spaces) are masked."""
    alts = []
    raw_ok = True
    for chunk in chunks:
        units = syllable_texts(normalize(chunk))
        if units:
            alts.append(_SEP.join(re.escape(u) for u in units))
            raw_ok = raw_ok and all(_PLAIN_THAI.fullmatch(u) for u in units)
    if not alts:
        return None, False
    alts.sort(key=len, reverse=True)
    return re.compile("|".join(f"(?:{a})" for a in alts)), raw_ok


def _pattern(chunks: list[str]) -> re.Pattern[str] | None:
    return _compiled(tuple(chunks))[0]


def _literals(chunks: list[str]) -> list[str] | None:
    """A raw-text prefilter: the first unit of each chunk when it is plain Thai (no sara am,
    digits or Latin, which normalising can produce from other raw text); None when some
    chunk has no such literal."""
    out = []
    for chunk in chunks:
        units = syllable_texts(normalize(chunk))
        if not units:
            continue
        if not _PLAIN_THAI.fullmatch(units[0]):
            return None
        out.append(units[0])
    return out or None


_SPACES = re.compile(r"\s+")


def _boundaries(text: str, lo: int, hi: int, dictionary: str) -> list[int]:
    """Word boundaries (offsets in text) between lo and hi: the edges of the spaces there,
    which Thai writing puts between phrases and sentences, else the words the segmenter
    finds (segmenting was most of a snippet's cost). A slice may cut a word at either end,
    so the outer edge of its first and last words is not trusted."""
    lo = max(0, lo)
    hi = min(len(text), hi)
    spaces = [edge for m in _SPACES.finditer(text, lo, hi) for edge in m.span()]
    if spaces:
        return sorted(
            {*spaces, *([0] if lo == 0 else []), *([len(text)] if hi == len(text) else [])}
        )
    pieces = words(text[lo:hi], dictionary)
    out: set[int] = set()
    for k, p in enumerate(pieces):
        if k > 0 or lo == 0:
            out.add(lo + p.start)
        if k < len(pieces) - 1 or hi == len(text):
            out.add(lo + p.end)
    if lo == 0:
        out.add(0)
    if hi == len(text):
        out.add(len(text))
    return sorted(out)


def _spans(text: str, chunks: list[str], width: int) -> tuple[list[tuple[int, int]], bool]:
    """The matches of ``chunks`` a snippet looks at (up to a few snippet widths after the
    first), and whether they are the same in every longer text ``text`` is the beginning
    of (a prefix of the decompressed body, see :func:`snippet_of_compressed`)."""
    spans: list[tuple[int, int]] = []
    pat, raw_ok = _compiled(tuple(chunks))
    stop: int | None = None  # a few snippet widths after the first match
    if pat is not None and raw_ok:
        # plain Thai query: match the raw text directly (the regex engine scans the whole
        # text faster than normalising the lines that might match)
        for m in pat.finditer(_masked(text)):
            if stop is not None and m.start() >= stop:
                break
            if m.end() > m.start():
                spans.append(m.span())
                if stop is None:
                    stop = m.start() + 4 * width
        # a match starting before ``stop`` ends well within _SETTLED characters
        return spans, stop is not None and len(text) >= stop + _SETTLED
    if pat is None:
        return spans, False
    # line by line (normalising is line-local), building the offset map only for lines with
    # a match (normalising a whole long text for every hit was most of the search time)
    pos = 0
    literals = _literals(chunks)
    for line in text.splitlines(keepends=True):
        if stop is not None and pos >= stop:
            return spans, True  # every line before this one is whole
        if literals is not None and not any(lit in line for lit in literals):
            pos += len(line)
            continue
        if pat.search(_masked(normalize(line))):
            n = normalize_map(line)
            for m in pat.finditer(_masked(n.text)):
                if m.end() > m.start():
                    s, e = n.span(m.start(), m.end())
                    spans.append((pos + s, pos + e))
            if spans and stop is None:
                stop = spans[0][0] + 4 * width
        pos += len(line)
    return spans, False


# How far past the last match a snippet looks at a prefix must reach for the snippet to be
# the whole text's: the longest match, and the word boundaries sought past the window.
_SETTLED = 400


def _cut(
    text: str, spans: list[tuple[int, int]], width: int, dictionary: str, whole: bool
) -> str | None:
    """The snippet of ``text`` around the densest group of ``spans``; None when ``text`` is
    a prefix (``whole`` false) too short to be sure of the end."""
    if spans:
        starts = [s for s, _ in spans]
        best_i, best_count = 0, -1
        for i, (s, _e) in enumerate(spans):
            j = bisect_left(starts, s + width * 3 // 4)
            count = len({text[a:b] for a, b in spans[i:j]})
            if count > best_count:
                best_i, best_count = i, count
        first = spans[best_i][0]
        want_start = max(0, first - width // 4)
        want_end = min(len(text), want_start + width)
    else:
        first = 0
        want_start, want_end = 0, min(len(text), width)
    if not whole and want_end + 40 >= len(text):
        return None
    # word boundaries only near the two cut points (segmenting the whole window was most of
    # the snippet's cost)
    if want_end - want_start > 160:
        bounds = _boundaries(text, want_start - 40, max(want_start + 60, first) + 8, dictionary)
        bounds += _boundaries(text, want_end - 40, want_end + 40, dictionary)
    else:
        bounds = _boundaries(text, want_start - 40, want_end + 40, dictionary)
    # start: the boundary closest to want_start that does not cut into the first match
    cands = [b for b in bounds if b <= first] or [first]
    start = min(cands, key=lambda b: abs(b - want_start))
    ends = [b for b in bounds if b > start]
    if not ends and not whole:
        return None  # the whole text's end would be the end
    end = min(ends or [len(text)], key=lambda b: abs(b - want_end))
    # marks inside [start, end), not cut
    lo = bisect_right([s for s, _ in spans], start - 1)
    out: list[str] = []
    pos = start
    for s, e in spans[lo:]:
        if s >= end:
            break
        if s < pos:
            continue
        e = min(e, end)
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    body = re.sub(r"\s+", " ", "".join(out)).strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def whole_snippet(
    text: str, chunks: list[str], width: int = 220, dictionary: str = DEFAULT_DICTIONARY
) -> str:
    """:func:`make_snippet` the long way: every match of the whole text looked at."""
    if not text:
        return ""
    spans, _settled = _spans(text, chunks, width)
    return _cut(text, spans, width, dictionary, whole=True) or ""


def _first_snippet(prefixes, chunks: list[str], width: int, dictionary: str) -> str:
    """The snippet of the text whose growing beginnings ``prefixes`` yields, each as (text,
    whether it is the whole), from the first beginning long enough to settle it (the same
    snippet as of the whole text, :func:`_spans`)."""
    for text, whole in prefixes:
        if whole:
            return whole_snippet(text, chunks, width, dictionary)
        spans, settled = _spans(text, chunks, width)
        if settled:
            got = _cut(text, spans, width, dictionary, whole=False)
            if got is not None:
                return got
    return ""


# Characters of a text looked at before the first look for matches; doubled at each look.
_FIRST_CHARS = 4096


def make_snippet(
    text: str, chunks: list[str], width: int = 220, dictionary: str = DEFAULT_DICTIONARY
) -> str:
    """A ~``width``-character extract of ``text`` around the densest group of matches of the
    query ``chunks`` (among the first: up to a few widths after the first match), starting
    and ending at word boundaries, HTML-escaped, with every match wrapped in
    <mark>…</mark>. Looked for in a growing beginning of the text: masking and matching a
    long document's whole text was most of a page's snippets (about 19 ms a question at
    100k documents on the ``postgres`` backend, whose hits carry their bodies)."""

    def prefixes():
        n = _FIRST_CHARS
        while n < len(text):
            yield text[:n], False
            n *= 2
        yield text, True

    return _first_snippet(prefixes(), chunks, width, dictionary) if text else ""


# Compressed bytes decompressed before the first look for matches; doubled at each look.
_FIRST_READ = 4096


def snippet_of_compressed(
    blob: bytes | None,
    chunks: list[str],
    width: int = 220,
    dictionary: str = DEFAULT_DICTIONARY,
) -> str:
    """:func:`make_snippet` of a zlib-compressed UTF-8 text, decompressing only as much of
    it as the snippet needs: a snippet shows the first matches, and the long documents a
    many-word question ranks first took more time to decompress and decode whole than the
    rest of the search. The same snippet as of the whole text."""
    if not blob:
        return ""

    def prefixes():
        inflate = zlib.decompressobj()
        decode = codecs.getincrementaldecoder("utf-8")()
        text = ""
        read = 0
        step = _FIRST_READ
        while True:
            piece = inflate.decompress(blob[read : read + step])
            read += step
            whole = read >= len(blob)
            if whole:
                piece += inflate.flush()
            text += decode.decode(piece, final=whole)
            yield text, whole
            step *= 2

    return _first_snippet(prefixes(), chunks, width, dictionary)
