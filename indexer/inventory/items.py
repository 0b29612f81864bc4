"""The inventory of expected deliverables (บัญชีรายละเอียดทรัพยากร/ผลลัพธ์), seed 000.

For every activity the host agency lists the resources and outputs it will produce; DSSS
officers gather the lists and Khlang imports them from XLSX or CSV, as staff make them:
Thai headers (English aliases accepted), Thai digits, dates such as '๓๑ ต.ค. ๒๕๖๒' or
real Excel date cells, CSV in UTF-8 (with or without BOM), UTF-16 or cp874.

Every row becomes an ``InventoryItem`` identified by its natural key (fiscal year +
project + activity + deliverable + province, normalised: spaces, Thai/Arabic digits and the
prefixes โครงการ/กิจกรรม do not matter), so re-importing an updated list updates rows and
never duplicates them, and the same deliverable of a cluster project in น่าน and in แพร่ is
two items. The host agency is not part of the key: it is who delivers, and a corrected or
reassigned agency updates the item rather than making a new one. Every item gets a short
code derived from its key when it is created, 'INV-2562-K7M2QX', which is the same on every
installation and stays with the item on every re-import (items created before the province
was part of the key keep theirs), and which ``khlang ingest --item CODE`` accepts in any
case and digits.

An item the list no longer has (a renamed or dropped deliverable) is retired
(``retire_items``, or ``import_inventory(prune=True)`` for the projects of the file): it
leaves the gap report and the suggestions but keeps its links and history; each retirement
is a provenance event with its agent, and a later list that has it again restores it.

Rows with errors are reported by row number and column with the reason in Thai and
English; the good rows are imported, unless ``strict=True`` (all or nothing).

Process deadlines (seed 000): the inventory goes to the province's DSSS officer by
31 October and the DSSS officers send the gathered lists to the cluster strategy office by
6 November. Seed 000 gives these as ๓๑ ตุลาคม ๒๕๖๒ and ๖ พฤศจิกายน ๒๕๖๒ for fiscal year
๒๕๖๒, i.e. in the calendar year the fiscal year *ends* (FY 2562 runs 1 Oct 2561 - 30 Sep
2562), one month after it closes: the lists are made "when the activities are done". The
defaults follow the seed literally: 31 Oct / 6 Nov of B.E. year == the fiscal year. They
are configurable per fiscal year (``set_process_deadlines``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from indexer.ingest.indexing import reindex_quietly
from indexer.inventory.links import link_document, unlink_document
from indexer.records import provenance as ev
from indexer.thai.dates import BE_OFFSET, format_thai_date, parse_thai_date
from indexer.thai.digits import to_arabic_digits
from indexer.thai.gazetteer import clusters as gazetteer_clusters
from indexer.thai.gazetteer import province_by_name
from schemas.models import (
    Activity,
    Agency,
    Cluster,
    Document,
    DocumentLink,
    InventoryItem,
    ProcessDeadline,
    Project,
    Province,
    utcnow,
)

INVENTORY_IMPORTED = "inventory-imported"

# --- names: normalisation, natural key, code ------------------------------------------------

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[\"'“”‘’«»()\[\]{}<>,;:!?|*_~`^]+")
NAME_PREFIXES = ("โครงการ", "กิจกรรมที่", "กิจกรรม", "ผลผลิต", "ผลลัพธ์")

log = logging.getLogger(__name__)


def normalise_text(text: str | None) -> str:
    """Text for tolerant matching: NFC, decomposed sara am joined, Thai digits made
    Arabic, zero-width characters, punctuation and all spaces removed, lower case."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = text.replace("\u0e4d\u0e32", "\u0e33")  # ํา -> ำ (PDF extraction splits it)
    text = _ZERO_WIDTH.sub("", text)
    text = to_arabic_digits(text).lower()
    text = _PUNCT.sub("", text)
    return _SPACE.sub("", text)


def normalise_name(name: str | None) -> str:
    """A project/activity/deliverable name for comparison: ``normalise_text`` without a
    leading โครงการ / กิจกรรม (staff write the prefix or not)."""
    text = normalise_text(name)
    changed = True
    while changed:
        changed = False
        for prefix in NAME_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix) + 1:
                text = text[len(prefix) :]
                changed = True
    text = text.lstrip(".-–")
    return text


