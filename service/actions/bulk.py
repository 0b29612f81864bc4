"""Bulk work on a selection of documents, for the search page, the job page and /api/bulk/.

Each document goes through the same function a single action uses (``change_link``,
``transition``, ``edit_document``) with the same rules (a dsss officer's province, four
eyes in the publication chain), so a bulk action can never do what one by one could not.
One document refused does not stop the others: the answer lists each document's outcome,
with the reason in Thai and English.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import g

from indexer.understand.kinds import KIND_LABELS_TH
from service import access, context
from service.actions.documents import edit_document
from service.actions.links import change_link
from service.actions.publication import TransitionError, transition
from service.errors import KhlangError

MAX_SELECTION = 500  # documents per request: a bulk action stays a few seconds

LINK_REFUSALS = {
    401: ("unauthorized", "ต้องเข้าสู่ระบบ", "log in first"),
    403: ("forbidden", "รายการนี้เป็นของจังหวัดอื่น", "the item belongs to another province"),
    404: ("not_found", "ไม่พบเอกสารหรือรายการ", "document or item not found"),
}


def _outcome(document_id: int, ok: bool, code: str = "ok", th: str = "", en: str = "") -> dict:
    result = {"document_id": document_id, "ok": ok, "code": code}
    if not ok:
        result |= {"message": th, "message_en": en}
    return result


def summary(results: list[dict]) -> dict:
    done = sum(1 for r in results if r["ok"])
    return {"done": done, "failed": len(results) - done, "results": results}


def change_links(entries: list[dict]) -> dict:
    """Each entry ``{document_id, item_code, op}``: op ``link``, ``confirm`` (a suggested
    link made by staff) or ``unlink``."""
    results = []
    for entry in entries:
        document_id, code = int(entry["document_id"]), str(entry["item_code"])
        op = entry.get("op") or "link"
        try:
            change_link(
                document_id,
                code,
                unlink=op == "unlink",
                method="confirmed" if op == "confirm" else "manual",
            )
        except KhlangError as exc:
            if exc.code == "not_linkable":
                results.append(
                    _outcome(document_id, False, exc.code, exc.message_th, exc.message_en)
                )
            elif exc.code == "item_not_found":
                results.append(
                    _outcome(
                        document_id,
                        False,
                        "item_not_found",
                        f"ไม่พบรายการ {code} ในบัญชี",
                        f"no item {code} in the inventory",
                    )
                )
            else:
                results.append(
                    _outcome(document_id, False, *LINK_REFUSALS.get(exc.status, LINK_REFUSALS[404]))
                )
        else:
            results.append(_outcome(document_id, True))
    return summary(results)


def publication(document_ids: list[int], action: str, note: str = "") -> dict:
    """One step of the publication chain for each document; the caller checked the role."""
    core = context.core()
    results = []
    for document_id in document_ids:
        with core.sessions() as session:
            visible = access.visible_document(session, document_id) is not None
        if not visible:
            results.append(_outcome(document_id, False, *LINK_REFUSALS[404]))
            continue
        try:
            transition(core, document_id, action, agent=g.principal.agent, note=note)
        except TransitionError as exc:
            results.append(_outcome(document_id, False, exc.code, exc.message_th, exc.message_en))
        else:
            results.append(_outcome(document_id, True))
    return summary(results)


def add_tags(document_ids: list[int], tags: list[str]) -> dict:
    """Add the tags to each document's own (kept in their order, no duplicates)."""
    from indexer.records.edits import clean_tags

    new = clean_tags(tags)
    core = context.core()
    results = []
    for document_id in document_ids:
        with core.sessions() as session:
            document = access.visible_document(session, document_id)
            current = list(document.tags or []) if document is not None else []
        try:
            edit_document(document_id, {"tags": current + new})
        except KhlangError as exc:
            if exc.status == 400:
                results.append(
                    _outcome(document_id, False, exc.code, exc.message_th, exc.message_en)
                )
            elif exc.status == 403:
                results.append(
                    _outcome(
                        document_id,
                        False,
                        "forbidden",
                        "แก้ไขได้เฉพาะเอกสารของจังหวัดตน",
                        "a DSSS officer edits their own province's documents only",
                    )
                )
            else:
                results.append(
                    _outcome(document_id, False, *LINK_REFUSALS.get(exc.status, LINK_REFUSALS[404]))
                )
        else:
            results.append(_outcome(document_id, True))
    return summary(results)


