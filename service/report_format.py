"""How figures and long Thai names are written on pages and printed reports.

- One digits setting for the office (``indexer.inventory.report_settings``): every figure, fiscal year
  and date of a report page in Thai digits (๒๕๖๒) or Arabic (2562), never mixed in a table.
- Thai is written without spaces between words, so a browser that must fit a long project
  name in a narrow column may break it inside a word ("กาแฟอราบิ|ก้า"). ``word_breaks``
  marks the word boundaries found by pythainlp with <wbr> and keeps each word in a
  ``<span class="w">`` that the stylesheet does not let wrap: Chromium's own Thai
  dictionary breaks inside words it does not know (อราบิก้า), whatever ``word-break`` says.
- Dates are written as offices write them (``thai_date``, ``thai_datetime``): B.E. years, in
  the same digits as the figures beside them.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

from flask import g, has_request_context, request
from markupsafe import Markup, escape

from indexer.thai.dates import format_thai_date
from indexer.thai.digits import to_arabic_digits, to_thai_digits
from service.i18n import current_lang


def office_digits() -> str:
    """'thai' or 'arabic': this request's ``?digits=``, else the office's setting (read once
    per request). A page asked for digits it does not know shows the office's; only an
    export, which a script reads, answers 400 for them (service/api/gaps.py)."""
    if "report_digits" not in g:
        from indexer.inventory.report_settings import DIGITS, report_settings
        from service.context import core

        chosen = request.args.get("digits") if has_request_context() else None
        g.report_digits = chosen if chosen in DIGITS else report_settings(core())["digits"]
    return g.report_digits


def digits(text) -> str:
    """Digits of a text written the office's way; English pages keep Arabic digits."""
    text = "" if text is None else str(text)
    if current_lang() == "th" and office_digits() == "thai":
        return to_thai_digits(text)
    return to_arabic_digits(text)


def figure(value, decimals: int | None = None) -> str:
    """A count, fiscal year or percentage (``decimals`` places) in the office's digits."""
    if value is None or value == "":
        return ""
    if decimals is not None:
        value = f"{float(value):.{decimals}f}"
    return digits(value)


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize

    return tuple(word_tokenize(text, engine="newmm", keep_whitespace=True))


def word_breaks(text) -> Markup:
    """Escaped text with each Thai word in a span and <wbr> between them (nothing changes
    for the eye)."""
    if text is None:
        return Markup("")
    text = str(text)
    if not any("\u0e00" <= ch <= "\u0e7f" for ch in text):
        return escape(text)
    return Markup("<wbr>").join(Markup('<span class="w">%s</span>') % word for word in _words(text))


def chart_label_lines(name: str, width: int = 30) -> list[str]:
    """A chart label in up to two lines of about ``width`` characters, cut between words;
    the full name is always in the chart's table and tooltip."""
    name = name or ""
    if len(name) <= width:
        return [name]
    lines, line = [], ""
    for word in _words(name):
        if line and len(line) + len(word) > width and len(lines) < 1:
            lines.append(line)
            line = ""
        line += word
    lines.append(line)
    if len(lines[-1]) > width + 4:
        lines[-1] = lines[-1][: width + 3].rstrip() + "…"
    return [part.strip() for part in lines]


MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def thai_date(value, style: str = "long") -> str:
    """A date (or ISO string, or datetime) as offices write it: B.E. year, Thai digits in
    Thai; B.E. year and Arabic digits in English."""
    value = _parsed(value)
    if not isinstance(value, _dt.date):
        return value
    if isinstance(value, _dt.datetime):
        value = value.astimezone(_BANGKOK).date() if value.tzinfo else value.date()
    if current_lang() == "en":
        return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year + 543} B.E."
    # the office's digits setting, so that dates agree with the figures beside them
    return digits(format_thai_date(value, style=style))


def _parsed(value):
    """A date or datetime from an ISO string; '' for nothing; other strings unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def thai_datetime(value) -> str:
    value = _parsed(value)
    if not isinstance(value, _dt.datetime):
        return thai_date(value, "short") if isinstance(value, _dt.date) else value
    if value.tzinfo:
        value = value.astimezone(_BANGKOK)
    return f"{thai_date(value.date(), 'short')} {value:%H:%M}"


_BANGKOK = _dt.timezone(_dt.timedelta(hours=7), "ICT")
