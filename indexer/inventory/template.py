"""The inventory template staff download and fill in (XLSX, Thai headers and font)."""

from __future__ import annotations

import io

from indexer.inventory.tables import COLUMN_TH, COLUMNS, REQUIRED_COLUMNS

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
