"""Thai words Tesseract wrote in Latin letters, read again with its Thai model alone.

Reading a page with ``tha+eng`` keeps a letter's English (DSSS, www), but Tesseract also
writes some short Thai words and abbreviations in Latin letters: พ.ศ. as "wa.", จปฐ as
"aug", อปท. as "aun.". Reading with ``tha`` alone writes them in Thai but garbles the
English. So after the page is read, each word written in Latin letters inside a Thai line
(a Thai word on its line, no Latin word next to it) is cut out of the prepared image; all
such words of a page are stacked in one strip and read in one extra Tesseract call with
``-l tha``; a word is replaced only when its Thai reading is one dictionary word
(indexer.thai.lexicon.known_words()) and holds no digit. Words where a letter prints a
number (after ที่, พ.ศ., a month; a list item's number) are the Thai digit reader's, and
are left to it; but a letter number's office (two or three Latin letters between ที่ and
the code: "AW" for ลพ) is read again, and kept when it is a province's prefix.

The decisions (:func:`is_candidate`, :func:`accepted_reading`, :func:`is_office`,
:func:`accepted_office`) are pure; only
:func:`reread_latin_words` runs Tesseract."""

from __future__ import annotations

import re
from pathlib import Path

from .tesseract_call import tesseract_reads
from .tsv import TsvWord, placed_words

#: A word written in Latin letters (with the dots of an abbreviation): "wa.", "aug", "W.A.".
_LATIN_WORD = re.compile(r"^[A-Za-z][A-Za-z.]*$")
_THAI = re.compile("[\u0e01-\u0e4e]")
#: What a Thai reading may hold: Thai letters and marks, and an abbreviation's dots.
_THAI_READING = re.compile("^[\u0e01-\u0e3a\u0e40-\u0e4e.]+$")
#: The strip's white gap between two cut-out words, and the margin kept around each box
#: (Tesseract's box of a word it wrote in Latin letters may leave out Thai marks above and
#: below), as shares of the box's height.
GAP = 1.0
MARGIN = 0.35
TIMEOUT = 60  # seconds for the one extra call


def _tsv_lines(text: str, tsv: str) -> list[list[TsvWord | None]]:
    """Tesseract's TSV words by line (None for a word not found in ``text`` as written,
    such as a number the digit reader wrote again)."""
    lines: dict[tuple[str, ...], list[TsvWord | None]] = {}
    for word in placed_words(text, tsv):
        lines.setdefault(word.line, []).append(word if word.placed else None)
    return list(lines.values())


def is_candidate(word: str, before: list[str], after: list[str], text_before: str) -> bool:
    """Whether ``word``, written in Latin letters, is to be read again as Thai: it stands in
    a Thai line (a Thai word among ``before`` or ``after``, the words of its line on either
    side), the words next to it are not Latin (an English phrase or an acronym among
    Latin words stays), and it is not where a letter prints a number (``text_before``, the
    page's text before it on its line), which the Thai digit reader owns."""
    from .thai_digit_reader import _NUMBER_AFTER

    core = word.strip("()[],;:")
    letters = len(core.replace(".", ""))
    if not _LATIN_WORD.match(core) or (letters < 2 and "." not in core):
        return False
    if not any(_THAI.search(w) for w in before + after):
        return False
    # an English phrase stays; a dotted abbreviation after a Thai word ("ปีงบประมาณ wa.")
    # is read again even before Latin letters (the year "wees" the digit reader takes)
    dotted = "." in core and bool(before) and bool(_THAI.search(before[-1]))
    for neighbour in before[-1:] + ([] if dotted else after[:1]):
        if re.search("[A-Za-z]", neighbour) and not _THAI.search(neighbour):
            return False
    line = text_before.replace("\u0e4d\u0e32", "\u0e33")
    if re.fullmatch(r"[\s\-–•*(]{0,3}", line):
        return False  # a list item's number at the start of a line
    # where a number is printed, only a dotted abbreviation ("wa." for พ.ศ. after a month)
    # is read again: Latin letters without a dot there are a number's stand-ins ("wees")
    return not _NUMBER_AFTER.search(line) or ("." in core and letters >= 2)


