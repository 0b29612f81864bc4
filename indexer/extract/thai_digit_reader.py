"""Thai digits read again from the page image, where Tesseract's Thai model cannot read them.

Every Thai model Debian ships (tesseract-ocr-tha, tesseract-ocr-script-thai) and the
tessdata_best model in the npm registry's tesseract.js data share one character set in
which ๔ ๖ ๗ ๘ ๙ are missing: Tesseract reads ๔ and ๘ as ๕, ๖ as ๒ or ๐, ๙ as ๓, ๗ as
the letter ฒ, and sometimes one glyph as two characters ("๒9" for ๖), so "๒๕๖๒" comes back
"๒๕๒๒" and a letter's year, number and amount cannot be found. No setting or second pass
of Tesseract can give a character its model has no code for.

So each number Tesseract wrote is looked at again. Tesseract gives a Thai line's
characters as TSV words of their own; the words written next to each other that make a
number (Thai digits, separators, and the stand-ins it writes for the digits it lacks) are
gathered, the page is cut around their boxes, split into glyphs (connected ink: a Thai
digit is one piece), and each glyph is named by a small classifier of digit glyphs
(data/thai_digits.npz, trained by scripts/train_digit_reader.py on digits drawn in the
TLWG faces the benchmark does not print in). Each glyph is paired with what Tesseract
wrote over it:

- one Thai digit: kept, unless the classifier names a digit Tesseract cannot write with
  at least REPLACE_CONFIDENCE (what Tesseract wrote, it can read);
- nothing, two characters ("๒9" for ๖), or a stand-in (ฒ for ๗): the classifier's digit,
  when it is at least REBUILD_CONFIDENCE sure;
- a slash and a digit (joined by the scan): the two, as written;

where the classifier hesitates between ๔ and ๕, the page's sure ๕ decide
(four_or_five.py: the small loop on ๕'s top where they show it, else how far the glyph's
top stands from theirs); separators stay where Tesseract put them, or go on the marks
seen between the glyphs; a lone letter ending the number's word or its code before a slash
(๒๕๕ฒ, ๐๕๑๕.ญ/ว) is read only as a digit Tesseract cannot write; and a number Tesseract
began with ๒๕ keeps its century (a Buddhist-era year). Whenever a glyph is unsure, a written character lies over
no glyph, or the classifier's file is missing, the number stays as Tesseract read it.
Arabic-digit numbers and words of letters are never touched, but for one case: where a
letter prints a number (after ที่, พ.ศ., a month, มาตรา; before a month, a date's day; a
list item's "(๗)" or "๖)" at the start of a line), a word Tesseract wrote in Latin letters ("lo" for ๒, "(ov)" for (๗))
is read from its glyphs when the classifier names every one a Thai digit, surely."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .four_or_five import CLASSIFIER_SURE, FOUR_OR_FIVE, Fives, decide, sure_fives
from .glyph_ink import Glyph, glyphs, marks, partly_inside
from .letter_number_shape import mend_letter_numbers, slash_joined_digits
from .number_span import LATIN_CONFIDENCE, before_unwritten_slash, separators_at_marks
from .number_span import SEPARATORS as _SEPARATORS
from .tsv import placed_words

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
#: The digits missing from the Thai models' character set.
UNWRITABLE = "๔๖๗๘๙"
#: What the classifier names: the ten Thai digits, the slash of a letter number, and the
#: brackets of a list item's number ("(๑)", "๒)"), which Tesseract's boxes often hold.
CLASSES = THAI_DIGITS + "/()"
MODEL = Path(__file__).with_name("data") / "thai_digits.npz"
#: Glyphs are seen as GRID x GRID images of their ink, beside their height/width.
GRID = 20
#: A digit Tesseract wrote is replaced when the classifier names another one with at least
#: this probability (bench/ocr_number_misses.py chose it).
REPLACE_CONFIDENCE = 0.7
#: A word is written again from its glyphs only when every glyph is named this surely.
REBUILD_CONFIDENCE = 0.6
#: A number's word box this many times taller than its others' is not its height: Tesseract
#: drew one ๒ of a year 88 pixels tall, into the next line (the year's other boxes 39-44;
#: a ๖ beside a short ๐ is 1.5 times its height).
TALL_BOX = 1.75
#: What Tesseract writes for a Thai digit alone (๑ as "@"), and, inside a number, the
#: letters and Arabic digits it writes for the digits it has no code for (๗ as ฒ, ๖ as 29
#: or, in Garuda read as one column, "%ใ"; a scanned Garuda year's ๙ as "«").
_DIGIT_LIKE_MARKS = "@©"
_STAND_INS = _DIGIT_LIKE_MARKS + "ฒญฆดอๆใ%«0123456789"
#: What Tesseract writes for a digit it cannot write, ending a number (๗ and ๙ as ฒ, Kinnari's
#: ๗ as ๆ, TlwgTypist's ๖ as 5, Garuda's ๙ as «): read only as a digit it cannot write, surely.
_TAIL_LETTERS = ("ฒ", "ญ", "ฆ", "ด", "อ", "ๆ", "«", *"0123456789")
_NUMBER_CHARS = re.compile(f"^[{THAI_DIGITS}{_STAND_INS}/{_SEPARATORS}]+$")


def features(glyph: Glyph, tallest: int) -> np.ndarray:
    """What the classifier sees of a glyph: its ink scaled to GRID x GRID (darkest = 1),
    and its height and width beside the number's tallest glyph (๐ is shorter than ๖)."""
    from PIL import Image

    peak = float(glyph.ink.max()) or 1.0
    image = Image.fromarray((glyph.ink / peak * 255).astype(np.uint8))
    grid = np.asarray(image.resize((GRID, GRID), Image.Resampling.BILINEAR), np.float32) / 255
    height, width = glyph.ink.shape
    return np.append(grid.ravel(), np.float32([height / tallest, width / tallest]))


