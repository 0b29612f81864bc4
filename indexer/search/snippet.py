"""Highlighted snippets: HTML-escaped, matches in <mark>, cut at Thai word boundaries."""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

from .analysis import normalize, normalize_map, syllable_texts, words
from .dictionary import DEFAULT_DICTIONARY

# Between two units of a query chunk the document may have separators (spaces, punctuation,
# ๆ, ฯ, the folded dots of an abbreviation): the syllable index ignores them, so do we.
_SEP = r"(?:[^\w\u0e01-\u0e4e]|[_\u0e46\u0e2f])*"


_PLAIN_THAI = re.compile("[\u0e01-\u0e2e\u0e30-\u0e32\u0e34-\u0e3a\u0e40-\u0e45\u0e47-\u0e4c]+")


@lru_cache(maxsize=256)
def _compiled(chunks: tuple[str, ...]) -> tuple[re.Pattern[str] | None, bool]:
    """The pattern of the normalised query units, and whether it may be run on the raw text:
    when every unit is plain Thai (no sara am, digits or Latin, which normalising produces
    from other raw text), normalising changes nothing a match could contain -- the
    separators between units (dots of folded abbreviations, spaces) are in ``_SEP``."""
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


def make_snippet(
    text: str, chunks: list[str], width: int = 220, dictionary: str = DEFAULT_DICTIONARY
) -> str:
    """A ~``width``-character extract of ``text`` around the densest group of matches of the
    query ``chunks``, starting and ending at word boundaries, HTML-escaped, with every match
    wrapped in <mark>…</mark>."""
    if not text:
        return ""
    spans: list[tuple[int, int]] = []
    pat, raw_ok = _compiled(tuple(chunks))
    if pat is not None and raw_ok:
        # plain Thai query: match the raw text directly (the regex engine scans the whole
        # text faster than normalising the lines that might match), stopping a few snippet
        # widths after the first match
        stop = len(text)
        for m in pat.finditer(text):
            if m.start() >= stop:
                break
            if m.end() > m.start():
                spans.append(m.span())
                if stop == len(text):
                    stop = m.start() + 4 * width
    elif pat is not None:
        # line by line (normalising is line-local), building the offset map only for lines
        # with a match, and stopping a few snippet widths after the first match: the
        # snippet shows the densest group among the first matches (normalising a whole
        # long text for every hit was most of the search time)
        pos = 0
        stop = len(text)
        literals = _literals(chunks)
        for line in text.splitlines(keepends=True):
            if pos >= stop:
                break
            if literals is not None and not any(lit in line for lit in literals):
                pos += len(line)
                continue
            if pat.search(normalize(line)):
                n = normalize_map(line)
                for m in pat.finditer(n.text):
                    if m.end() > m.start():
                        s, e = n.span(m.start(), m.end())
                        spans.append((pos + s, pos + e))
                if spans and stop == len(text):
                    stop = spans[0][0] + 4 * width
            pos += len(line)
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
    ends = [b for b in bounds if b > start] or [len(text)]
    end = min(ends, key=lambda b: abs(b - want_end))
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