#: English abbreviations a Thai letter prints among Thai words (a telephone number's "Tel.",
#: an addressee's "Dr."), which the Thai model reads as Thai ones ("No." as พอ.): kept.
ENGLISH_ABBREVIATIONS = frozenset(
    [
        "no.",
        "nos.",
        "dr.",
        "mr.",
        "mrs.",
        "ms.",
        "co.",
        "ltd.",
        "inc.",
        "st.",
        "jr.",
        "vol.",
        "p.",
        "pp.",
        "e.g.",
        "i.e.",
        "etc.",
        "vs.",
        "fig.",
        "tel.",
        "fax.",
        "ext.",
        "ref.",
        "dept.",
        "gov.",
        "univ.",
        "prof.",
        "assoc.",
    ]
)
#: A reading shorter than this (a two-letter word, "เท" for "in", "อน" for "OK") is too
#: easily made by an English word's letters.
MIN_THAI_LETTERS = 3
#: A reading this long may be several dictionary words ("AIBWIWA" read ตัวชีวัด, whose lost
#: tone mark the correction then puts back); a shorter one must be one word.
LONG_READING = 6


def accepted_reading(latin: str, thai: str) -> str | None:
    """The Thai reading of a word Tesseract wrote in Latin letters, when it is to replace
    it, else None: one dictionary word (indexer.thai.lexicon.known_words()) of
    MIN_THAI_LETTERS or more, or an abbreviation keeping its dot whose letters are one
    (พ.ศ., อปท., น.), the Latin word not being an English abbreviation ("No.", "Dr.").
    Under LONG_READING letters one word, not several: an English word's letters read in
    Thai often split into short dictionary words ("DSSS" as กร-รร)."""
    from indexer.thai.lexicon import known_words

    thai = thai.strip().strip("()[],;:").replace(" ", "").replace("\u0e4d\u0e32", "\u0e33")
    if not thai or not _THAI_READING.match(thai) or not _THAI.search(thai):
        return None
    if latin.endswith(".") != thai.endswith("."):
        return None  # an abbreviation's closing dot lost or added: not the same word
    thai = re.sub(r"\.+$", ".", thai)  # the crop's margin may hold the next word's dot
    words = known_words()
    if "." in thai:
        if latin.lower() in ENGLISH_ABBREVIATIONS:
            return None
        joined = thai.replace(".", "")
        return thai if joined in words or thai in words else None
    if len(thai) >= LONG_READING:
        return thai if _dictionary_words(thai, words) else None
    return thai if len(thai) >= MIN_THAI_LETTERS and thai in words else None


def _dictionary_words(thai: str, words: frozenset[str]) -> bool:
    """Whether ``thai`` splits into dictionary words of two letters or more."""
    reach = [True] + [False] * len(thai)
    for end in range(2, len(thai) + 1):
        reach[end] = any(
            reach[start] and thai[start:end] in words for start in range(max(0, end - 20), end - 1)
        )
    return reach[-1]


#: A letter number's office, where Tesseract wrote it in Latin letters ("AW" for ลพ): after
#: at most the ที่ label (or what a scan left of it), before the code's first two digits.
_OFFICE_BEFORE = re.compile(r"\s*\S{0,3}\s*")
_CODE_AFTER = re.compile(r"\s*[0๐][0-9๐-๙]")


def is_office(word: str, text_before: str, text_after: str) -> bool:
    """Whether ``word``, two or three Latin letters, stands where a letter number prints
    its office (``text_before`` and ``text_after``: its line's text on either side)."""
    return bool(
        re.fullmatch("[A-Za-z]{2,3}", word)
        and _OFFICE_BEFORE.fullmatch(text_before)
        and _CODE_AFTER.match(text_after)
    )


