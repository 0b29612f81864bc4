"""Things named in a text: projects, activities, amounts of money, fiscal years.

All functions take the prepared text (Arabic digits) and the printed text of the same
length, and return printed text.
"""

from __future__ import annotations

import re
from collections import Counter

_THAI = "\u0e01-\u0e4e"

# A name runs to the first space; a following '(อักษรย่อ)' or a quoted “...” part, and a
# cluster number ('กลุ่มจังหวัดภาคเหนือตอนบน 1') belong to it.
_NAME_TAIL = r"(?:\s?\([^()\s]{1,12}\)|\s?[“\"][^”\"\n]{1,80}[”\"]|\s\d{1,2}(?![\d/.,]))*"


def _named(word: str) -> re.Pattern[str]:
    return re.compile(rf"{word}(?P<body>[{_THAI}][^\s<>]*){_NAME_TAIL}")


_PROJECT = _named("โครงการ")
_ACTIVITY = _named("กิจกรรม")

# What follows โครงการ/กิจกรรม when it is not a name.
_NOT_A_NAME = re.compile(
    r"^(?:ฯ|ดังกล่าว|ที่|แล้ว|ใน|ไป|ได้|นี้|นั้น|และ|จะ|ซึ่ง|ให้|ของ|ต่าง|ทั้ง|ตาม|ละ|คง|หลัก|ย่อย|"
    r"ดำเนิน|เป็น|มี|จำนวน|ทุก|อื่น|เพื่อ|โดย|หรือ|กับ|แต่|จาก|ต่อ|เหล่านี้|สำคัญ|เดียว|ใด|"
    r"ประจำปี|ภายใต้|ระดับ|เชิงรุก|เสร็จ)"
)


# A file's path or name ('โครงการท่องเที่ยว/รายงาน.docx', a bundle's listing, a list of
# attachments) is not a project's or an activity's name.
_PATH_OR_FILE = re.compile(r"[/\\][^/\\\s]+\.[A-Za-z0-9]{1,5}$|\.[A-Za-z][A-Za-z0-9]{1,4}$|[/\\]$")


def _names(pattern: re.Pattern[str], word: str, prep: str, raw: str) -> list[str]:
    out: list[str] = []
    for m in pattern.finditer(prep):
        body = m["body"]
        if _NOT_A_NAME.match(body) or len(body) < 4 or "/" in body[:3]:
            continue
        if _PATH_OR_FILE.search(body):
            continue
        before = prep[max(0, m.start() - 3) : m.start()]
        if re.search(r"(?<!\d)\d{1,3} ?$", before):  # '๑๔ โครงการ' counts projects
            continue
        name = re.sub(r"\s+", " ", raw[m.start() : m.end()]).rstrip(" ,")
        name = name.rstrip("ฯ").rstrip()
        if name not in out:
            out.append(name)
    return out


def unwrap(prep: str, raw: str, min_line: int = 50) -> tuple[str, str]:
    """Join lines of wrapped paragraphs (a line of ``min_line``+ chars ending in a Thai
    letter, followed by one starting with one) so names broken across lines come whole.
    Applied to both texts at the same places, so they stay aligned."""
    cuts = [
        m.start()
        for m in re.finditer(rf"(?<=[{_THAI}])\n(?=[{_THAI}])", prep)
        if m.start() - (prep.rfind("\n", 0, m.start()) + 1) >= min_line
    ]
    if not cuts:
        return prep, raw
    keep = [(a + 1, b) for a, b in zip([-1, *cuts], [*cuts, len(prep)], strict=True)]
    return "".join(prep[a:b] for a, b in keep), "".join(raw[a:b] for a, b in keep)


def find_projects(prep: str, raw: str) -> list[str]:
    """'โครงการ…' names, as printed, in order of first mention."""
    return _names(_PROJECT, "โครงการ", prep, raw)


def find_activities(prep: str, raw: str) -> list[str]:
    """'กิจกรรม…' names, as printed. 'กิจกรรมหลัก :' / 'กิจกรรมย่อย' labels are skipped."""
    return _names(_ACTIVITY, "กิจกรรม", prep, raw)


# A PDF's text layer often breaks a number after its thousands comma: justified lines
# space the glyphs ('๓,๙๕๑,   ๐๐๐ บาท'), a line or table column ends at the comma. The
# gap after a comma (spaces, at most one line break) is part of the number.
_COMMA_GAP = r",[ \t]*(?:\n[ \t]*)?"
_AMOUNT = re.compile(
    rf"(?<![\d.,])(?P<num>\d{{1,3}}(?:{_COMMA_GAP}\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s*(?P<unit>ล้านบาท|บาท)"
)
# What is left of a number whose head could not be joined to it ('๓,๙๕๑,   ' then
# '๐๐๐ บาท'): such a tail is no amount at all.
_NUMBER_HEAD_BEFORE = re.compile(rf"\d{_COMMA_GAP}$")


def find_amounts(prep: str, raw: str, limit: int = 200) -> list[dict]:
    """Sums of money: '๒๐๕,๙๗๓,๘๑๔.๙๖ บาท' -> {'value': 205973814.96, 'raw': ...}.

    'ล้านบาท' multiplies by a million. A percentage written before 'บาท' (ร้อยละ ๙๙.๖๐ บาท)
    is not money. Each distinct (value, raw) once, at most ``limit``.
    """
    out: list[dict] = []
    seen: set[tuple[float, str]] = set()
    for m in _AMOUNT.finditer(prep):
        before = prep[max(0, m.start() - 20) : m.start()]
        if re.search(r"ร้อยละ\s*$", before[-10:]) or _NUMBER_HEAD_BEFORE.search(before):
            continue
        value = float(re.sub(r"\s|,", "", m["num"]))
        if m["unit"] == "ล้านบาท":
            value = round(value * 1_000_000, 2)
        printed = raw[m.start() : m.end()]
        number_end = m.end("num") - m.start()
        printed = re.sub(r",\s+", ",", printed[:number_end]) + printed[number_end:]
        item = (value, printed)
        if item not in seen:
            seen.add(item)
            out.append({"value": value, "raw": item[1]})
            if len(out) >= limit:
                break
    return out


_FISCAL = re.compile(r"ปีงบประมาณ\s*(?:พ\s*\.\s*ศ\s*\.?\s*)?(?P<year>\d{4})(?!\d)")


def fiscal_year_mentions(prep: str) -> list[int]:
    """B.E. years of the 'ปีงบประมาณ (พ.ศ.) NNNN' mentions, in order."""
    years = [int(m["year"]) for m in _FISCAL.finditer(prep)]
    return [y for y in years if 2400 < y < 2700]


def explicit_fiscal_years(prep: str) -> list[tuple[int, int]]:
    """[(B.E. year, count)] of 'ปีงบประมาณ (พ.ศ.) NNNN' mentions, most frequent first
    (ties: first mentioned first)."""
    years = fiscal_year_mentions(prep)
    counts = Counter(years)
    order = {y: i for i, y in reversed(list(enumerate(years)))}
    return sorted(counts.items(), key=lambda yc: (-yc[1], order[yc[0]]))
