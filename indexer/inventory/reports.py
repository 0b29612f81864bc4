"""Exports of the gap report (``indexer.inventory.gaps.gap_report``) for managers: CSV (UTF-8 with BOM
so that Excel shows Thai), XLSX (several sheets, Thai font) and a readable Thai text table
for the terminal. Headers are Thai, dates are written as staff write them ('๓๑ ต.ค. ๒๕๖๒'),
and also in ISO 8601 in the CSV and as date cells in the XLSX.
Pure: they take the report dict and return bytes/str. (The printable A4 page is the web
page's template: ``service.inventory_view.gaps_print_page``.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata

from indexer.thai.dates import format_thai_date
from indexer.thai.digits import to_thai_digits
from schemas.labels import DEADLINE_TH, GAP_FLAG_TH, KIND_TH
from schemas.labels import GAP_STATUS_TH as STATUS_TH

THAI_FONT = "TH Sarabun New"

ITEM_COLUMNS = [
    ("รหัสรายการ", lambda r: r["code"]),
    ("ปีงบประมาณ", lambda r: r["fiscal_year"]),
    ("จังหวัด", lambda r: r.get("province") or ""),
    ("โครงการ", lambda r: r["project"]),
    ("กิจกรรม", lambda r: r.get("activity") or ""),
    ("หน่วยงานเจ้าภาพ", lambda r: r.get("host_agency") or ""),
    ("ทรัพยากร/ผลลัพธ์", lambda r: r["deliverable"]),
    ("ประเภท", lambda r: r.get("type") or ""),
    ("จำนวน", lambda r: r["quantity"]),
    ("ได้รับ", lambda r: r["received"]),
    # of which linked by the system's suggestion and not yet confirmed by staff
    ("ยังไม่ยืนยัน", lambda r: r.get("unconfirmed", 0)),
    ("สถานะ", lambda r: STATUS_TH.get(r["status"], r["status"])),
    ("กำหนดส่ง", lambda r: thai_date(r.get("due_date"))),
    ("เกินกำหนด", lambda r: "ใช่" if r.get("overdue") else ""),
    ("ได้รับครั้งแรก", lambda r: thai_date(r.get("first_arrival"))),
    ("ได้รับล่าสุด", lambda r: thai_date(r.get("last_arrival"))),
    ("เอกสาร", lambda r: ", ".join(f"#{d['document_id']}" for d in r.get("documents", []))),
]
DATE_COLUMNS = {
    [n for n, _ in ITEM_COLUMNS].index(name): key
    for name, key in (
        ("กำหนดส่ง", "due_date"),
        ("ได้รับครั้งแรก", "first_arrival"),
        ("ได้รับล่าสุด", "last_arrival"),
    )
}
ITEM_WIDTHS = [17, 11, 14, 44, 36, 36, 36, 12, 8, 8, 12, 14, 14, 10, 14, 14, 14]


def thai_date(value: str | dt.date | None) -> str:
    """ISO string or date -> '๓๑ ต.ค. ๒๕๖๒'; empty for None."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return format_thai_date(value, "short")


def _item_rows(report: dict, *, dates: bool = False) -> list[list]:
    """The items table's rows: dates as Thai text (CSV), or as dates (``dates``: XLSX)."""
    rows = [[get(r) for _, get in ITEM_COLUMNS] for r in report["items"]]
    if dates:
        for row, item in zip(rows, report["items"], strict=True):
            for column, key in DATE_COLUMNS.items():
                row[column] = _as_date(item.get(key))
    return rows


CSV_THAI_DATE = "{} (วันที่แบบไทย)"