@lru_cache(maxsize=1)
def _model() -> dict[str, np.ndarray] | None:
    if not MODEL.is_file():
        return None
    with np.load(MODEL) as stored:
        return {name: stored[name] for name in stored.files}


def probabilities(rows: np.ndarray, model: dict[str, np.ndarray]) -> np.ndarray:
    """Each feature row's probability of each of CLASSES: a one-hidden-layer network whose
    logits are divided by a temperature that keeps its sureness honest on unseen faces."""
    x = (rows - model["mean"]) / model["scale"]
    hidden = np.maximum(x @ model["w1"] + model["b1"], 0.0)
    logits = (hidden @ model["w2"] + model["b2"]) / model.get("temperature", 1.0)
    logits -= logits.max(axis=1, keepdims=True)
    odds = np.exp(logits)
    return odds / odds.sum(axis=1, keepdims=True)


_FOUR, _FIVE = CLASSES.index("๔"), CLASSES.index("๕")


def _named(tall: list[Glyph], model, fives: Fives | None = None) -> tuple[str, np.ndarray]:
    """The classifier's character for each glyph, and how sure it is of each; where it
    cannot tell ๔ from ๕, the page's sure ๕ (``fives``; None: judged from these glyphs)
    decide (four_or_five.py), as sure as the two together and at least sure enough to
    replace Tesseract's ๕ (Loma's ๔ gets 0.6-0.7 of the two)."""
    tallest = max(glyph.height for glyph in tall)
    rows = np.stack([features(glyph, tallest) for glyph in tall])
    chances = probabilities(rows, model)
    best = chances.argmax(axis=1)
    sure = chances[np.arange(len(best)), best].astype(float)
    if fives is None:
        fives = sure_fives(
            [(g, CLASSES[i], s, f) for g, i, s, f in zip(tall, best, sure, rows, strict=True)]
        )
    for i, glyph in enumerate(tall):
        four, five = chances[i, _FOUR], chances[i, _FIVE]
        likeliest = set(np.argsort(-chances[i])[:2].tolist())
        if likeliest != {_FOUR, _FIVE} or four + five < FOUR_OR_FIVE or sure[i] >= CLASSIFIER_SURE:
            continue
        is_five = decide(glyph, rows[i], fives)
        if is_five is not None:
            best[i] = _FIVE if is_five else _FOUR
            sure[i] = max(four + five, REPLACE_CONFIDENCE)
    return "".join(CLASSES[i] for i in best), sure


#: How sure the classifier must be of a ๔ or ๘ after ๒ to overrule the year rule.
CENTURY_OVERRULED = 0.9


