"""understand(text) -> Understanding: kind, evidence and metadata of one document."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from indexer.thai.dates import find_dates, find_deadlines, fiscal_year_of
from indexer.thai.digits import to_arabic_digits
from indexer.thai.gazetteer import find_districts, find_provinces
from indexer.thai.repair import join_wrapped
from schemas.labels import KIND_TH

from .entities import (
    explicit_fiscal_years,
    find_activities,
    find_amounts,
    find_projects,
    fiscal_year_mentions,
    unwrap,
)
from .kinds import Prepared, classify
from .letter import parse_letter


@dataclass
class Understanding:
    kind: str
    kind_evidence: list[str]
    metadata: dict  # JSON-serialisable
    fiscal_year: int | None = None  # B.E.
    document_date: _dt.date | None = None
    title: str | None = None
    scores: dict[str, int] = field(default_factory=dict)

    @property
    def kind_label_th(self) -> str:
        return KIND_TH[self.kind]


def normalize_text(text: str) -> str:
    """Compose sara am written as nikhahit + sara aa (U+0E4D U+0E32, as Word-made PDFs
    extract), unify line ends, drop NULs. Digits are left as they are."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.replace("\u0e4d\u0e32", "\u0e33")


_MARKUP = re.compile(r"^\s*(?:#{1,6}\s*|[*_]{2}|<[^>]+>|[-•❖*]\s+)|(?:[*_]{2}|<[^>]+>)\s*$")


def _clean_line(line: str) -> str:
    prev = None
    line = line.strip()
    while prev != line:
        prev = line
        line = _MARKUP.sub("", line).strip()
    return line


def prepare(text: str, filename: str | None = None) -> tuple[Prepared, str]:
    """-> (Prepared document for the rules, printed text). Markdown markers ('## ', '**')
    are removed from line starts and ends, so rules see 'แนวปฏิบัติ…' at line start."""
    printed = "\n".join(_clean_line(ln) for ln in normalize_text(text).split("\n"))
    prep = to_arabic_digits(printed)
    lines = [ln.strip() for ln in prep.split("\n") if ln.strip()]
    # titles: the first short lines; Royal Gazette page headers (หน้า N / เล่ม … ราชกิจจานุเบกษา)
    # come first there, so look at up to 8 lines
    title_lines = [ln for ln in lines[:8] if len(ln) <= 150]
    doc = Prepared(
        text=prep,
        lines=lines,
        title_lines=title_lines,
        head=lines[:25],
        filename=(filename or "").lower() if filename else "",
    )
    return doc, printed


_DATED_LINE = re.compile(r"(?:ประกาศ|สั่ง|ให้ไว้)\s*ณ\s*วันที่")
_GAZETTE = re.compile(r"ราชกิจจานุเบกษา")
# A meeting report's date line: 'เมื่อวันพุธที่ ๒ มกราคม ๒๕๕๙ … เวลา ๐๙.๐๐ น. ณ …',
# 'วันที่ ๕ มกราคม ๒๕๖๗ เวลา … ณ ห้องประชุม…'.
_MEETING_DATE = re.compile(r"(?:^|\s|เมื่อ)วัน\S*ที่\s*$")
_MEETING_LINE = re.compile(r"เวลา|ประชุม|ณ\s")
DATED_KINDS = ("announcement", "order", "law")


def _document_date(kind, letter, prep_lines, raw_lines) -> tuple[_dt.date | None, str | None]:
    """The date of the document from the date line of its structure: a letter's or memo's
    date line; the 'ประกาศ/สั่ง/ให้ไว้ ณ วันที่' line or the Royal Gazette page header of an
    announcement, order or law; a meeting report's meeting date. Never a date that merely
    occurs in prose ('เมื่อวันที่ ๕ มกราคม ๒๕๖๗ ฝนตกหนัก…' dates nothing)."""
    if letter and letter.get("date"):
        return _dt.date.fromisoformat(letter["date"]), "letter date line"
    if kind in DATED_KINDS:
        for i, line in enumerate(prep_lines):
            if _DATED_LINE.search(line):
                # the date may run onto the next line ('ให้ไว้ ณ วันที่ ๒๔\nกุมภาพันธ์ พ.ศ. ๒๕๖๐')
                found = find_dates(" ".join(raw_lines[i : i + 2]))
                if found:
                    return found[0].date, f"dated line: «{line[:40]}»"
        for i, line in enumerate(prep_lines[:3]):
            if _GAZETTE.search(line):
                found = find_dates(raw_lines[i])
                if found:
                    return found[0].date, "Royal Gazette page header"
    if kind == "minutes":
        for line in raw_lines[:12]:
            if not _MEETING_LINE.search(line):
                continue
            for f in find_dates(line):
                if _MEETING_DATE.search(line[: f.start]) or f.weekday:
                    return f.date, f"meeting date line: «{line[:40]}»"
    return None, None