def gaps_csv(report: dict) -> bytes:
    """The items table as CSV, UTF-8 with BOM (Excel then shows the Thai). A date column
    holds ISO 8601 dates (2019-10-31: a program or a spreadsheet sorts and reads them), and
    the date as staff write it ('๓๑ ต.ค. ๒๕๖๒', as the CSV always had) follows in a column
    of its own."""
    header, rows = [], []
    for column, (name, _) in enumerate(ITEM_COLUMNS):
        header.append(name)
        if column in DATE_COLUMNS:
            header.append(CSV_THAI_DATE.format(name))
    for row, item in zip(_item_rows(report), report["items"], strict=True):
        cells = []
        for column, value in enumerate(row):
            if column in DATE_COLUMNS:
                date = _as_date(item.get(DATE_COLUMNS[column]))
                cells += [date.isoformat() if date else "", value]
            else:
                cells.append(value)
        rows.append(cells)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


# Excel number formats with a locale prefix [$-NNCCLLLL]: NN the digits (0D Thai, 01
# Western), CC the calendar (07 Thai Buddhist), LLLL the language (041E Thai). The cells hold
# real dates and numbers (sortable, filterable); only their display is Thai.
XLSX_DATE_FORMAT = {"thai": "[$-D07041E]d mmm yyyy", "arabic": "[$-107041E]d mmm yyyy"}
XLSX_INTEGER_FORMAT = {"thai": "[$-D00041E]0", "arabic": "0"}
XLSX_PERCENT_FORMAT = {"thai": "[$-D00041E]0.0", "arabic": "0.0"}
DIGITS = ("thai", "arabic")


def _as_date(value: str | dt.date | None) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def kind_th(kind: str | None) -> str:
    """'guideline' -> 'แนวทาง/แนวปฏิบัติ/คู่มือ'; unknown kinds as they are."""
    return KIND_TH.get(kind or "", kind or "")