def _as_year(read: str, new: str, second: tuple[str, float] = ("", 0.0)) -> str:
    """A four-digit number Tesseract began with ๒๕ is a Buddhist-era year (๒๕๖๘): the
    classifier may change its last two digits, not the century, unless it is sure
    (``second``: its character for the second glyph and how sure) that the ๕ is a ๔ or ๘
    Tesseract cannot write (an amount ๒๘๐๐, a year ๒๔๗๕)."""
    name, sure = second
    if name in ("๔", "๘") and sure >= CENTURY_OVERRULED:
        return new
    if re.fullmatch("๒๕[๐-๙]{2}", read) and re.fullmatch("[๐-๙]{4}", new):
        return "๒๕" + new[2:]
    return new


@dataclass
class _Word:
    text: str  # without the brackets around it
    left: int
    top: int
    right: int
    bottom: int
    start: int = 0  # where ``text`` stands in the page's text
    end: int = 0
    opening: bool = False  # Tesseract wrote "(" before it, in the same box
    closing: bool = False  # and ")" after it
    tail: bool = False  # a lone letter ending a number's word: a digit only if surely one


def _placed_chars(words: list[_Word]) -> list[tuple[float, str]]:
    """Each character Tesseract wrote, at the middle of its share of its word's box (a
    separator's share a third of a digit's, as printed)."""
    placed = []
    for word in words:
        written = "(" * word.opening + word.text + ")" * word.closing
        widths = [1 / 3 if char in _SEPARATORS else 1.0 for char in written]
        unit = (word.right - word.left) / sum(widths)
        x = word.left
        for i, (char, width) in enumerate(zip(written, widths, strict=True)):
            if word.opening <= i < len(written) - word.closing:
                placed.append((x + width * unit / 2, char))
            x += width * unit
    return placed


def _glyph_char(written: list[str], named: str, sure: float) -> str | None:
    """The character for one glyph: what Tesseract wrote over it when that is one Thai
    digit (or "/"), unless the classifier surely names a digit Tesseract cannot write (what
    it wrote, it can read); otherwise (nothing, two characters for one glyph, a letter
    standing in) the classifier's digit when it is sure enough, or None."""
    if written == ["/"]:
        return "/"
    if len(written) == 1 and written[0] in THAI_DIGITS:
        return named if named in UNWRITABLE and sure >= REPLACE_CONFIDENCE else written[0]
    return named if named != "/" and sure >= REBUILD_CONFIDENCE else None


