"""The normalised form of Thai text that matching works on, the same at index and at query
time (step 1 of :mod:`indexer.search.analysis`): Thai digits -> Arabic (one for one), Latin
lowercased, dotted abbreviations folded (พ.ศ. -> พศ, จปฐ. -> จปฐ, U.S. -> us), decomposed
sara am repaired (ํา -> ำ), thousands separators dropped between digits (1,234 -> 1234),
zero-width characters dropped. Tone marks and every other Thai mark are kept: ข้าว, ข่าว and
ขาว stay three words. :func:`normalize_map` also keeps where each character came from.

Its own module because both the analyzer and the search dictionary (whose entries are
folded the same way) use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.thai.digits import to_arabic_digits

# Thai letters, vowels, tone marks and signs; not ฯ (0E2F), ๆ (0E46), ฿, digits, ๏ ๚ ๛.
THAI_LETTER = "\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e"

# Length-changing edits, each with a handler below.
_EDIT_RE = re.compile(
    "|".join(
        [
            # 1 decomposed sara am (nikhahit + optional tone + sara aa), as PDF text layers give
            "(?P<am>\u0e4d(?P<tone>[\u0e48-\u0e4b]?)\u0e32)",
            # 2 Thai dotted abbreviation: พ.ศ. จปฐ. ก.พ. ผอ.รพ.สต. น.
            f"(?P<thabbr>(?<![{THAI_LETTER}])(?:[{THAI_LETTER}]{{1,4}}\\.)+)",
            # 3 Latin dotted abbreviation of single letters: u.s.a. e.g.
            "(?P<laabbr>(?<![a-z])(?:[a-z]\\.){2,})",
            # 4 thousands separators between digits
            "(?P<comma>(?<=[0-9]),(?=[0-9]{3}(?![0-9])))",
            # 5 invisible characters
            "(?P<zw>[\u00ad\u200b\u200c\u200d\u2060\ufeff])",
        ]
    )
)


@dataclass(slots=True)
class Normalized:
    """Normalised text and, when it differs in length, where each character came from."""

    original: str
    text: str
    starts: list[int] | None = None  # original start of text[i]; None means identity
    ends: list[int] | None = None  # original end of text[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the normalised slice text[start:end] (end > start)."""
        if self.starts is None:
            return start, end
        return self.starts[start], self.ends[end - 1]  # type: ignore[index]


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def normalize_map(text: str) -> Normalized:
    base = _lower(to_arabic_digits(text))
    matches = list(_EDIT_RE.finditer(base))
    if not matches:
        return Normalized(text, base)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for m in matches:
        s, e = m.span()
        if s > last:
            out.append(base[last:s])
            starts.extend(range(last, s))
            ends.extend(range(last + 1, s + 1))
        kind = m.lastgroup
        if kind == "am" or (kind == "tone" and m.group("am")):
            tone = m.group("tone")
            if tone:
                out.append(tone)
                starts.append(s + 1)
                ends.append(s + 2)
            out.append("\u0e33")
            starts.append(s)
            ends.append(e)
        elif kind in ("thabbr", "laabbr"):
            chunk = m.group(0)
            for i, ch in enumerate(chunk):
                if ch != ".":
                    out.append(ch)
                    starts.append(s + i)
                    ends.append(s + i + 1)
            # the final dot becomes a separator, so พ.ศ.๒๕๖๒ still splits พศ | 2562
            out.append(" ")
            starts.append(e - 1)
            ends.append(e)
        # comma and zw: dropped
        last = e
    if last < len(base):
        out.append(base[last:])
        starts.extend(range(last, len(base)))
        ends.extend(range(last + 1, len(base) + 1))
    return Normalized(text, "".join(out), starts, ends)


def _edit(m: re.Match) -> str:
    kind = m.lastgroup
    if kind in ("am", "tone"):
        return m.group("tone") + "\u0e33"
    if kind in ("thabbr", "laabbr"):
        return m.group(0).replace(".", "") + " "
    return ""


def normalize(text: str) -> str:
    """The normalised form used for matching (see the module docstring); equal to
    ``normalize_map(text).text`` without building the offset map."""
    if isinstance(text, NormalizedText):
        return text
    return NormalizedText(_EDIT_RE.sub(_edit, _lower(to_arabic_digits(text))))


class NormalizedText(str):
    """Text :func:`normalize` has already normalised: indexing gives a document's text to
    the word field and to the sidecar, and normalising 10 KB twice cost a third of a
    millisecond."""