def clean_display(value) -> str:
    """A cell value for display: NFC, trimmed, inner runs of spaces collapsed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _ZERO_WIDTH.sub("", text)
    return _SPACE.sub(" ", text).strip()


def natural_key(
    fiscal_year: int,
    project: str,
    activity: str | None,
    deliverable: str,
    province: str | None = None,
) -> str:
    """The row's identity. Without a province it is the key items had before the province
    was part of it, so those items are found again (see ``_Resolver.item``)."""
    parts = [
        int(fiscal_year),
        normalise_name(project),
        normalise_name(activity),
        normalise_name(deliverable),
    ]
    if province:
        parts.append(normalise_text(province))
    canonical = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def item_code_for(fiscal_year: int, key: str, length: int = 6) -> str:
    """'INV-2562-K7M2QX': fiscal year + Crockford base32 of the natural key's hash, so the
    same row gets the same code on every import and every installation."""
    number = int(key, 16)
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[number & 31])
        number >>= 5
    return f"INV-{fiscal_year}-{''.join(chars)}"


def normalise_code(code: str) -> str:
    """Codes as typed: 'inv-๒๕๖๒-k7m2qx ' -> 'INV-2562-K7M2QX' (O->0, I/L->1 as Crockford)."""
    code = to_arabic_digits(code.strip()).upper()
    m = re.fullmatch(r"INV-(\d{4})-([0-9A-Z]+)", code)
    if not m:
        return code
    tail = m.group(2).translate(str.maketrans("OIL", "011"))
    return f"INV-{m.group(1)}-{tail}"


CODE_RE = re.compile(r"INV-\d{4}-[0-9A-HJKMNP-TV-Z]{6,12}", re.IGNORECASE)


def item_province_id(item: InventoryItem) -> int | None:
    """The province an item belongs to: its own, else its project's."""
    if item.province_id is not None:
        return item.province_id
    if item.project is not None:
        return item.project.province_id
    return None


# --- columns ---------------------------------------------------------------------------------

COLUMNS = (
    "fiscal_year",
    "cluster",
    "province",
    "project_code",
    "project",
    "activity",
    "host_agency",
    "deliverable",
    "type",
    "quantity",
    "due_date",
)
REQUIRED_COLUMNS = ("fiscal_year", "project", "activity", "deliverable")

COLUMN_TH = {
    "fiscal_year": "ปีงบประมาณ",
    "cluster": "กลุ่มจังหวัด",
    "province": "จังหวัด",
    "project_code": "รหัสโครงการ",
    "project": "โครงการ",
    "activity": "กิจกรรม",
    "host_agency": "หน่วยงานเจ้าภาพ",
    "deliverable": "ทรัพยากร/ผลลัพธ์",
    "type": "ประเภท",
    "quantity": "จำนวน",
    "due_date": "กำหนดส่ง",
}

_ALIASES = {
    "fiscal_year": [
        "ปีงบประมาณ",
        "ปีงบประมาณพ.ศ.",
        "ปีงบ",
        "ปีงบฯ",
        "fiscal_year",
        "fiscal year",
        "fy",
        "year",
    ],
    "cluster": ["กลุ่มจังหวัด", "cluster", "provincial cluster"],
    "province": ["จังหวัด", "province"],
    "project_code": ["รหัสโครงการ", "project_code", "project code", "project id"],
    "project": ["โครงการ", "ชื่อโครงการ", "project", "project name", "project_name"],
    "activity": ["กิจกรรม", "ชื่อกิจกรรม", "activity", "activity name"],
    "host_agency": [
        "หน่วยงานเจ้าภาพ",
        "หน่วยงานเจ้าภาพโครงการ",
        "หน่วยงานรับผิดชอบ",
        "หน่วยงาน",
        "host_agency",
        "host agency",
        "agency",
    ],
    "deliverable": [
        "ทรัพยากร/ผลลัพธ์",
        "ทรัพยากรผลลัพธ์",
        "ทรัพยากร/ผลผลิต",
        "รายการทรัพยากร/ผลลัพธ์",
        "รายการ",
        "ทรัพยากร",
        "ผลลัพธ์",
        "deliverable",
        "deliverables",
        "output",
        "item",
    ],
    "type": ["ประเภท", "ประเภททรัพยากร", "ชนิด", "type", "item_type", "item type"],
    "quantity": ["จำนวน", "quantity", "qty"],
    "due_date": [
        "กำหนดส่ง",
        "วันกำหนดส่ง",
        "กำหนดวันส่ง",
        "วันที่ส่ง",
        "due_date",
        "due date",
        "due",
        "deadline",
    ],
}


