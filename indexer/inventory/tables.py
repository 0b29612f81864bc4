"""Reading an inventory file as staff make it: Thai headers (English aliases accepted), XLSX
with merged cells, CSV in UTF-8 (with or without BOM), UTF-16 or cp874. The result is a
``RawTable`` of cells under canonical column names; ``rows`` checks the cells.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.inventory.keys import _SPACE, clean_display

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