def _named_in(
    page: np.ndarray, words: list[_Word], model, fives: Fives | None = None
) -> tuple[int, list, str, np.ndarray, list[float]]:
    """The glyphs in the words' boxes (their places from the returned left edge), with the
    classifier's character for each and how sure it is; the brackets of "(๑)", often in
    the box of its digit and not in its text, are left out at the ends."""
    # Tesseract's boxes can cut a digit short (๐ by a third, a ๒ to its last quarter): the
    # glyphs are found in a box widened by half its height, and those not a quarter inside
    # the number (a line's boxes can stand a third of a glyph askew) are not its, unless a
    # word's box has its middle on them, or it touches a tail letter's box (cut short as a
    # digit's can be); a tail's box (a letter's, often as tall as its line) does not make
    # the crop taller than the digits', nor does a box Tesseract drew far taller than the
    # number's others (down into the next line, whose letters then joined a digit's ink)
    digits = [w for w in words if not w.tail] or words
    heights = sorted(w.bottom - w.top for w in digits if w.text not in _SEPARATORS)
    if heights:
        usual = heights[(len(heights) - 1) // 2]
        digits = [w for w in digits if w.bottom - w.top <= TALL_BOX * usual] or digits
    top = max(0, min(w.top for w in digits) - 2)
    bottom = max(w.bottom for w in digits) + 2
    margin = (bottom - top) // 2
    left = max(0, min(w.left for w in words) - margin)
    right = max(w.right for w in words) + margin
    crop = page[top:bottom, left:right]
    inside = (min(w.left for w in words) - left, max(w.right for w in words) - left)
    middles = [(w.left + w.right) / 2 - left for w in words]
    tails = [(w.left - left, w.right - left) for w in words if w.tail]
    tall = [
        glyph
        for glyph in (glyphs(crop, inside) if crop.size else [])
        if partly_inside(glyph.left, glyph.right, inside)
        or any(glyph.left <= middle < glyph.right for middle in middles)
        or any(a < glyph.right and glyph.left < b for a, b in tails)
    ]
    if not tall:
        return left, [], "", np.zeros(0), []
    named, sureness = _named(tall, model, fives)
    first = len(named) - len(named.lstrip("("))
    last = len(named.rstrip(")"))
    low_marks = [left + x for x in marks(crop)]
    return left, tall[first:last], named[first:last], sureness[first:last], low_marks


def _reread(page: np.ndarray, words: list[_Word], old: str, fives: Fives | None = None) -> str:
    """A number Tesseract wrote as ``words`` (``old`` in its text) read again from the
    glyphs in their boxes: each glyph paired with the characters Tesseract placed over it,
    separators kept where Tesseract placed them; ``old`` whenever a glyph leaves doubt."""
    model = _model()
    if model is None or not all(_NUMBER_CHARS.match(word.text) for word in words):
        return old
    left, tall, named, sureness, seen_marks = _named_in(page, words, model, fives)
    if not tall or "(" in named or ")" in named:
        return old
    placed = _placed_chars(words)
    tall, named, sureness = before_unwritten_slash(tall, named, sureness, placed, left)
    out = separators_at_marks(
        [(x, c) for x, c in placed if c in _SEPARATORS], tall, left, seen_marks
    )
    tailed = any(word.tail for word in words)
    tail_at = {x for x, _ in _placed_chars([word for word in words if word.tail])}
    tail_glyph = -1
    # each character Tesseract wrote goes to the glyph under it, or the nearest one
    on_glyphs: list[list[str]] = [[] for _ in tall]
    for x, char in placed:
        if char in _SEPARATORS:
            continue
        distances = [
            0 if left + g.left <= x < left + g.right else abs(x - left - (g.left + g.right) / 2)
            for g in tall
        ]
        nearest = int(np.argmin(distances))
        if distances[nearest] > tall[nearest].right - tall[nearest].left:
            return old  # a character Tesseract wrote over no glyph found here
        on_glyphs[nearest].append(char)
        if x in tail_at and len(on_glyphs[nearest]) > 1:
            return old  # the tail letter over a digit's glyph, not a glyph of its own
        if x in tail_at:
            tail_glyph = nearest
    widths = sorted(g.right - g.left for g in tall)
    tallest = max(g.height for g in tall)
    marks = [x for x, _ in out]  # so far only the separators
    for i, (glyph, name, sure, written) in enumerate(
        zip(tall, named, sureness, on_glyphs, strict=True)
    ):
        under_separator = any(left + glyph.left <= x < left + glyph.right for x in marks)
        if not written and under_separator and glyph.height < 0.75 * tallest:
            continue  # a heavy comma (TlwgTypist's), cut as a glyph: Tesseract wrote it
        wide = glyph.right - glyph.left > 1.4 * widths[len(widths) // 2]
        if wide and sum(c in THAI_DIGITS for c in written) > 1:
            return old  # two digits touching, cut as one glyph
        if wide and len(written) == 2 and "/" in written and set(written) & set(THAI_DIGITS):
            # a slash touching its digit, cut as one glyph (the classifier names it a digit
            # and the slash was lost): kept as Tesseract wrote the two
            out.append((left + (glyph.left + glyph.right) / 2, "".join(written)))
            continue
        char = _glyph_char(written, name, float(sure))
        if char is None:
            return old
        kept = len(written) == 1 and written[0] in THAI_DIGITS  # as Tesseract wrote it
        if tailed and not kept and (name not in THAI_DIGITS or sure < LATIN_CONFIDENCE):
            return old  # a glyph, the letter's or one nothing was written over, not surely a digit
        if i == tail_glyph and name not in UNWRITABLE:
            return old  # Tesseract writes a letter only for a digit it cannot write: a letter
        out.append((left + (glyph.left + glyph.right) / 2, char))
    second = (named[1], float(sureness[1])) if len(named) > 1 else ("", 0.0)
    return _as_year(old, "".join(char for _, char in sorted(out)), second)


def reread_word(page: np.ndarray, box: tuple[int, int, int, int], word: str) -> str:
    """One word Tesseract read as a Thai number, and its box, read again from its glyphs
    (see the module's docstring); ``word`` whenever the glyphs leave doubt."""
    left, top, width, height = box
    return _reread(page, [_Word(word, left, top, left + width, top + height)], word)


def _tsv_words(text: str, tsv: str):
    """Tesseract's TSV words, each as a _Word placed where it stands in ``text`` (None for
    a word not found there as written)."""
    for placed in placed_words(text, tsv):
        if not placed.placed:
            yield None
            continue
        written = placed.text
        opening, closing = written.startswith("("), written.endswith(")")
        yield _Word(
            written[opening : len(written) - closing], *placed.box,
            placed.start + opening, placed.end - closing, opening, closing,
        )  # fmt: skip


def _number_runs(text: str, tsv: str) -> list[list[_Word]]:
    """Tesseract's TSV words that make up one number, in reading order. Tesseract gives a
    Thai line's characters as words of their own ("๒", "๕", ".", "๑") and writes them in
    its text without spaces, so a number is the words written next to each other in the
    text, each made of digits, separators or stand-ins, with at least one Thai digit;
    stand-ins are not taken at a number's ends, but for a lone letter (ฒ for ๙) ending the
    word of the digits before it, a ``tail`` read only if surely a digit. A bracket closes a
    number."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    for word in _tsv_words(text, tsv):
        if word is None:  # not in the text as written: leave the number here
            runs.append(current)
            current = []
            continue
        joins = current and not word.opening and current[-1].end == word.start
        if not joins or not _NUMBER_CHARS.match(word.text):
            runs.append(current)
            current = []
        if _NUMBER_CHARS.match(word.text):
            current.append(word)
        if word.closing:
            runs.append(current)
            current = []
    runs.append(current)
    trimmed = []
    for run in runs:
        # ๑ alone as "@", or a list item's ๒. as "©." in one box (a lone "." is no stand-in)
        lone_stand_in = len(run) == 1 and run[0].text.rstrip(".") in tuple(_DIGIT_LIKE_MARKS)
        while run and not lone_stand_in and not any(c in THAI_DIGITS for c in run[0].text):
            run = run[1:]
        while len(run) > 1 and run[-1].text == "/":  # a letter number's slash: its code ends
            run = run[:-1]
        ends_word = run and text[run[-1].end : run[-1].end + 1] in ("", " ", "\n", "/")
        if len(run) > 1 and ends_word and run[-1].text in _TAIL_LETTERS:
            # after the digits, or after a separator after them (a code's ๐๕๑๔.๗ as ๐๕๑๕.ญ)
            before = (
                run[-2].text if run[-2].text not in _SEPARATORS or len(run) < 3 else run[-3].text
            )
            run[-1].tail = any(c in THAI_DIGITS for c in before)
        while run and not lone_stand_in and not run[-1].tail:
            if any(c in THAI_DIGITS for c in run[-1].text):
                break
            run = run[:-1]
        if run:
            trimmed.append(run)
    return trimmed


#: Words after which a letter prints a number (its number, a day, a year, an article of a
#: law), where Tesseract writes a Thai number it cannot read as Latin letters ("lo" for ๒,
#: "wees" for ๒๕๕๙, "om" for ๑๓). "wa." is how Tesseract writes พ.ศ. when it writes the year
#: after it in Latin letters as well.
_MONTHS = "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม"
_NUMBER_AFTER = re.compile(rf"(?:ที่|ศ\.|wa\.|ข้อ|มาตรา|จำนวน|ฉบับ|{_MONTHS})\s*$")
#: A date's day, written before its month ("we พฤศจิกายน" for ๒๕ พฤศจิกายน).
_NUMBER_BEFORE = re.compile(rf"^\s+(?:{_MONTHS})")
_LATIN_STAND_IN = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9@©]{1,6}$")
#: A list item's number at the start of a line, before ")" or ".", Tesseract writes as
#: anything but Thai: "(ov)" or "(<)" for (๗) or (๘), "lo." for ๒., "9)" for ๖).
_LISTED_STAND_IN = re.compile(r"^[A-Za-z0-9<>«»]{1,3}$")


def _latin_words(text: str, tsv: str) -> list[tuple[_Word, str]]:
    """Words Tesseract wrote in Latin letters where a letter prints a Thai number (after
    _NUMBER_AFTER, or a list item's number), each with its text less a closing dot."""
    found = []
    for word in _tsv_words(text, tsv):
        if word is None:
            continue
        dotted = len(word.text) > 1 and word.text.endswith(".")
        core = word.text[:-1] if dotted else word.text
        begins = word.start - word.opening
        line = text[text.rfind("\n", 0, begins) + 1 : begins]
        listed = re.fullmatch(r"[\s\-–•*]{0,3}", line) and (
            word.closing or dotted or text[word.end : word.end + 1] == "."
        )
        if listed:
            if not _LISTED_STAND_IN.match(core):
                continue
        elif not _LATIN_STAND_IN.match(core) or not (
            _NUMBER_AFTER.search(
                text[max(0, begins - 20) : begins].replace("\u0e4d\u0e32", "\u0e33")
            )
            or _NUMBER_BEFORE.match(text[word.end : word.end + 20])
        ):
            continue
        found.append((word, core))
    return found


def _latin_numbers(
    page: np.ndarray, latin: list[tuple[_Word, str]], fives: Fives | None = None
) -> list[tuple[int, int, str]]:
    """The Thai numbers among ``latin`` (_latin_words): (start, end, digits) in the page's
    text, each glyph named a Thai digit by the classifier, surely."""
    model = _model()
    found: list[tuple[int, int, str]] = []
    for word, core in latin if model is not None else ():
        _, tall, named, sureness, _ = _named_in(page, [word], model, fives or Fives())
        if (
            tall
            and all(char in THAI_DIGITS for char in named)
            and float(sureness.min()) >= LATIN_CONFIDENCE
        ):
            found.append((word.start, word.start + len(core), named))
    return found


def _page_fives(page: np.ndarray, runs: list[list[_Word]]) -> Fives:
    """The ๕ the classifier is sure of among all the page's numbers (four_or_five.Fives),
    those Tesseract wrote in Latin letters too: one number may hold none, and on a clean
    Loma page the only sure ๕ stood in a year written "added"."""
    model = _model()
    named: list = []
    for run in runs if model is not None else ():
        _, tall, names, sureness, _ = _named_in(page, run, model, fives=Fives())
        if tall:
            tallest = max(glyph.height for glyph in tall)
            rows = [features(glyph, tallest) for glyph in tall]
            named += zip(tall, names, sureness.tolist(), rows, strict=True)
    return sure_fives(named)


def reread_thai_digits(image: Path, text: str, tsv: str) -> tuple[str, int]:
    """``text`` (Tesseract's txt output for ``image``) with the Thai numbers of its TSV
    read again, and how many numbers changed. Each number is replaced where its words stand
    in ``text``, so a change lands on the number Tesseract wrote, not on an equal one."""
    from PIL import Image

    runs = _number_runs(text, tsv)
    if not runs and not re.search(r"[A-Za-z]|^\. ", text, re.MULTILINE):
        return mend_letter_numbers(text)
    with Image.open(image) as opened:
        page = np.asarray(opened.convert("L"))
    latin = _latin_words(text, tsv)
    fives = _page_fives(page, runs + [[word] for word, _ in latin])
    edits = _latin_numbers(page, latin, fives)
    if _model() is not None:
        from .lost_list_numbers import lost_list_numbers  # (it reads glyphs as this module does)

        edits += lost_list_numbers(page, text, tsv, _model(), fives)
        edits += slash_joined_digits(page, text, tsv, lambda tall: _named(tall, _model(), fives))
    for run in runs:
        old = text[run[0].start : run[-1].end]
        new = _reread(page, run, old, fives)
        if new == old and run[-1].tail:  # the letter not surely a digit: the digits alone
            run = run[:-1]
            old = text[run[0].start : run[-1].end]
            new = _reread(page, run, old, fives)
        if new != old:
            edits.append((run[0].start, run[-1].end, new))
    out, position = [], 0
    for start, end, new in sorted(edits):
        out += [text[position:start], new]
        position = end
    out.append(text[position:])
    # what the glyphs cannot tell, the letter number's shape can (ณ for ๙, ")" for ว)
    mended, changed = mend_letter_numbers("".join(out))
    return mended, len(edits) + changed