def _header_norm(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFC", str(text))).strip("*:").lower()


HEADER_ALIASES: dict[str, str] = {
    _header_norm(alias): column for column, aliases in _ALIASES.items() for alias in aliases
}


def column_for_header(header) -> str | None:
    """'ปีงบประมาณ', 'Fiscal Year', 'ปีงบประมาณ (fiscal_year)', 'จำนวน*' -> canonical name."""
    if header is None:
        return None
    text = clean_display(header)
    if not text:
        return None
    candidates = [text]
    m = re.match(r"^(.*?)\s*[(\[](.*?)[)\]]\s*$", text)
    if m:
        candidates += [m.group(1), m.group(2)]
    candidates += [part for part in text.split("\n") if part.strip()]
    for candidate in candidates:
        column = HEADER_ALIASES.get(_header_norm(candidate))
        if column:
            return column
    return None


# --- reading files ---------------------------------------------------------------------------


class InventoryFileError(ValueError):
    """The file as a whole cannot be read as an inventory (no header, wrong format)."""


@dataclass
class RowError:
    row: int  # 1-based, as the spreadsheet shows it
    column: str | None  # canonical column name, None for the whole row
    header: str | None  # the header as written in the file
    value: str | None
    reason_th: str
    reason_en: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"แถว {self.row}" + (f" คอลัมน์ {self.header or self.column}" if self.column else "")
        value = f" ({self.value!r})" if self.value not in (None, "") else ""
        return f"{where}{value}: {self.reason_th} ({self.reason_en})"


@dataclass
class RawRow:
    number: int
    values: dict[str, object]  # canonical column -> cell value as read


@dataclass
class RawTable:
    rows: list[RawRow]
    headers: dict[str, str]  # canonical column -> header as written
    header_row: int
    ignored_headers: list[str] = field(default_factory=list)
    encoding: str | None = None
    sheet: str | None = None


def _detect_header(
    rows: list[tuple[int, list]],
) -> tuple[int, dict[int, str], dict[str, str], list[str]]:
    best = None
    for number, cells in rows[:15]:
        mapping: dict[int, str] = {}
        written: dict[str, str] = {}
        ignored: list[str] = []
        for index, cell in enumerate(cells):
            column = column_for_header(cell)
            if column and column not in written:
                mapping[index] = column
                written[column] = clean_display(cell)
            elif cell not in (None, "") and not column:
                ignored.append(clean_display(cell))
        if best is None or len(mapping) > len(best[1]):
            best = (number, mapping, written, ignored)
    if best is None or len(best[1]) < 3:
        raise InventoryFileError(
            "ไม่พบแถวหัวตาราง เช่น ปีงบประมาณ โครงการ กิจกรรม ทรัพยากร/ผลลัพธ์ "
            "(no header row with the inventory columns found)"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in best[2]]
    if missing:
        names = ", ".join(f"{COLUMN_TH[c]} ({c})" for c in missing)
        raise InventoryFileError(f"ไม่มีคอลัมน์ที่จำเป็น: {names} (required columns missing)")
    return best


def _table(rows: list[tuple[int, list]], **extra) -> RawTable:
    header_row, mapping, written, ignored = _detect_header(rows)
    out = []
    for number, cells in rows:
        if number <= header_row:
            continue
        values = {
            column: cells[index] if index < len(cells) else None
            for index, column in mapping.items()
        }
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        out.append(RawRow(number, values))
    return RawTable(out, written, header_row, ignored, **extra)


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """CSV bytes -> (text, encoding): UTF-8 with or without BOM, UTF-16 (Excel's 'Unicode
    text'), cp874/TIS-620 (Thai Windows, what older Excel saves as 'CSV')."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp874"), "cp874"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InventoryFileError("อ่านรหัสอักขระของไฟล์ CSV ไม่ได้ (cannot detect the CSV encoding)")
    return str(best), best.encoding


def read_csv(data: bytes) -> RawTable:
    text, encoding = decode_csv_bytes(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [(number, list(cells)) for number, cells in enumerate(reader, 1)]
    return _table(rows, encoding=encoding)


def read_xlsx(data: bytes) -> RawTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise InventoryFileError(
            f"เปิดไฟล์ Excel ไม่ได้ (cannot open the workbook: {exc.__class__.__name__})"
        ) from exc
    problem = None
    for sheet in workbook.worksheets:
        # Merged cells (a project name spanning its activities' rows) count for every row.
        merged: dict[tuple[int, int], object] = {}
        for rng in sheet.merged_cells.ranges:
            top = sheet.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    merged[(r, c)] = top
        rows = []
        for r, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            values = list(cells)
            for (mr, mc), value in merged.items():
                if mr == r and mc - 1 < len(values):
                    values[mc - 1] = value
            rows.append((r, values))
        try:
            return _table(rows, sheet=sheet.title)
        except InventoryFileError as exc:
            problem = problem or exc
    raise problem or InventoryFileError("ไฟล์ไม่มีแผ่นงาน (the workbook has no sheets)")


def read_table(data: bytes, filename: str) -> RawTable:
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    if suffix == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InventoryFileError(
            "ไม่รองรับไฟล์ .xls รุ่นเก่า กรุณาบันทึกเป็น .xlsx หรือ CSV "
            "(old .xls files are not supported; save as .xlsx or CSV)"
        )
    return read_csv(data)


# --- parsing rows ----------------------------------------------------------------------------


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


# --- importing -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    filename: str
    rows: int = 0
    created: list[str] = field(default_factory=list)  # item codes
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # example rows
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # codes of the same projects not in the file
    restored: list[str] = field(default_factory=list)  # retired items the file lists again
    retired: list[str] = field(default_factory=list)  # absent items retired by prune
    # updated items whose change the search index holds (see _INDEXED_ITEM_ATTRIBUTES)
    reindex: list[str] = field(default_factory=list)
    prune: bool = False
    prune_skipped: bool = False  # prune asked, but rows had errors: nothing retired
    strict: bool = False
    committed: bool = True
    encoding: str | None = None
    sheet: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "filename": self.filename,
            "ok": self.ok,
            "committed": self.committed,
            "strict": self.strict,
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "codes": {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
            },
            "skipped_example_rows": self.skipped,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "absent": self.absent,
            "restored": self.restored,
            "retired": self.retired,
            "prune": self.prune,
            "prune_skipped": self.prune_skipped,
            "encoding": self.encoding,
            "sheet": self.sheet,
        }


def parse_inventory(data: bytes, filename: str) -> tuple[RawTable, list[ParsedRow], ImportResult]:
    """Read and check a file without touching the database."""
    table = read_table(data, filename)
    result = ImportResult(filename=filename, encoding=table.encoding, sheet=table.sheet)
    parsed: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for raw in table.rows:
        if any(
            isinstance(value, str) and EXAMPLE_MARK.match(value) for value in raw.values.values()
        ):
            result.skipped.append(raw.number)
            continue
        result.rows += 1
        row, errors, warnings = parse_row(raw, table.headers)
        result.errors += errors
        result.warnings += warnings
        if row is None:
            continue
        if row.key in seen:
            result.errors.append(
                RowError(
                    row.number,
                    "deliverable",
                    table.headers.get("deliverable"),
                    row.deliverable,
                    f"ซ้ำกับแถว {seen[row.key]} (ปี โครงการ กิจกรรม รายการ และจังหวัดเดียวกัน)",
                    f"duplicates row {seen[row.key]} "
                    "(same year, project, activity, deliverable and province)",
                )
            )
            continue
        seen[row.key] = row.number
        parsed.append(row)
    return table, parsed, result


def import_inventory(
    core,
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    strict: bool = False,
    prune: bool = False,
    agent: str = "operator",
) -> ImportResult:
    """Import an inventory file (path or bytes; ``filename`` tells bytes' format).

    Good rows are created or updated by natural key; rows with errors are reported.
    ``strict=True`` imports nothing when any row has an error. ``prune=True`` retires the
    items of the file's projects that the file no longer lists, but only when every row
    was read: a row skipped for an error must not retire its item. Raises
    InventoryFileError when the file as a whole is unreadable."""
    if isinstance(source, bytes):
        data = source
        filename = filename or "inventory.csv"
    else:
        path = Path(source)
        data = path.read_bytes()
        filename = filename or path.name
    _table, rows, result = parse_inventory(data, filename)
    result.strict, result.prune = strict, prune
    if strict and result.errors:
        result.committed = False
        return result
    with core.transaction() as session:
        _apply(session, rows, result, agent=agent)
        if prune and result.errors:
            result.prune_skipped = True
        elif prune and result.absent:
            absent = session.scalars(
                select(InventoryItem).where(InventoryItem.code.in_(result.absent))
            )
            result.retired = _retire(
                session,
                list(absent),
                agent=agent,
                reason=f"ไม่อยู่ในบัญชี {filename} (not in the inventory file)",
                tool="khlang inventory import --prune",
            )
        ev.record(
            session,
            INVENTORY_IMPORTED,
            agent=agent,
            tool="khlang inventory import",
            outcome="success" if result.ok else "partial",
            filename=filename,
            rows=result.rows,
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
            errors=len(result.errors),
            restored=result.restored,
            retired=result.retired,
        )
        stale = _mark_linked_for_reindex(session, result.reindex)
    reindex_quietly(core, stale, agent=agent)
    return result


# What the search index holds of a linked item (indexer.ingest.indexing.document_for_index): its
# title, project, activity, host agency and province. A new quantity, type or due date
# leaves its documents' index entries as they are.
_INDEXED_ITEM_ATTRIBUTES = frozenset(
    ("title", "project_id", "activity_id", "agency_id", "province_id")
)


def _mark_linked_for_reindex(session: Session, codes: list[str]) -> list[int]:
    """The index holds a document's linked items' project, activity, agency and province:
    when an item changes, its documents are marked for reindexing (their ids returned)."""
    if not codes:
        return []
    ids = list(
        session.scalars(
            select(DocumentLink.document_id)
            .join(InventoryItem, InventoryItem.id == DocumentLink.item_id)
            .where(InventoryItem.code.in_(codes), DocumentLink.active.is_(True))
            .distinct()
        )
    )
    if ids:
        session.execute(update(Document).where(Document.id.in_(ids)).values(indexed_version=None))
    return ids


class _Resolver:
    """Finds or creates clusters, provinces, agencies, projects and activities by name,
    tolerant of spacing, digits and prefixes, within one session."""

    def __init__(self, session: Session):
        self.session = session
        self._projects: dict[tuple[int, str], Project] = {}
        self._loaded_years: set[int] = set()
        self._activities: dict[tuple[int, str], Activity] = {}
        self._agencies: dict[str, Agency] | None = None

    def cluster(self, name: str | None) -> Cluster | None:
        if not name:
            return None
        found = self.session.scalar(select(Cluster).where(Cluster.name == name))
        if found is None:
            found = Cluster(name=name)
            self.session.add(found)
            self.session.flush()
        return found

    def province(self, name: str | None, cluster: Cluster | None) -> Province | None:
        if not name:
            return None
        found = self.session.scalar(select(Province).where(Province.name == name))
        if found is None:
            found = Province(name=name, cluster=cluster)
            self.session.add(found)
            self.session.flush()
        elif found.cluster_id is None and cluster is not None:
            found.cluster = cluster
        return found

    def agency(self, name: str | None, province: Province | None) -> Agency | None:
        if not name:
            return None
        if self._agencies is None:
            self._agencies = {
                normalise_text(a.name): a for a in self.session.scalars(select(Agency))
            }
        key = normalise_text(name)
        found = self._agencies.get(key)
        if found is None:
            found = Agency(name=name, province=province)
            self.session.add(found)
            self.session.flush()
            self._agencies[key] = found
        return found

    def project(self, row: ParsedRow) -> Project:
        if row.fiscal_year not in self._loaded_years:
            for p in self.session.scalars(
                select(Project).where(Project.fiscal_year == row.fiscal_year)
            ):
                self._projects.setdefault((row.fiscal_year, normalise_name(p.name)), p)
            self._loaded_years.add(row.fiscal_year)
        key = (row.fiscal_year, normalise_name(row.project))
        found = self._projects.get(key)
        if found is None:
            found = Project(fiscal_year=row.fiscal_year, name=row.project)
            self.session.add(found)
            self.session.flush()
            self._projects[key] = found
        return found

    def activity(self, project: Project, name: str | None) -> Activity | None:
        if not name:
            return None
        key = (project.id, normalise_name(name))
        if key not in self._activities:
            for a in self.session.scalars(
                select(Activity).where(Activity.project_id == project.id)
            ):
                self._activities.setdefault((project.id, normalise_name(a.name)), a)
        found = self._activities.get(key)
        if found is None:
            found = Activity(project=project, name=name)
            self.session.add(found)
            self.session.flush()
            self._activities[key] = found
        return found


def _set(obj, attr: str, value) -> bool:
    if getattr(obj, attr) != value:
        setattr(obj, attr, value)
        return True
    return False


def _unique_code(session: Session, fiscal_year: int, key: str) -> str:
    for length in (6, 8, 10, 12):
        code = item_code_for(fiscal_year, key, length)
        owner = session.scalar(select(InventoryItem.natural_key).where(InventoryItem.code == code))
        if owner is None or owner == key:
            return code
    raise RuntimeError("no free inventory code")  # 60 bits of hash collided: not in practice


def _find_item(session: Session, row: ParsedRow, province: Province | None) -> InventoryItem | None:
    """The item of this row: by its key, else (for a row with a province) an item made
    before the province was part of the key, of that province or of none; it takes the
    new key and keeps its code."""
    item = session.scalar(select(InventoryItem).where(InventoryItem.natural_key == row.key))
    if item is not None or province is None:
        return item
    legacy = session.scalar(
        select(InventoryItem).where(InventoryItem.natural_key == row.key_without_province)
    )
    if legacy is not None and legacy.province_id in (None, province.id):
        legacy.natural_key = row.key
        return legacy
    return None


def _apply(
    session: Session, rows: Iterable[ParsedRow], result: ImportResult, *, agent: str
) -> None:
    resolve = _Resolver(session)
    touched_projects: set[int] = set()
    seen_keys: set[str] = set()
    for row in rows:
        cluster = resolve.cluster(row.cluster)
        province = resolve.province(row.province, cluster)
        agency = resolve.agency(row.host_agency, province)
        project = resolve.project(row)
        # The project takes what its rows say when it does not know yet; a later row of
        # another province does not move it (the item keeps its own province).
        if project.code is None and row.project_code:
            project.code = row.project_code
        if project.cluster_id is None and cluster is not None:
            project.cluster = cluster
        if project.province_id is None and province is not None:
            project.province = province
        if project.agency_id is None and agency is not None:
            project.agency = agency
        activity = resolve.activity(project, row.activity)
        key = row.key
        seen_keys.add(key)
        touched_projects.add(project.id)
        item = _find_item(session, row, province)
        values = {
            "project_id": project.id,
            "activity_id": activity.id if activity else None,
            "agency_id": agency.id if agency else None,
            "province_id": province.id if province else None,
            "title": row.deliverable,
            "item_type": row.item_type,
            "quantity": row.quantity,
            "due_date": row.due_date,
        }
        if item is None:
            item = InventoryItem(
                natural_key=key, code=_unique_code(session, row.fiscal_year, key), **values
            )
            session.add(item)
            session.flush()
            result.created.append(item.code)
            continue
        if item.retired_at is not None:
            item.retired_at = None
            result.restored.append(item.code)
            ev.record(
                session,
                ev.INVENTORY_RESTORED,
                agent=agent,
                tool="khlang inventory import",
                item_code=item.code,
                item_title=item.title,
                filename=result.filename,
            )
        changed = [attr for attr, value in values.items() if _set(item, attr, value)]
        if changed:
            item.updated_at = utcnow()
            result.updated.append(item.code)
            if _INDEXED_ITEM_ATTRIBUTES.intersection(changed):
                result.reindex.append(item.code)
        else:
            result.unchanged.append(item.code)
    if touched_projects:
        others = session.scalars(
            select(InventoryItem)
            .where(
                InventoryItem.project_id.in_(touched_projects),
                InventoryItem.retired_at.is_(None),
            )
            .order_by(InventoryItem.code)
        )
        result.absent = [i.code for i in others if i.natural_key not in seen_keys]


# --- the template ----------------------------------------------------------------------------

TEMPLATE_EXAMPLE = {
    "fiscal_year": "๒๕๖๒",
    "cluster": "กลุ่มจังหวัดภาคเหนือตอนบน ๑",
    "province": "เชียงใหม่",
    "project_code": "N1-62-01",
    "project": "(ตัวอย่าง) โครงการพัฒนาการท่องเที่ยวเชิงสร้างสรรค์",
    "activity": "กิจกรรมที่ ๑ อบรมผู้ประกอบการ",
    "host_agency": "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงใหม่",
    "deliverable": "คู่มือการอบรม",
    "type": "เอกสาร",
    "quantity": "๑",
    "due_date": "๓๑ ต.ค. ๒๕๖๒",
}
TEMPLATE_WIDTHS = {
    "fiscal_year": 12,
    "cluster": 30,
    "province": 14,
    "project_code": 14,
    "project": 48,
    "activity": 40,
    "host_agency": 40,
    "deliverable": 40,
    "type": 14,
    "quantity": 9,
    "due_date": 16,
}
THAI_FONT = "TH Sarabun New"


def template_xlsx() -> bytes:
    """The inventory template staff fill in: Thai header row (English names in the cell
    notes), one example row marked '(ตัวอย่าง)' which the import skips, column widths, a
    Thai font, text-formatted columns so Excel keeps Thai digits and leading zeros."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "บัญชีทรัพยากร-ผลลัพธ์"
    header_font = Font(name=THAI_FONT, size=16, bold=True)
    body_font = Font(name=THAI_FONT, size=16)
    example_font = Font(name=THAI_FONT, size=16, italic=True, color="808080")
    fill = PatternFill("solid", fgColor="DDEBF7")
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(COLUMNS, 1):
        cell = sheet.cell(1, index, COLUMN_TH[column])
        cell.font, cell.fill = header_font, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note = column + (" (ต้องกรอก / required)" if column in REQUIRED_COLUMNS else "")
        cell.comment = Comment(note, "khlang")
        example = sheet.cell(2, index, TEMPLATE_EXAMPLE[column])
        example.font = example_font
        example.number_format = "@"
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = TEMPLATE_WIDTHS[column]
        for r in range(3, 503):
            sheet.cell(r, index).font = body_font
            sheet.cell(r, index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("คำอธิบาย")
    lines = [
        "บัญชีรายละเอียดทรัพยากร/ผลลัพธ์ที่เกิดจากการดำเนินโครงการ",
        "กรอกหนึ่งแถวต่อหนึ่งรายการทรัพยากร/ผลลัพธ์ของแต่ละกิจกรรม",
        "ต้องกรอก: ปีงบประมาณ โครงการ กิจกรรม ทรัพยากร/ผลลัพธ์",
        "จำนวน: ว่างไว้ = ๑; วันที่เขียนได้เช่น ๓๑ ต.ค. ๒๕๖๒ หรือ 31/10/2562",
        "แถวที่ขึ้นต้นด้วย (ตัวอย่าง) จะไม่ถูกนำเข้า ลบหรือเขียนทับได้",
        "One row per deliverable of each activity; the row marked (ตัวอย่าง) is not imported.",
    ]
    for r, line in enumerate(lines, 1):
        notes.cell(r, 1, line).font = body_font
    notes.column_dimensions["A"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- reading the inventory -------------------------------------------------------------------


def _session_of(session_or_core) -> tuple[Session, bool]:
    if isinstance(session_or_core, Session):
        return session_or_core, False
    return session_or_core.sessions(), True


def get_item(session: Session, code: str) -> InventoryItem | None:
    """The item with this code as typed (any case, Thai or Arabic digits), retired or not."""
    return session.scalar(select(InventoryItem).where(InventoryItem.code == normalise_code(code)))


class ItemRetired(LookupError):
    pass


def resolve_item_code(session: Session, code: str) -> str:
    """The stored code of the item to deliver against, from the code as typed
    ('inv-๒๕๖๒-k7m2qx' -> 'INV-2562-K7M2QX'). LookupError when there is no such item;
    ItemRetired (a LookupError) when it was retired."""
    item = get_item(session, code)
    if item is None:
        raise LookupError(f"ไม่พบรายการรหัส {code} (no inventory item with code {code})")
    if item.retired_at is not None:
        raise ItemRetired(f"รายการ {item.code} ถูกยกเลิกแล้ว (item {item.code} is retired)")
    return item.code


def item_as_dict(item: InventoryItem, *, received: int | None = None) -> dict:
    project = item.project
    data = {
        "code": item.code,
        "fiscal_year": project.fiscal_year,
        "cluster": project.cluster.name if project.cluster else None,
        "province": item.province.name if item.province else None,
        "project_code": project.code,
        "project": project.name,
        "activity": item.activity.name if item.activity else None,
        "host_agency": item.agency.name if item.agency else None,
        "deliverable": item.title,
        "type": item.item_type,
        "quantity": item.quantity,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "due_date_th": format_thai_date(item.due_date, "short") if item.due_date else None,
        "retired_at": item.retired_at.isoformat() if item.retired_at else None,
    }
    if received is not None:
        data["received"] = received
    return data


def list_items(
    session_or_core,
    fiscal_year: int | None = None,
    *,
    project: str | None = None,
    include_retired: bool = False,
) -> list[dict]:
    """The inventory as dicts (see ``item_as_dict``) with the count of active links;
    retired items only when asked."""
    session, close = _session_of(session_or_core)
    try:
        query = select(InventoryItem).join(Project, InventoryItem.project_id == Project.id)
        if not include_retired:
            query = query.where(InventoryItem.retired_at.is_(None))
        if fiscal_year is not None:
            query = query.where(Project.fiscal_year == fiscal_year)
        items = list(
            session.scalars(query.order_by(Project.fiscal_year, Project.name, InventoryItem.id))
        )
        if project:
            wanted = normalise_name(project)
            items = [i for i in items if wanted in normalise_name(i.project.name)]
        counts: dict[int, int] = {}
        if items:
            for item_id in session.scalars(
                select(DocumentLink.item_id).where(
                    DocumentLink.active.is_(True),
                    DocumentLink.item_id.in_([i.id for i in items]),
                )
            ):
                counts[item_id] = counts.get(item_id, 0) + 1
        return [item_as_dict(i, received=counts.get(i.id, 0)) for i in items]
    finally:
        if close:
            session.close()


# --- retiring items --------------------------------------------------------------------------


def _retire(
    session: Session, items: list[InventoryItem], *, agent: str, reason: str | None, tool: str
) -> list[str]:
    """Retire the items not retired yet, each with its provenance event; their codes."""
    done = []
    for item in items:
        if item.retired_at is not None:
            continue
        item.retired_at = utcnow()
        ev.record(
            session,
            ev.INVENTORY_RETIRED,
            agent=agent,
            tool=tool,
            item_code=item.code,
            item_title=item.title,
            project=item.project.name,
            reason=reason,
        )
        done.append(item.code)
    return done


def retire_items(
    core, codes: Iterable[str], *, agent: str, reason: str | None = None
) -> dict[str, list[str]]:
    """Withdraw items from the inventory (a renamed or dropped deliverable): they leave the
    gap report and the suggestions, keep their links and history, and come back if a later
    import lists them. -> {"retired", "already_retired", "not_found"} (codes)."""
    out: dict[str, list[str]] = {"retired": [], "already_retired": [], "not_found": []}
    with core.transaction() as session:
        items = []
        for code in codes:
            item = get_item(session, code)
            if item is None:
                out["not_found"].append(code)
            elif item.retired_at is not None:
                out["already_retired"].append(item.code)
            elif item not in items:
                items.append(item)
        out["retired"] = _retire(
            session, items, agent=agent, reason=reason, tool="khlang inventory retire"
        )
    return out


# --- process deadlines -----------------------------------------------------------------------


def default_deadlines(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """Seed 000: 31 Oct and 6 Nov of B.E. year == fiscal year (see the module notes)."""
    year = fiscal_year - BE_OFFSET
    return dt.date(year, 10, 31), dt.date(year, 11, 6)


def process_deadlines(session_or_core, fiscal_year: int) -> dict:
    session, close = _session_of(session_or_core)
    try:
        row = session.get(ProcessDeadline, fiscal_year)
    finally:
        if close:
            session.close()
    inventory_default, cluster_default = default_deadlines(fiscal_year)
    inventory = row.inventory_to_dsss if row and row.inventory_to_dsss else inventory_default
    cluster = row.dsss_to_cluster if row and row.dsss_to_cluster else cluster_default
    return {
        "fiscal_year": fiscal_year,
        "inventory_to_dsss": inventory,
        "dsss_to_cluster": cluster,
        "configured": {
            "inventory_to_dsss": bool(row and row.inventory_to_dsss),
            "dsss_to_cluster": bool(row and row.dsss_to_cluster),
        },
    }


def set_process_deadlines(
    core,
    fiscal_year: int,
    *,
    inventory_to_dsss: dt.date | str | None = None,
    dsss_to_cluster: dt.date | str | None = None,
) -> dict:
    """Set one fiscal year's deadlines (dates or Thai date strings); None keeps a value."""
    values = {}
    for name, value in (
        ("inventory_to_dsss", inventory_to_dsss),
        ("dsss_to_cluster", dsss_to_cluster),
    ):
        if value is None:
            continue
        parsed = parse_thai_date(value)
        if parsed is None:
            raise ValueError(f"อ่านวันที่ไม่ได้ (unreadable date): {value}")
        values[name] = parsed
    with core.transaction() as session:
        row = session.get(ProcessDeadline, fiscal_year)
        if row is None:
            row = ProcessDeadline(fiscal_year=fiscal_year)
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
    return process_deadlines(core, fiscal_year)


# --- linking (every change is a provenance event, see indexer.inventory.links) -------------------------


class LinkError(LookupError):
    pass


def _doc_and_item(session: Session, document_id: int, code: str) -> tuple[Document, InventoryItem]:
    document = session.get(Document, document_id)
    if document is None:
        raise LinkError(f"ไม่พบเอกสารหมายเลข {document_id} (no document {document_id})")
    item = get_item(session, code)
    if item is None:
        raise LinkError(f"ไม่พบรายการรหัส {code} (no inventory item with code {code})")
    return document, item


def link(core, document_id: int, code: str, *, agent: str, method: str = "manual") -> dict:
    """Link a document to an item (staff's own choice: method 'manual')."""
    with core.transaction() as session:
        document, item = _doc_and_item(session, document_id, code)
        found = link_document(session, document, item, agent=agent, method=method)
        session.flush()
        return _link_dict(found, item)


def confirm_link(core, document_id: int, code: str, *, agent: str) -> dict:
    """Staff confirm a (suggested or not yet existing) link: method becomes 'confirmed'."""
    return link(core, document_id, code, agent=agent, method="confirmed")


def unlink(core, document_id: int, code: str, *, agent: str) -> bool:
    """Deactivate the link (the row and its history stay). False if there was none."""
    with core.transaction() as session:
        document, item = _doc_and_item(session, document_id, code)
        return unlink_document(session, document, item, agent=agent) is not None


def set_due_date(core, code: str, due, *, agent: str, document_id: int | None = None) -> dict:
    """Set an item's due date, typically from a deadline a letter sets (issue 7: deadlines
    are offered as due dates). Recorded as a ``due-date-set`` event on that letter."""
    parsed = parse_due_date(due)
    if not isinstance(parsed, dt.date):
        raise ValueError(f"อ่านวันที่ไม่ได้: {due} (unreadable date)")
    with core.transaction() as session:
        item = get_item(session, code)
        if item is None:
            raise LinkError(f"ไม่พบรายการรหัส {code} (no inventory item with code {code})")
        previous = item.due_date
        item.due_date = parsed
        item.updated_at = dt.datetime.now(dt.UTC)
        document = session.get(Document, document_id) if document_id else None
        ev.record(
            session,
            ev.DUE_DATE_SET,
            agent=agent,
            document=document,
            item_code=item.code,
            due_date=parsed.isoformat(),
            previous=previous.isoformat() if previous else None,
        )
        session.flush()
        return item_as_dict(item)


def _link_dict(found: DocumentLink, item: InventoryItem) -> dict:
    return {
        "document_id": found.document_id,
        "code": item.code,
        "method": found.method,
        "active": found.active,
        "linked_by": found.linked_by,
        "linked_at": found.linked_at.isoformat() if found.linked_at else None,
    }


def document_links(
    session_or_core, document_id: int, *, include_inactive: bool = False
) -> list[dict]:
    session, close = _session_of(session_or_core)
    try:
        query = select(DocumentLink).where(DocumentLink.document_id == document_id)
        if not include_inactive:
            query = query.where(DocumentLink.active.is_(True))
        return [
            _link_dict(row, row.item) | {"deliverable": row.item.title}
            for row in session.scalars(query.order_by(DocumentLink.id))
        ]
    finally:
        if close:
            session.close()