def gaps_xlsx(report: dict, *, digits: str = "thai") -> bytes:
    """Workbook: รายการ (items), สรุปโครงการ (summary-report checks), เอกสารนอกบัญชี
    (unexpected), รายจังหวัด, รายหน่วยงาน, ข้อมูลรายงาน (year, as-of date, deadlines).
    Dates are date cells and counts and years number cells, shown as Thai offices write
    them (B.E.; Thai digits unless ``digits='arabic'``); every sheet has a frozen header,
    filters and an A4 page set-up that repeats the header on each printed page."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if digits not in DIGITS:
        raise ValueError(f"digits must be one of {DIGITS}, not {digits!r}")
    date_format, integer_format = XLSX_DATE_FORMAT[digits], XLSX_INTEGER_FORMAT[digits]
    body = Font(name=THAI_FONT, size=14)
    bold = Font(name=THAI_FONT, size=14, bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    fills = {
        "overdue": PatternFill("solid", fgColor="F8CBAD"),
        "partial": PatternFill("solid", fgColor="FFE699"),
        "received": PatternFill("solid", fgColor="C6EFCE"),
    }
    workbook = Workbook()

    def sheet(title: str, headers: list[str], rows: list[list], widths: list[int], *, table=True):
        ws = workbook.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font, cell.fill = bold, header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for row in rows:
            ws.append(row)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.font = body
                cell.alignment = Alignment(vertical="top", wrap_text=True)
                if isinstance(cell.value, dt.date):
                    cell.number_format = date_format
                elif isinstance(cell.value, bool):
                    pass
                elif isinstance(cell.value, int):
                    cell.number_format = integer_format
                elif isinstance(cell.value, float):
                    cell.number_format = XLSX_PERCENT_FORMAT[digits]
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        if table:
            ws.auto_filter.ref = ws.dimensions
        # printed on A4, as wide as the page, header row on every page
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if sum(widths) > 120 else "portrait"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
        ws.print_options.gridLines = True
        ws.oddFooter.center.text = "หน้า &P/&N"
        return ws

    workbook.remove(workbook.active)
    items = sheet(
        "รายการ", [n for n, _ in ITEM_COLUMNS], _item_rows(report, dates=True), ITEM_WIDTHS
    )
    status_col = [n for n, _ in ITEM_COLUMNS].index("สถานะ") + 1
    for r, item in enumerate(report["items"], 2):
        fill = fills.get(item["status"])
        if fill:
            items.cell(r, status_col).fill = fill

    project_rows = []
    for p in report.get("projects", []):
        best = p.get("summary_report") or {}
        project_rows.append(
            [
                p["project"],
                p.get("host_agency") or "",
                f"#{best['document_id']}" if best else "ไม่มี",
                _yes_no(best.get("names_project")) if best else "",
                _yes_no(best.get("names_all_activities")) if best else "",
                _yes_no(best.get("names_fiscal_year")) if best else "",
                "ไม่ได้ตรวจ" if best else "",
                "; ".join(GAP_FLAG_TH[f] for f in p.get("flags", [])) or "ครบถ้วน",
            ]
        )
    sheet(
        "สรุปโครงการ",
        [
            "โครงการ",
            "หน่วยงานเจ้าภาพ",
            "รายงานสรุปผลการดำเนินงาน",
            "ระบุชื่อโครงการ",
            "ระบุชื่อกิจกรรม",
            "ระบุปีงบประมาณ",
            "ตราสัญลักษณ์กลุ่มจังหวัด",
            "ข้อสังเกต",
        ],
        project_rows,
        [44, 36, 16, 14, 14, 14, 16, 50],
    )
    sheet(
        "เอกสารนอกบัญชี",
        ["เลขเอกสาร", "ชื่อเรื่อง", "ชื่อไฟล์", "ประเภท", "วันที่ได้รับ", "รายการที่อาจตรงกัน"],
        [
            [
                d["document_id"],
                d.get("title") or "",
                d.get("filename") or "",
                kind_th(d.get("kind")),
                _as_date(d.get("arrived")),
                ", ".join(f"{s['code']} ({s['score']:.2f})" for s in d.get("suggestions", [])),
            ]
            for d in report.get("unexpected", [])
        ],
        [10, 44, 36, 16, 14, 36],
    )
    group_headers = ["รายการ", "ได้รับแล้ว", "บางส่วน", "ยังไม่ได้รับ", "เกินกำหนด", "ความครบถ้วน (%)"]
    for title, key, label in (
        ("รายจังหวัด", "by_province", "จังหวัด"),
        ("รายหน่วยงาน", "by_agency", "หน่วยงานเจ้าภาพ"),
    ):
        sheet(
            title,
            [label, *group_headers],
            [
                [
                    g["name"],
                    g["items"],
                    g["received"],
                    g["partial"],
                    g["missing"],
                    g["late"],
                    float(round(g["completeness"] * 100, 1)),
                ]
                for g in report.get(key, [])
            ],
            [40, 10, 10, 10, 12, 10, 16],
        )
    info = [
        ["ปีงบประมาณ", int(report["fiscal_year"])],
        ["ข้อมูล ณ วันที่", _as_date(report["as_of"])],
    ]
    for name, deadline in report.get("deadlines", {}).items():
        info.append([DEADLINE_TH.get(name, name), _as_date(deadline["date"])])
        if deadline["passed"]:
            info[-1][0] += " (พ้นกำหนดแล้ว)"
    summary = report.get("summary", {})
    info += [
        ["รายการทั้งหมด", summary.get("items", 0)],
        ["ได้รับแล้ว", summary.get("received", 0)],
        ["ได้รับบางส่วน", summary.get("partial", 0)],
        ["ยังไม่ได้รับ", summary.get("missing", 0)],
        ["เกินกำหนด", summary.get("overdue", 0)],
        ["รายการที่นับจากการเชื่อมโยงที่ยังไม่ยืนยัน", summary.get("unconfirmed_items", 0)],
        ["ความครบถ้วน (%)", float(round(summary.get("completeness", 0) * 100, 1))],
        ["เอกสารนอกบัญชี", summary.get("unexpected", 0)],
    ]
    sheet("ข้อมูลรายงาน", ["หัวข้อ", "ค่า"], info, [50, 30], table=False)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _yes_no(value) -> str:
    return {True: "ใช่", False: "ไม่", None: ""}[value]


# --- terminal -------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: Thai vowels above/below and tone marks
    (combining marks) take none."""
    return sum(
        0 if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn" else 1 for ch in text
    )


