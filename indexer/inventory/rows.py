"""One spreadsheet row -> a checked ``ParsedRow``: Thai digits, dates such as
'๓๑ ต.ค. ๒๕๖๒' or real Excel date cells, provinces and clusters by their Thai names.
Errors and warnings name the row and column with the reason in Thai and English.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from indexer.inventory.keys import clean_display, natural_key, normalise_text
from indexer.inventory.tables import RawRow, RowError
from indexer.thai.dates import BE_OFFSET, parse_thai_date
from indexer.thai.digits import to_arabic_digits
from indexer.thai.gazetteer import clusters as gazetteer_clusters
from indexer.thai.gazetteer import province_by_name


@dataclass
class ParsedRow:
    number: int
    fiscal_year: int
    cluster: str | None
    province: str | None
    project_code: str | None
    project: str
    activity: str | None
    host_agency: str | None
    deliverable: str
    item_type: str | None
    quantity: int
    due_date: dt.date | None

    @property
    def key(self) -> str:
        return natural_key(
            self.fiscal_year, self.project, self.activity, self.deliverable, self.province
        )

    @property
    def key_without_province(self) -> str:
        return natural_key(self.fiscal_year, self.project, self.activity, self.deliverable)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_display(value)


def parse_fiscal_year(value) -> int | None:
    """2562, '๒๕๖๒', 'พ.ศ. ๒๕๖๒', 'ปีงบประมาณ 2562', '62', 2019 (C.E.) -> 2562."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            value = str(int(value))
        else:
            return None
    text = to_arabic_digits(_cell_text(value))
    m = re.search(r"(?<!\d)(\d{4}|\d{2})(?!\d)", text)
    if not m or re.search(r"\d", text[: m.start()] + text[m.end() :]):
        return None
    year = int(m.group(1))
    if len(m.group(1)) == 2:
        year += 2500
    elif 1900 <= year <= 2200:
        year += BE_OFFSET
    return year if 2400 <= year <= 2800 else None


def parse_quantity(value) -> int | None:
    """2, 2.0, '๒', '2 ชุด', '๑ เล่ม', '' (-> 1) -> int; None when unreadable or not positive."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() and value > 0 else None
    text = to_arabic_digits(_cell_text(value)).replace(",", "")
    if text in ("-", "–"):
        return 1
    m = re.fullmatch(r"(\d+)(?:\.0+)?\s*[^\d]*", text)
    if not m:
        return None
    number = int(m.group(1))
    return number if number > 0 else None


def parse_due_date(value) -> dt.date | str | None:
    """A date cell -> date, None when empty, or the string 'invalid'."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # An Excel serial number in a cell not formatted as a date.
        if 20000 <= value <= 80000:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        return "invalid"
    text = _cell_text(value)
    if text in ("-", "–"):
        return None
    parsed = parse_thai_date(text)
    return parsed if parsed is not None else "invalid"


def _cluster_key(name: str) -> str:
    text = normalise_text(name)
    return text[len("กลุ่มจังหวัด") :] if text.startswith("กลุ่มจังหวัด") else text


def resolve_cluster(name: str) -> str | None:
    key = _cluster_key(name)
    for cluster in gazetteer_clusters():
        if _cluster_key(cluster.name) == key or normalise_text(cluster.name_en) == key:
            return cluster.name
    return None


EXAMPLE_MARK = re.compile(r"^\s*[(\[]?\s*(ตัวอย่าง|example)\s*[)\]:]", re.IGNORECASE)


def parse_row(
    raw: RawRow, headers: dict[str, str]
) -> tuple[ParsedRow | None, list[RowError], list[RowError]]:
    """One row -> (parsed or None, errors, warnings)."""
    errors: list[RowError] = []
    warnings: list[RowError] = []
    v = raw.values

    def err(column, th, en, value=None):
        shown = _cell_text(value if value is not None else v.get(column)) if column else None
        errors.append(RowError(raw.number, column, headers.get(column), shown, th, en))

    def warn(column, th, en):
        warnings.append(
            RowError(raw.number, column, headers.get(column), _cell_text(v.get(column)), th, en)
        )

    fiscal_year = parse_fiscal_year(v.get("fiscal_year"))
    if fiscal_year is None:
        if _cell_text(v.get("fiscal_year")):
            err(
                "fiscal_year",
                "ปีงบประมาณไม่ถูกต้อง ต้องเป็นปี พ.ศ. เช่น ๒๕๖๒",
                "invalid fiscal year; expected a B.E. year such as 2562",
            )
        else:
            err("fiscal_year", "ไม่ได้ระบุปีงบประมาณ", "fiscal year is empty")
    project = _cell_text(v.get("project"))
    if not project:
        err("project", "ไม่ได้ระบุชื่อโครงการ", "project is empty")
    activity = _cell_text(v.get("activity")) or None
    deliverable = _cell_text(v.get("deliverable"))
    if not deliverable:
        err("deliverable", "ไม่ได้ระบุรายการทรัพยากร/ผลลัพธ์", "deliverable is empty")
    quantity = parse_quantity(v.get("quantity"))
    if quantity is None:
        err(
            "quantity",
            "จำนวนต้องเป็นจำนวนเต็มบวก เช่น ๑ หรือ 2",
            "quantity must be a positive whole number",
        )
    due = parse_due_date(v.get("due_date"))
    if due == "invalid":
        err(
            "due_date",
            "อ่านวันที่ไม่ได้ เขียนเช่น ๓๑ ต.ค. ๒๕๖๒ หรือ 31/10/2562",
            "unreadable date; write e.g. 31 ต.ค. 2562 or 31/10/2562",
        )
        due = None
    province = None
    province_text = _cell_text(v.get("province"))
    if province_text:
        found = province_by_name(province_text)
        if found is None:
            err("province", "ไม่รู้จักชื่อจังหวัดนี้", "unknown province name")
        else:
            province = found.name
    cluster = None
    cluster_text = _cell_text(v.get("cluster"))
    if cluster_text:
        cluster = resolve_cluster(cluster_text)
        if cluster is None:
            err("cluster", "ไม่รู้จักชื่อกลุ่มจังหวัดนี้", "unknown provincial cluster")
    if province:
        own = province_by_name(province).cluster
        if cluster is None and not cluster_text:
            cluster = own
        elif cluster and own and own != cluster:
            warn("province", f"จังหวัดนี้อยู่ใน{own}", f"this province belongs to {own}")
    if errors:
        return None, errors, warnings
    return (
        ParsedRow(
            number=raw.number,
            fiscal_year=fiscal_year,
            cluster=cluster,
            province=province,
            project_code=_cell_text(v.get("project_code")) or None,
            project=project,
            activity=activity,
            host_agency=_cell_text(v.get("host_agency")) or None,
            deliverable=deliverable,
            item_type=_cell_text(v.get("type")) or None,
            quantity=quantity,
            due_date=due,
        ),
        errors,
        warnings,
    )
