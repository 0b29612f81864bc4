"""Repair Thai text damaged on its way out of PDF text layers.

The damage is specific and well understood, so each kind of damage has its own
small, pure step (like Whoosh's analysis filters); `repair_thai` runs them in
order and reports which ones changed something.

Damage seen in real documents (see tests/test_thai_repair.py for the snippets):

* LibreOffice PDFs: sara am comes out as U+0E33 U+0E32 ("ดำาเนิน").
* Word/Distiller PDFs in TH SarabunPSK: sara am decomposed into nikhahit + sara aa
  ("คําสั่ง"), sometimes with the tone mark between them ("นํ้า").
* Fonts with the Windows/Mac Thai "PUA shaping" glyphs (U+F700-U+F71A,
  U+F884-U+F89E) leak those code points instead of the real marks.
* InDesign/Acrobat PDFs (Budget Bureau): sara am as U+FFFD + sara aa, tone marks
  as Latin-1 letters (É Ê Í), a space before a tone mark ("ผู ้").
* Marks in non-canonical order (tone mark before a below/above vowel).
* Line breaks and justification spaces inside words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# --- character classes --------------------------------------------------------

CONSONANTS = "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ"
ABOVE_VOWELS = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e47"  # ั ิ ี ึ ื ็
BELOW_VOWELS = "\u0e38\u0e39\u0e3a"  # ุ ู ฺ
TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b"  # ่ ้ ๊ ๋
OTHER_MARKS = "\u0e4c\u0e4d\u0e4e"  # ์ ํ ๎
#: Characters that attach to the character before them (Unicode category Mn).
COMBINING_MARKS = ABOVE_VOWELS + BELOW_VOWELS + TONE_MARKS + OTHER_MARKS
SARA_AM = "\u0e33"
SARA_A = "\u0e30"  # ะ, never written twice: OCR reads "ระบบ" as "ระะบบ"
SARA_AA = "\u0e32"
NIKHAHIT = "\u0e4d"
THAI_LETTER = "\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e"  # letters, vowels and marks

# Thai PUA shaping glyphs -> the character they draw. Table from HarfBuzz
# (src/hb-ot-shaper-thai.cc, thai_pua_shape): Windows code point, Mac code point.
_PUA_PAIRS: tuple[tuple[str, int, int], ...] = (
    # shifted down (SD)
    ("\u0e48", 0xF70A, 0xF88B),
    ("\u0e49", 0xF70B, 0xF88E),
    ("\u0e4a", 0xF70C, 0xF891),
    ("\u0e4b", 0xF70D, 0xF894),
    ("\u0e4c", 0xF70E, 0xF897),
    ("\u0e38", 0xF718, 0xF89B),
    ("\u0e39", 0xF719, 0xF89C),
    ("\u0e3a", 0xF71A, 0xF89D),
    # shifted down and left (SDL)
    ("\u0e48", 0xF705, 0xF88C),
    ("\u0e49", 0xF706, 0xF88F),
    ("\u0e4a", 0xF707, 0xF892),
    ("\u0e4b", 0xF708, 0xF895),
    ("\u0e4c", 0xF709, 0xF898),
    # shifted left (SL)
    ("\u0e48", 0xF713, 0xF88A),
    ("\u0e49", 0xF714, 0xF88D),
    ("\u0e4a", 0xF715, 0xF890),
    ("\u0e4b", 0xF716, 0xF893),
    ("\u0e4c", 0xF717, 0xF896),
    ("\u0e31", 0xF710, 0xF884),
    ("\u0e34", 0xF701, 0xF885),
    ("\u0e35", 0xF702, 0xF886),
    ("\u0e36", 0xF703, 0xF887),
    ("\u0e37", 0xF704, 0xF888),
    ("\u0e47", 0xF712, 0xF889),
    ("\u0e4d", 0xF711, 0xF899),
    # consonants without descender (RD)
    ("\u0e0d", 0xF70F, 0xF89A),
    ("\u0e10", 0xF700, 0xF89E),
)
PUA_TO_THAI: dict[int, str] = {}
for _char, _win, _mac in _PUA_PAIRS:
    PUA_TO_THAI[_win] = _char
    PUA_TO_THAI[_mac] = _char
_RE_PUA = re.compile("[\uf700-\uf71a\uf884-\uf89e]")

# Latin-1 letters that some PSL fonts' text layers give for tone marks, seen in the
# Budget Bureau PDF: "ทีÉ" (ที่), "ทัÊง" (ทั้ง), "สัมฤทธิÍ" (สัมฤทธิ์).
_LEGACY_LATIN = {"É": "\u0e48", "Ê": "\u0e49", "Í": "\u0e4c"}
_RE_LEGACY_LATIN = re.compile(f"(?<=[{THAI_LETTER}])[ÉÊÍ]")


@dataclass(frozen=True)
class RepairResult:
    text: str
    repairs: tuple[str, ...]


# --- steps: each is str -> str, pure ---------------------------------------------


def fix_pua_glyphs(text: str) -> str:
    """Map Thai PUA shaping glyphs to the character they draw ('\\uf70a' -> '่')."""
    if not _RE_PUA.search(text):
        return text
    return text.translate(PUA_TO_THAI)


def fix_legacy_latin_marks(text: str) -> str:
    """'ทีÉ' -> 'ที่': Latin-1 letters standing for tone marks right after Thai."""
    return _RE_LEGACY_LATIN.sub(lambda m: _LEGACY_LATIN[m.group(0)], text)


_RE_FFFD_SARA_AM = re.compile(f"(?<=[{CONSONANTS}{TONE_MARKS}])\ufffd([{TONE_MARKS}]?){SARA_AA}")


def fix_replacement_char_sara_am(text: str) -> str:
    """'ส\\ufffdานัก' -> 'สำนัก': the nikhahit half of sara am lost as U+FFFD."""
    return _RE_FFFD_SARA_AM.sub(lambda m: m.group(1) + SARA_AM, text)


def drop_replacement_chars(text: str) -> str:
    """Remove any U+FFFD still left: it carries no information, and breaks words."""
    return text.replace("\ufffd", "")


_RE_SARA_AM_DOUBLED = re.compile(f"{SARA_AM}([{TONE_MARKS}]?){SARA_AA}")


def fix_sara_am_doubled(text: str) -> str:
    """'ดำาเนิน' -> 'ดำเนิน' (LibreOffice maps the nikhahit glyph to sara am)."""
    return _RE_SARA_AM_DOUBLED.sub(lambda m: m.group(1) + SARA_AM, text)


_RE_SARA_AM_DECOMPOSED = re.compile(f"{NIKHAHIT}([{TONE_MARKS}]?){SARA_AA}")


def fix_sara_am_decomposed(text: str) -> str:
    """'คําสั่ง' -> 'คำสั่ง', 'นํ้า' -> 'น้ำ' (nikhahit + [tone] + sara aa)."""
    return _RE_SARA_AM_DECOMPOSED.sub(lambda m: m.group(1) + SARA_AM, text)


_RE_TONE_BEFORE_VOWEL = re.compile(f"([{TONE_MARKS}\u0e4c]+)([{ABOVE_VOWELS}{BELOW_VOWELS}]+)")
_RE_SARA_AM_BEFORE_TONE = re.compile(f"{SARA_AM}([{TONE_MARKS}])")


def fix_mark_order(text: str) -> str:
    """Put marks in logical order: vowel sign before tone mark ('คุ้ม' -> 'คุ้ม'),
    tone mark before sara am ('นำ้' -> 'น้ำ')."""
    text = _RE_TONE_BEFORE_VOWEL.sub(r"\2\1", text)
    return _RE_SARA_AM_BEFORE_TONE.sub(lambda m: m.group(1) + SARA_AM, text)


_RE_SPACE_BEFORE_MARK = re.compile(
    f"(?<=[{THAI_LETTER}])[ \t]+(?=[{COMBINING_MARKS}{SARA_AM}{SARA_A}])"
)


def fix_space_before_mark(text: str) -> str:
    """'ผู ้ประกอบ' -> 'ผู้ประกอบ': a mark (or sara a, OCR's 'ระ ะบบ') cannot start a word,
    so the space is an artefact."""
    return _RE_SPACE_BEFORE_MARK.sub("", text)


_RE_REPEATED_TONE = re.compile(f"[{TONE_MARKS}]{{2,}}")
_RE_ZERO_WIDTH = re.compile("[\u200b\u200c\ufeff]")
_RE_DOUBLED_MARK = re.compile(f"([{COMBINING_MARKS}{SARA_AM}{SARA_A}])\\1+")


def normalize_thai(text: str) -> str:
    """Layout-preserving subset of pythainlp.util.normalize: drop zero-width characters,
    keep only the last of stacked tone marks, collapse a doubled mark, sara am ("จำำแนก") or
    sara a (OCR's "คณะะทำงาน"), 'เเ' -> 'แ'.
    Unlike pythainlp's normalize it keeps newlines and runs of spaces (layout)."""
    text = _RE_ZERO_WIDTH.sub("", text)
    text = text.replace("\u0e40\u0e40", "\u0e41")
    text = _RE_REPEATED_TONE.sub(lambda m: m.group(0)[-1], text)
    return _RE_DOUBLED_MARK.sub(r"\1", text)


# --- dictionary-guided steps ---------------------------------------------------


@lru_cache(maxsize=1)
def _words() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def _tokenize(text: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize

    return word_tokenize(text, engine="newmm", keep_whitespace=False)


_RE_THAI_RUN = re.compile(f"[{THAI_LETTER}]+")
_RE_LEFT_RUN = re.compile(f"[{THAI_LETTER}]+$")
_RE_RIGHT_RUN = re.compile(f"[{THAI_LETTER}]+")
_RE_SPACE_IN_THAI = re.compile(f"(?<=[{THAI_LETTER}]) (?=[{THAI_LETTER}])")
# Characters that cannot end a Thai word: a lead vowel waits for its consonant.
_LEAD_VOWELS = "เแโใไ"


def _break_inside_word(left: str, right: str) -> bool:
    """True when newmm, reading left+right as one string, puts no token boundary
    where they meet: the break (space or line break) is inside a word."""
    left, right = left[-20:], right[:20]
    position = 0
    for token in _tokenize(left + right):
        position += len(token)
        if position == len(left):
            return False
        if position > len(left):
            return True
    return False


def _split_is_wrong(left: str, right: str) -> bool:
    """True when a space between two Thai runs sits inside a word: the pieces on its
    two sides are not both words, and read together newmm makes them one word."""
    if left[-1] in _LEAD_VOWELS:
        return True
    words = _words()
    left_tokens = _tokenize(left[-20:])
    right_tokens = _tokenize(right[:20])
    if not left_tokens or not right_tokens:
        return False
    if left_tokens[-1] in words and right_tokens[0] in words:
        return False
    return _break_inside_word(left, right)


def _abbreviation_next_to(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """'ประจำปี พ.ศ.', 'สำนักงาน ก.พ.ร.': a run that is part of an abbreviation is whole."""
    after = text[right.end() : right.end() + 1]
    before = text[left.start() - 1 : left.start()] if left.start() else ""
    return after == "." or before == "."


def _join_where(text: str, separator: re.Pattern[str], wrong: Callable[[str, str], bool]) -> str:
    """Remove each separator match (between two Thai letters) for which
    wrong(thai run before, thai run after) is true."""
    out: list[str] = []
    start = 0
    for match in separator.finditer(text):
        left = _RE_LEFT_RUN.search(text, max(0, match.start() - 80), match.start())
        right = _RE_RIGHT_RUN.match(text, match.end())
        if not (left and right) or _abbreviation_next_to(text, left, right):
            continue
        if wrong(left.group(0), right.group(0)):
            out.append(text[start : match.start()])
            start = match.end()
    out.append(text[start:])
    return "".join(out)


def fix_intra_word_space(text: str) -> str:
    """'หน่ วยงาน' -> 'หน่วยงาน': justified PDFs put single spaces inside words.
    Only joins when the pieces are not both words and together newmm reads one word."""
    return _join_where(text, _RE_SPACE_IN_THAI, _split_is_wrong)


_RE_WRAPPED_LINE = re.compile(f"(?<=[{THAI_LETTER}])[ \t]*\n[ \t]*(?=[{THAI_LETTER}])")


def join_wrapped_lines(text: str) -> str:
    """'เจ้า\nหน้าที่' -> 'เจ้าหน้าที่': join a line break between Thai letters when it
    falls inside a word (the line wrapped there). Only for layout text (PDF, OCR),
    never for files whose line breaks the author typed."""
    return _join_where(text, _RE_WRAPPED_LINE, _break_inside_word)


_RE_SPACE_AFTER_SLASH = re.compile(f"(?<=[{THAI_LETTER}])/[ \t]+(?=[{THAI_LETTER}])")


def fix_space_after_slash(text: str) -> str:
    """'กิจกรรม/   โครงการ' -> 'กิจกรรม/โครงการ': Thai writes 'A/B' lists without spaces;
    justified PDF lines stretch the gap after the slash."""
    return _RE_SPACE_AFTER_SLASH.sub("/", text)


# Thai that ends a wrapped line and Thai that opens the next. ฯ and ๆ are left out: a
# space follows them in running text.
_RE_WRAP_END = re.compile("[\u0e01-\u0e2e\u0e30-\u0e45\u0e47-\u0e4e]$")
_RE_WRAP_START = re.compile("^[\u0e01-\u0e4e]")


def join_wrapped(lines: list[str], spaces: list[bool] | None = None) -> str:
    """Join the lines of one wrapped paragraph into one line: Thai next to Thai, and a line
    ending in '/' ('กิจกรรม/' + 'โครงการ'), join without a space (Thai wraps between words
    that have none), anything else with one. ``spaces[i]``: line i ended with a space in
    the source (the writer's space, kept). Runs of spaces become one."""
    out = ""
    for i, line in enumerate(lines):
        line = re.sub(r"\s+", " ", line.strip())
        if not line:
            continue
        if not out:
            out = line
        elif (
            (_RE_WRAP_END.search(out) and _RE_WRAP_START.match(line)) or out.endswith("/")
        ) and not (spaces and spaces[i - 1]):
            out += line
        else:
            out += " " + line
    return out


def unwrap_lines(text: str) -> str:
    """A paragraph of layout lines as one line (see ``join_wrapped``)."""
    lines = text.split("\n")
    return join_wrapped(lines, [line != line.rstrip() for line in lines])


# --- pipeline ----------------------------------------------------------------------

Step = Callable[[str], str]

#: (name reported in RepairResult.repairs, step), in the order they run.
STEPS: tuple[tuple[str, Step], ...] = (
    ("pua-glyphs", fix_pua_glyphs),
    ("legacy-latin-marks", fix_legacy_latin_marks),
    ("replacement-char-sara-am", fix_replacement_char_sara_am),
    ("replacement-char-dropped", drop_replacement_chars),
    ("sara-am-doubled", fix_sara_am_doubled),
    ("sara-am-decomposed", fix_sara_am_decomposed),
    ("space-before-mark", fix_space_before_mark),
    ("mark-order", fix_mark_order),
    ("normalize", normalize_thai),
)

#: Steps only for text whose line breaks and spaces come from page layout.
LAYOUT_STEPS: tuple[tuple[str, Step], ...] = (
    ("line-join", join_wrapped_lines),
    ("intra-word-space", fix_intra_word_space),
    ("slash-space", fix_space_after_slash),
)


def run_steps(text: str, steps: tuple[tuple[str, Step], ...]) -> RepairResult:
    repairs: list[str] = []
    for name, step in steps:
        fixed = step(text)
        if fixed != text:
            repairs.append(name)
            text = fixed
    return RepairResult(text=text, repairs=tuple(repairs))


def repair_thai(text: str, *, layout: bool = False) -> RepairResult:
    """Run every character-level repair. With layout=True (PDF text layers, OCR) also
    join wrapped lines and remove justification spaces inside words."""
    steps = STEPS + LAYOUT_STEPS if layout else STEPS
    return run_steps(text, steps)


# --- quality --------------------------------------------------------------------


def thai_text_quality(text: str) -> float:
    """Share of Thai tokens (newmm) that are dictionary words, 0.0-1.0.

    Clean Thai prose scores about 0.9 and up; a text layer whose font maps glyphs to
    the wrong characters scores far lower. Text with no Thai scores 1.0 (nothing to
    judge)."""
    tokens = [t for t in _tokenize(text) if _RE_THAI_RUN.fullmatch(t) and len(t) > 1]
    if not tokens:
        return 1.0
    words = _words()
    return sum(t in words for t in tokens) / len(tokens)