# --- export ----------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    ("document_id", "รหัสเอกสาร"),
    ("title", "ชื่อเอกสาร"),
    ("kind", "ประเภทเอกสาร"),
    ("fiscal_year", "ปีงบประมาณ"),
    ("document_date", "วันที่เอกสาร"),
    ("received", "รับเข้าเมื่อ"),
    ("publication", "สถานะการเผยแพร่"),
    ("items", "รายการในบัญชี"),
    ("tags", "แท็ก"),
    ("filename", "ชื่อไฟล์"),
)
# Excel's Thai Buddhist calendar: the cell holds a real date, shown as ๓๑ ธ.ค. ๒๕๖๒.
THAI_DATE_FORMAT = "[$-th-TH,107]d mmm yyyy;@"


def export_rows(document_ids: list[int]) -> list[dict]:
    """The selected documents the asker may see, in the order selected; typed values
    (int years, dates) for the spreadsheet, the kind in Thai."""
    from indexer.inventory.links import active_links
    from service.actions.publication import STATE_LABELS

    rows = []
    with context.core().sessions() as session:
        for document_id in document_ids:
            document = access.visible_document(session, document_id)
            if document is None:
                continue
            staff = not access.published_only()
            rows.append(
                {
                    "document_id": document.id,
                    "title": document.title,
                    "kind": KIND_LABELS_TH.get(document.kind, document.kind),
                    "fiscal_year": document.fiscal_year,
                    "document_date": document.document_date,
                    "received": document.created_at.date() if document.created_at else None,
                    "publication": STATE_LABELS.get(document.publication, document.publication),
                    "items": ", ".join(
                        link.item.code for link in active_links(session, document.id)
                    ),
                    "tags": ", ".join(document.tags or []) if staff else "",
                    "filename": document.filename,
                }
            )
    return rows


def export_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow(
            [
                row[key].isoformat()
                if isinstance(row[key], dt.date)
                else ("" if row[key] is None else row[key])
                for key, _ in EXPORT_COLUMNS
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens Thai CSV as UTF-8


def export_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "เอกสาร"
    sheet.append([label for _, label in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[key] for key, _ in EXPORT_COLUMNS])
    for index, (key, _) in enumerate(EXPORT_COLUMNS, start=1):
        letter = get_column_letter(index)
        if key in ("document_date", "received"):
            for cell in sheet[letter][1:]:
                cell.number_format = THAI_DATE_FORMAT
        widths = {"title": 60, "filename": 40, "items": 24, "kind": 28}
        sheet.column_dimensions[letter].width = widths.get(key, 16)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def selection(values) -> list[int]:
    """Document ids from a form or JSON list, de-duplicated in order; ValueError when
    one is not a number or the selection is too large."""
    ids: list[int] = []
    for value in values or []:
        number = int(str(value).strip())
        if number not in ids:
            ids.append(number)
    if len(ids) > MAX_SELECTION:
        raise ValueError(len(ids))
    return ids


def export_file(document_ids: list[int], fmt: str) -> dict:
    """The selection as a CSV or (any other ``fmt``) XLSX download: the keyword arguments
    of service.disposition.file_response."""
    rows = export_rows(document_ids)
    if fmt == "csv":
        data, mimetype = export_csv(rows), "text/csv"
    else:
        data, fmt = export_xlsx(rows), "xlsx"
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {
        "data": data,
        "mimetype": mimetype,
        "name": f"เอกสารที่เลือก.{fmt}",
        "fallback": f"documents.{fmt}",
    }