def accepted_office(thai: str) -> str | None:
    """The Thai reading of an office written in Latin letters, when it is a province's
    letter-number prefix (indexer.thai.gazetteer: ลพ, ชม); a ministry's (สธ, มท) is not
    known there and stays as written."""
    from indexer.thai.gazetteer import province_by_abbr

    thai = thai.strip().replace(" ", "")
    return thai if re.fullmatch("[ก-ฮ]{2}", thai) and province_by_abbr(thai) else None


def candidates(text: str, tsv: str) -> list[tuple[TsvWord, bool]]:
    """The words of the page that :func:`is_candidate` or :func:`is_office` takes, each
    with whether it is an office."""
    out = []
    for line in _tsv_lines(text, tsv):
        written = [w.text if w else "" for w in line]
        for i, word in enumerate(line):
            if word is None:
                continue
            begins = text.rfind("\n", 0, word.start) + 1
            ends = text.find("\n", word.end)
            before, after = text[begins : word.start], text[word.end : ends if ends >= 0 else None]
            if is_office(word.text, before, after):
                out.append((word, True))
            elif is_candidate(word.text, written[:i], written[i + 1 :], before):
                out.append((word, False))
    return out


def _read_strip(image, words: list[TsvWord]) -> list[str]:
    """Each word's box cut from ``image`` (a greyscale PIL image) and read by one Tesseract
    call with the Thai model alone: the words stacked in a strip, one a line."""
    from PIL import Image

    crops = []
    for word in words:
        left, top, right, bottom = word.box
        pad = int((bottom - top) * MARGIN) + 2
        crops.append(image.crop((left - pad, top - pad, right + pad, bottom + pad)))
    gap = int(max(c.height for c in crops) * GAP) + 10
    width = max(c.width for c in crops) + 2 * gap
    strip = Image.new("L", (width, sum(c.height + gap for c in crops) + gap), 255)
    spans, y = [], gap
    for crop in crops:
        strip.paste(crop, (gap, y))
        spans.append((y, y + crop.height))
        y += crop.height + gap
    read: list[list[tuple[int, str]]] = [[] for _ in crops]
    out = tesseract_reads(strip, ["-l", "tha", "--psm", "6", "tsv"], TIMEOUT)
    if out is None:
        return [""] * len(words)
    for row in out.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        middle = int(cells[7]) + int(cells[9]) / 2
        for i, (top, bottom) in enumerate(spans):
            if top - gap / 2 <= middle < bottom + gap / 2:
                read[i].append((int(cells[6]), cells[11].strip()))
    return ["".join(t for _, t in sorted(parts)) for parts in read]


def reread_latin_words(image: Path, text: str, tsv: str) -> tuple[str, str, int]:
    """``text`` and ``tsv`` (Tesseract's output for ``image``) with the Thai words
    Tesseract wrote in Latin letters read again (see the module's docstring), and how many
    were replaced. The TSV's words are changed with the text, so that the Thai digit reader,
    which runs next, finds each of its words where the text has it."""
    found = candidates(text, tsv)
    if not found:
        return text, tsv, 0
    from PIL import Image

    with Image.open(image) as opened:
        readings = _read_strip(opened.convert("L"), [word for word, _ in found])
    rows = tsv.split("\n")
    out, position, changed = [], 0, 0
    for (word, office), thai in zip(found, readings, strict=True):
        core = word.text.strip("()[],;:")
        new = accepted_office(thai) if office else accepted_reading(core, thai)
        if new is None:
            continue
        at = word.start + word.text.index(core)
        out += [text[position:at], new]
        position = at + len(core)
        cells = rows[word.row].split("\t")
        cells[11] = word.text.replace(core, new, 1)
        rows[word.row] = "\t".join(cells)
        changed += 1
    out.append(text[position:])
    return "".join(out), "\n".join(rows), changed