def _title(kind: str, letter: dict | None, raw_lines: list[str], prep_lines: list[str]):
    if letter and letter.get("subject"):
        return letter["subject"]
    if kind in ("announcement", "order", "law"):
        starts = {"announcement": "ประกาศ", "order": "คำสั่ง"}.get(kind)
        for i, line in enumerate(prep_lines[:10]):
            if (starts and line.startswith(starts)) or (kind == "law" and i >= 0):
                if kind == "law" and not re.match(
                    r"(?:พระราชบัญญัติ|พระราชกฤษฎีกา|พระราชกำหนด|กฎกระทรวง|ระเบียบ|รัฐธรรมนูญ)", line
                ):
                    continue
                # heading + its continuation up to 3 short lines ('เรื่อง …', the act's name)
                parts = [raw_lines[i]]
                for j in range(i + 1, min(len(raw_lines), i + 4)):
                    nxt = prep_lines[j]
                    if nxt == prep_lines[i] or len(nxt) > 120 or re.match(r"^ที่\s*\d", nxt):
                        continue
                    if re.match(r"(?:เรื่อง|ว่าด้วย|พ\.ศ\.)", nxt) or (kind == "law" and j == i + 1):
                        parts.append(raw_lines[j])
                    else:
                        break
                return re.sub(r"\s+", " ", " ".join(parts)).strip()
    if kind == "minutes":
        for line in raw_lines[:5]:
            if re.search(r"(?:รายงาน|บันทึก)การประชุม", line) and len(line) <= 200:
                return line
        m = re.search(
            r"ประชุม\s*ครั้งที่\s*[\d๐-๙]+\s*/\s*[\d๐-๙]{2,4}(?:\s*ประจำเดือน\S*(?:\s*พ\.ศ\.\s*[\d๐-๙]{4})?)?",
            "\n".join(raw_lines[:5]),
        )
        if m:
            return re.sub(r"\s+", " ", m.group(0))
    # the first line(s) if short: a heading may wrap onto a second line
    if raw_lines and len(raw_lines[0]) <= 200:
        parts = [raw_lines[0]]
        if len(raw_lines) > 1 and len(raw_lines[1]) <= 120 and len(raw_lines[0]) >= 40:
            nxt = raw_lines[1]
            if re.match(r"(?:ภายใต้|ประจำปี|ของ|ใน|เรื่อง|ว่าด้วย|สำหรับ|พ\.ศ\.)", nxt):
                parts.append(nxt)
        return join_wrapped(parts)
    return None


def _fiscal_year(doc: Prepared, title: str | None, document_date) -> tuple[int | None, str | None]:
    """The year the title or heading names ('ประจำปีงบประมาณ พ.ศ. ๒๕๖๕' on a budget
    document's cover, a letter's subject), else the most frequent explicit mention, else
    the document date's fiscal year. A budget document cites past and next years' figures
    more often than its own."""
    heading = "\n".join([to_arabic_digits(title or ""), *doc.title_lines])
    named = fiscal_year_mentions(heading)
    if named:
        return named[0], f"ปีงบประมาณ {named[0]} in the title or heading"
    explicit = explicit_fiscal_years(doc.text)
    if explicit:
        return explicit[0][0], f"ปีงบประมาณ {explicit[0][0]} mentioned {explicit[0][1]}x"
    if document_date:
        return fiscal_year_of(document_date), "from the document date"
    return None, None


def understand(text: str, filename: str | None = None) -> Understanding:
    """Kind, evidence and metadata of a document's text (pure, no I/O).

    ``text`` is the document's text (for PDFs, after Thai repair); ``filename`` is only a
    weak hint. metadata is JSON-serialisable; fields that cannot be read are left out or
    empty, never guessed. See indexer/understand/README.md for the keys.
    """
    doc, printed = prepare(text, filename)
    kind, evidence, scores = classify(doc)
    raw_lines = [ln.strip() for ln in printed.split("\n") if ln.strip()]

    letter = None
    if kind in ("letter", "memo"):
        letter = parse_letter(doc.text, printed, memo=(kind == "memo"))

    document_date, date_source = _document_date(kind, letter, doc.lines, raw_lines)

    title = _title(kind, letter, raw_lines, doc.lines)
    fiscal_year, fy_source = _fiscal_year(doc, title, document_date)

    printed_dates = find_dates(printed)  # for the deadlines and the dates
    deadlines = []
    seen = set()
    for d in find_deadlines(printed, document_date, printed_dates):
        key = (d.date, d.days, d.relative_to)
        if key in seen:
            continue
        seen.add(key)
        item = {"date": d.date.isoformat() if d.date else None, "sentence": d.sentence}
        if d.days is not None:
            item.update(days=d.days, working_days=d.working_days, relative_to=d.relative_to)
        deadlines.append(item)

    dates = []
    for f in printed_dates:
        iso = f.date.isoformat()
        if iso not in dates:
            dates.append(iso)

    unwrapped = unwrap(doc.text, printed)
    provinces = find_provinces(printed)
    metadata: dict = {
        "kind": kind,
        "kind_label_th": KIND_TH[kind],
        "kind_evidence": evidence,
        "kind_scores": scores,
        "title": title,
        "document_date": document_date.isoformat() if document_date else None,
        "document_date_source": date_source,
        "fiscal_year": fiscal_year,
        "fiscal_year_source": fy_source,
        "dates": dates,
        "deadlines": deadlines,
        "provinces": provinces,
        "districts": [
            {"district": d, "province": p} for d, p in find_districts(printed, provinces)
        ],
        "projects": find_projects(*unwrapped),
        "activities": find_activities(*unwrapped),
        "amounts": find_amounts(doc.text, printed),
    }
    if letter is not None:
        metadata["letter"] = letter
    return Understanding(
        kind=kind,
        kind_evidence=evidence,
        metadata=metadata,
        fiscal_year=fiscal_year,
        document_date=document_date,
        title=title,
        scores=scores,
    )