def _fit(text: str, width: int) -> str:
    text = str(text)
    if display_width(text) > width:
        out, used = "", 0
        for ch in text:
            w = 0 if unicodedata.category(ch) == "Mn" else 1
            if used + w > width - 1:
                break
            out += ch
            used += w
        text = out + "…"
    return text + " " * (width - display_width(text))


def gaps_text(report: dict) -> str:
    """A readable Thai table for the terminal."""
    lines = []
    s = report["summary"]
    lines.append(
        f"รายงานติดตามทรัพยากร/ผลลัพธ์ ปีงบประมาณ {to_thai_digits(str(report['fiscal_year']))} "
        f"ข้อมูล ณ วันที่ {thai_date(report['as_of'])}"
    )
    for name, deadline in report.get("deadlines", {}).items():
        mark = " (พ้นกำหนดแล้ว)" if deadline["passed"] else ""
        lines.append(f"  กำหนด{DEADLINE_TH.get(name, name)}: {thai_date(deadline['date'])}{mark}")
    lines.append(
        f"  ทั้งหมด {s['items']} รายการ: ได้รับแล้ว {s['received']}, บางส่วน {s['partial']}, "
        f"ยังไม่ได้รับ {s['missing']}, เกินกำหนด {s['overdue']}; "
        f"ความครบถ้วน {s['completeness'] * 100:.1f}%"
    )
    if s.get("unconfirmed_items"):
        lines.append(
            f"  นับจากการเชื่อมโยงที่ระบบเสนอและยังไม่ได้ยืนยัน {s['unconfirmed_items']} รายการ "
            "(ทำเครื่องหมาย ?)"
        )
    lines.append("")
    widths = [16, 30, 26, 26, 8, 14, 14]
    header = ["รหัส", "โครงการ", "กิจกรรม", "ทรัพยากร/ผลลัพธ์", "ได้/ต้อง", "สถานะ", "กำหนดส่ง"]
    lines.append(" ".join(_fit(h, w) for h, w in zip(header, widths, strict=True)))
    lines.append(" ".join("-" * w for w in widths))
    for r in report["items"]:
        status = STATUS_TH.get(r["status"], r["status"])
        if r["status"] == "partial" and r.get("overdue"):
            status += "*"
        if r.get("unconfirmed"):
            status += "?"
        cells = [
            r["code"],
            r["project"],
            r.get("activity") or "",
            r["deliverable"],
            f"{r['received']}/{r['quantity']}",
            status,
            thai_date(r.get("due_date")),
        ]
        lines.append(" ".join(_fit(c, w) for c, w in zip(cells, widths, strict=True)).rstrip())
    flagged = [p for p in report.get("projects", []) if not p["ok"]]
    if flagged:
        lines.append("")
        lines.append("รายงานสรุปผลการดำเนินงานโครงการ ที่ต้องแก้ไข:")
        for p in flagged:
            lines.append(f"  {p['project']}: {'; '.join(GAP_FLAG_TH[f] for f in p['flags'])}")
    if report.get("most_overdue"):
        lines.append("")
        lines.append("หน่วยงานที่มีรายการเกินกำหนดมากที่สุด:")
        for g in report["most_overdue"]:
            lines.append(f"  {g['host_agency']}: {g['overdue']} รายการ")
    if report.get("unexpected"):
        lines.append("")
        lines.append(f"เอกสารที่ได้รับแต่ไม่อยู่ในบัญชี ({len(report['unexpected'])}):")
        for d in report["unexpected"][:50]:
            hint = ""
            if d.get("suggestions"):
                top = d["suggestions"][0]
                hint = f"  -> อาจเป็น {top['code']} ({top['score']:.2f})"
            lines.append(f"  #{d['document_id']} {d.get('title') or d.get('filename')}{hint}")
    return "\n".join(lines) + "\n"
