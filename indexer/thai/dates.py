"""Thai dates as staff write them: parse, find in text, find deadlines, format. Pure.

Years above 2400 are Buddhist Era (พ.ศ. = C.E. + 543); 1800-2200 are C.E. Two-digit
years ('31/10/62', '๓๑ ต.ค. ๖๒') are read as B.E. 25yy when yy >= 50 and as C.E. 20yy
when yy < 50: both readings then fall in 2000-2056, and Thai offices write two-digit
B.E. years (๖๒ = 2562 = 2019) far more often than two-digit C.E. ones. Numeric dates are
day/month/year, never month/day.

The Thai fiscal year N runs from 1 October of year N-1 to 30 September of year N.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from indexer.thai.digits import to_arabic_digits, to_thai_digits
from indexer.thai.repair import unwrap_lines

BE_OFFSET = 543

MONTHS_LONG = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
WEEKDAYS = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")  # Monday first


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for i, name in enumerate(MONTHS_LONG, 1):
        table[name] = i
    table["กรกฏาคม"] = 7  # common misspelling (ฏ for ฎ)
    table["กุมภาพันธ"] = 2  # final mark lost in extraction
    for i, abbr in enumerate(MONTHS_SHORT, 1):
        a, b = abbr.rstrip(".").split(".")
        # 'ต.ค.', 'ต.ค', 'ต. ค.', 'ตค.'
        table[f"{a}.{b}."] = i
        table[f"{a}.{b}"] = i
        table[f"{a}. {b}."] = i
        table[f"{a}{b}."] = i
    for i, name in enumerate(MONTHS_EN, 1):
        table[name] = i
        table[name[:3]] = i
    table["sept"] = 9
    # PDF text layers often turn sara u/uu into mai ek (ต่ลาคม); accept that too
    for name, i in list(table.items()):
        if "ุ" in name or "ู" in name:
            table[name.replace("ุ", "่").replace("ู", "่")] = i
    return table


MONTH_NUMBER = _month_table()

_MONTH_ALT = "|".join(re.escape(m) for m in sorted(MONTH_NUMBER, key=len, reverse=True))
_WEEKDAY_ALT = "พฤหัสบดี|พฤหัส|จันทร์|อังคาร|พุธ|ศุกร์|เสาร์|อาทิตย์"
_WEEKDAY_INDEX = {name: i for i, name in enumerate(WEEKDAYS)} | {"พฤหัส": 3}

# Applied to text whose Thai digits were made Arabic (same length, so offsets hold).
# _STARTS_DATE opens the day-first patterns: a match starts with วัน or a digit, and testing
# that first makes finditer ~2.5x faster (re cannot skip ahead past an optional group or a
# lookbehind, so it otherwise tries the whole pattern at every character).
_STARTS_DATE = r"(?=[ว\d])"
_DAYNAME = rf"(?:วัน(?P<weekday>{_WEEKDAY_ALT})\s*(?:ที่\s*)?)?"
_ERA = r"(?:(?P<era>พ\s*\.\s*ศ|ค\s*\.\s*ศ)\s*\.?\s*)?"
_NAMED = re.compile(
    rf"{_STARTS_DATE}{_DAYNAME}(?<!\d)(?P<day>\d{{1,2}})\s*(?P<month>{_MONTH_ALT})(?![a-z])"
    rf"\s*,?\s*{_ERA}(?P<year>\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
# 'ระหว่างวันที่ ๑๔ - ๒๖ มกราคม ๒๕๕๙' / '๒๒ มกราคม - ๕ กุมภาพันธ์ ๒๕๕๙': the first day takes
# the month and year of the second.
_RANGE_START = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})\s*(?:(?P<month>{_MONTH_ALT})\s*)?(?:-|–|ถึง)\s*$"
)
_NUMERIC = re.compile(
    rf"{_STARTS_DATE}{_DAYNAME}(?<![\d./])(?P<day>\d{{1,2}})(?P<sep>[/.-])(?P<month>\d{{1,2}})(?P=sep)"
    rf"{_ERA}(?P<year>\d{{4}}|\d{{2}})(?![\d/]|\.\d)"
)
_ISO = re.compile(r"(?=\d)(?<![\d/.-])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\d-])")


@dataclass(frozen=True)
class FoundDate:
    date: _dt.date
    start: int  # offsets into the text given (Thai or Arabic digits alike)
    end: int
    raw: str  # the text as written, e.g. 'วันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖'
    weekday: str | None = None  # the day name written, e.g. 'ศุกร์'
    weekday_matches: bool | None = None  # does it agree with the calendar? None if none written


@dataclass(frozen=True)
class Deadline:
    date: _dt.date | None  # None for a relative deadline that cannot be placed
    sentence: str  # the sentence (clause) that sets it
    raw: str  # the deadline phrase, e.g. 'ภายในวันที่ ๓๑ ตุลาคม ๒๕๖๒' or 'ภายใน ๗ วัน'
    start: int = 0
    end: int = 0
    trigger: str = ""  # ภายใน | ไม่เกิน | ก่อน | ไม่ช้ากว่า
    days: int | None = None  # relative deadlines: the number of days
    working_days: bool = False  # 'ภายใน ๓ วันทำการ'
    relative_to: str | None = None  # what the days count from, as written, if stated


def be_year(d: _dt.date | _dt.datetime) -> int:
    """Buddhist Era year: 2019 -> 2562."""
    return d.year + BE_OFFSET


def fiscal_year_of(d: _dt.date | _dt.datetime) -> int:
    """Thai fiscal year, B.E.: 1 Oct 2561 B.E. .. 30 Sep 2562 B.E. is FY 2562."""
    return be_year(d) + (1 if d.month >= 10 else 0)


def fiscal_year_range(fy_be: int) -> tuple[_dt.date, _dt.date]:
    """First and last day of the B.E. fiscal year: 2562 -> (2018-10-01, 2019-09-30)."""
    year = fy_be - BE_OFFSET
    return _dt.date(year - 1, 10, 1), _dt.date(year, 9, 30)


def _year(text: str, era: str | None) -> int | None:
    y = int(text)
    era = re.sub(r"[\s.]", "", era or "")
    if len(text) == 2:
        if era == "พศ":
            return 2500 + y - BE_OFFSET
        if era == "คศ":
            return 2000 + y
        return 2500 + y - BE_OFFSET if y >= 50 else 2000 + y
    if era == "พศ" or y > 2400:
        return y - BE_OFFSET
    if 1800 <= y <= 2200:
        return y
    return None


def _make(y: int | None, m: int, d: int) -> _dt.date | None:
    if y is None:
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def _found(text: str, m: re.Match, date: _dt.date) -> FoundDate:
    weekday = m.groupdict().get("weekday")
    matches = None
    if weekday:
        matches = _WEEKDAY_INDEX[weekday] == date.weekday()
    return FoundDate(date, m.start(), m.end(), text[m.start() : m.end()], weekday, matches)


def find_dates(text: str) -> list[FoundDate]:
    """Every full date (day, month, year) in ``text``, in order.

    Forms: '๓๑ ต.ค. ๒๕๖๒', '31 ตุลาคม 2562', 'วันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖' (the day name
    is part of raw), '๑๔ - ๒๖ มกราคม ๒๕๕๙' (two dates), '31/10/2562', '31-10-62',
    '2019-10-31', '31 October 2019'. Dates without a year are not returned.
    """
    norm = to_arabic_digits(text)
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in _NAMED.finditer(norm):
        month = MONTH_NUMBER[m["month"].lower()]
        year = _year(m["year"], m["era"])
        date = _make(year, month, int(m["day"]))
        if date is None:
            continue
        found.append(_found(text, m, date))
        taken.append((m.start(), m.end()))
        # a range start just before: '14 - 26 มกราคม 2559', '22 มกราคม - 5 กุมภาพันธ์ 2559'
        head = norm[max(0, m.start() - 40) : m.start()]
        r = _RANGE_START.search(head)
        if r:
            r_month = MONTH_NUMBER[r["month"].lower()] if r["month"] else month
            r_year = year - 1 if r_month > month else year
            r_date = _make(r_year, r_month, int(r["day"]))
            s = m.start() - len(head) + r.start()
            e = m.start() - len(head) + r.end()
            if r_date and free(s, e):
                raw = text[s:e].rstrip(" -–ถึง")
                found.append(FoundDate(r_date, s, s + len(raw), raw))
                taken.append((s, s + len(raw)))
    for m in _NUMERIC.finditer(norm):
        date = _make(_year(m["year"], m["era"]), int(m["month"]), int(m["day"]))
        if date and free(m.start(), m.end()):
            found.append(_found(text, m, date))
            taken.append((m.start(), m.end()))
    for m in _ISO.finditer(norm):
        date = _make(int(m["year"]), int(m["month"]), int(m["day"]))
        if date and free(m.start(), m.end()):
            found.append(_found(text, m, date))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def parse_thai_date(s: str | _dt.date | _dt.datetime | None) -> _dt.date | None:
    """One date as staff write it -> datetime.date, or None.

    Accepts every form find_dates knows, with or without 'วันที่'/'ลงวันที่'/a day name in
    front; a datetime gives its date, a date is returned as is. Text holding no full date
    gives None; text holding several gives the first.
    """
    if s is None:
        return None
    if isinstance(s, _dt.datetime):
        return s.date()
    if isinstance(s, _dt.date):
        return s
    found = find_dates(str(s))
    return found[0].date if found else None


def format_thai_date(
    d: _dt.date | _dt.datetime, style: str = "long", thai_digits: bool = True
) -> str:
    """2019-10-31 -> '๓๑ ตุลาคม ๒๕๖๒' (long) or '๓๑ ต.ค. ๒๕๖๒' (short)."""
    if style not in ("long", "short"):
        raise ValueError(f"style must be 'long' or 'short', not {style!r}")
    months = MONTHS_LONG if style == "long" else MONTHS_SHORT
    out = f"{d.day} {months[d.month - 1]} {be_year(d)}"
    return to_thai_digits(out) if thai_digits else out


# --- deadlines ---------------------------------------------------------------------------

_TRIGGERS = r"ภายใน|ไม่เกิน(?:กว่า)?|ก่อน|ไม่ช้ากว่า|ไม่เกินกว่า"
_BEFORE_DATE = re.compile(rf"(?P<trigger>{_TRIGGERS})\s*(?:(?:ลง)?วันที่\s*|วัน\s*)?$")
_RELATIVE = re.compile(
    r"(?P<trigger>ภายใน|ไม่เกิน)\s*(?:ระยะเวลา\s*)?(?P<days>\d{1,3})\s*วัน(?P<working>\s*ทำการ)?"
    r"(?!ที่)"
)
# What a relative deadline counts from, when written right after it.
_ANCHOR = re.compile(
    r"\s*(?P<anchor>(?:นับ(?:แต่|จาก|ตั้งแต่)|หลัง(?:จาก)?|ภายหลัง|ตั้งแต่)[^\s]*"
    r"(?:\s(?:ที่|ได้|แล้ว)[^\s]*)?)"
)
# Anchors that mean the letter itself (date or receipt), so the document date can be used.
_DOCUMENT_ANCHOR = re.compile(r"ได้รับ|หนังสือ|ลงนาม|วันที่ลง|ฉบับนี้")


# a blank line, or a line opening a numbered item ('๒. …', '/๓. …', '๒.๑ …')
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n|\n(?=[ \t]*/?[0-9๐-๙]{1,2}(?:\.[0-9๐-๙]+)*[.)]?\s)")


def _sentence(text: str, start: int, end: int, before: int = 600, after: int = 200) -> str:
    """The clause around [start, end): its paragraph (lines up to a blank line or a numbered
    item), from its start when that is at most ``before`` chars back (else cut at a space),
    to before a following 'ทั้งนี้' (which opens a new sentence) or about ``after`` chars.
    Wrapped lines are joined as Thai wraps them (``unwrap_lines``): no space where a line
    broke between two Thai words."""
    breaks = [m.end() for m in _PARAGRAPH_BREAK.finditer(text, 0, start)]
    s = breaks[-1] if breaks else 0
    nxt = _PARAGRAPH_BREAK.search(text, end)
    e = nxt.start() if nxt else len(text)
    if start - s > before:
        cut = text.find(" ", start - before, start)
        s = cut + 1 if cut >= 0 else start - before
        # do not open on a stray number or particle ('… ตอนบน ๑ ประจำปี')
        while (sp := text.find(" ", s, start)) >= 0 and sp - s <= 2:
            s = sp + 1
    then = text.find(" ทั้งนี้", end, e)
    if then >= 0:
        e = then
    if e - end > after:
        cut = text.rfind(" ", end, end + after)
        e = cut if cut > end else end + after
    return unwrap_lines(text[s:e]).strip(" *-•❖")


def _add_days(d: _dt.date, days: int, working: bool) -> _dt.date:
    if not working:
        return d + _dt.timedelta(days=days)
    cur = d
    left = days
    while left > 0:  # weekends only: public holidays are not known here
        cur += _dt.timedelta(days=1)
        if cur.weekday() < 5:
            left -= 1
    return cur


def find_deadlines(
    text: str,
    document_date: _dt.date | None = None,
    dates: list[FoundDate] | None = None,
) -> list[Deadline]:
    """Deadlines set in ``text``, in order.

    - by a date: 'ภายในวันที่ ๓๑ ตุลาคม ๒๕๖๒', 'ภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖',
      'ไม่เกินวันที่ …', 'ก่อนวันที่ …', 'ไม่ช้ากว่า …'
    - within days: 'ภายใน ๗ วัน' (days=7), 'ภายใน ๓ วันทำการ' (working_days). What the days
      count from is kept in ``relative_to`` when written right after ('หลังดำเนินการแล้วเสร็จ',
      'นับแต่วันที่ได้รับหนังสือ'). The date is computed from ``document_date`` only when
      nothing is written after it or it counts from the letter itself (its date or its
      receipt); a deadline counted from some other event ('๗ วัน หลังดำเนินการแล้วเสร็จ')
      keeps date None. Working days skip weekends only.

    ``dates``: ``find_dates(text)``, when the caller has it already.
    """
    document_date = parse_thai_date(document_date) if document_date is not None else None
    norm = to_arabic_digits(text)
    out: list[Deadline] = []
    for f in find_dates(text) if dates is None else dates:
        head = norm[max(0, f.start - 30) : f.start]
        m = _BEFORE_DATE.search(head)
        if not m:
            continue
        s = f.start - len(head) + m.start()
        out.append(
            Deadline(
                date=f.date,
                sentence=_sentence(text, s, f.end),
                raw=text[s : f.end],
                start=s,
                end=f.end,
                trigger=m["trigger"],
            )
        )
    for m in _RELATIVE.finditer(norm):
        days = int(m["days"])
        working = bool(m["working"])
        a = _ANCHOR.match(norm, m.end())
        anchor = text[a.start("anchor") : a.end("anchor")] if a else None
        date = None
        if document_date and (anchor is None or _DOCUMENT_ANCHOR.search(anchor)):
            date = _add_days(document_date, days, working)
        out.append(
            Deadline(
                date=date,
                sentence=_sentence(text, m.start(), m.end()),
                raw=text[m.start() : m.end()],
                start=m.start(),
                end=m.end(),
                trigger=m["trigger"],
                days=days,
                working_days=working,
                relative_to=anchor,
            )
        )
    return sorted(out, key=lambda d: d.start)


__all__ = [
    "BE_OFFSET",
    "MONTHS_LONG",
    "MONTHS_SHORT",
    "WEEKDAYS",
    "Deadline",
    "FoundDate",
    "be_year",
    "find_dates",
    "find_deadlines",
    "fiscal_year_of",
    "fiscal_year_range",
    "format_thai_date",
    "parse_thai_date",
]
