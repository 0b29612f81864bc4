"""The inventory of expected deliverables (issue 5): import from XLSX/CSV as staff make them,
stable codes, re-import without duplicates, errors by row and column, the template,
linking with provenance, and suggestions."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from indexer.inventory import (
    InventoryFileError,
    ItemRetired,
    column_for_header,
    confirm_link,
    decode_csv_bytes,
    import_inventory,
    item_code_for,
    link,
    list_items,
    natural_key,
    normalise_code,
    normalise_name,
    parse_due_date,
    parse_fiscal_year,
    parse_quantity,
    process_deadlines,
    resolve_item_code,
    retire_items,
    set_process_deadlines,
    template_xlsx,
    unlink,
)
from indexer.inventory.links import NotLinkable
from indexer.inventory.suggest import auto_link_suggestions, suggest_items
from schemas.models import (
    Activity,
    Agency,
    Document,
    DocumentLink,
    Event,
    InventoryItem,
    Project,
    Submission,
)

CLUSTER = "กลุ่มจังหวัดภาคเหนือตอนบน ๑"
P_TOUR = "โครงการพัฒนาการท่องเที่ยวเชิงสร้างสรรค์ล้านนา"
A_TRAIN = "กิจกรรมที่ ๑ อบรมผู้ประกอบการท่องเที่ยว"
A_MEDIA = "กิจกรรมที่ ๒ จัดทำสื่อประชาสัมพันธ์"
P_TRADE = "โครงการส่งเสริมการค้าชายแดนแม่ฮ่องสอน"
A_FAIR = "กิจกรรมที่ ๑ จัดงานแสดงสินค้า"
AG_TOUR = "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงใหม่"
AG_TRADE = "สำนักงานพาณิชย์จังหวัดแม่ฮ่องสอน"

HEADERS = [
    "ปีงบประมาณ",
    "กลุ่มจังหวัด",
    "จังหวัด",
    "รหัสโครงการ",
    "โครงการ",
    "กิจกรรม",
    "หน่วยงานเจ้าภาพ",
    "ทรัพยากร/ผลลัพธ์",
    "ประเภท",
    "จำนวน",
    "กำหนดส่ง",
]
ROWS = [
    ["๒๕๖๒", CLUSTER, "เชียงใหม่", "N1-62-01", P_TOUR, A_TRAIN, AG_TOUR,
     "คู่มือการอบรมผู้ประกอบการ", "เอกสาร", "๑", "๓๑ ต.ค. ๒๕๖๒"],
    [2562, CLUSTER, "เชียงใหม่", "N1-62-01", P_TOUR, A_TRAIN, AG_TOUR,
     "ภาพถ่ายกิจกรรม", "ภาพ", "๒ ชุด", dt.datetime(2019, 11, 30)],
    ["2562", CLUSTER, "จ.เชียงใหม่", "N1-62-01", P_TOUR, A_MEDIA, AG_TOUR,
     "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว", "วีดิทัศน์", 1, "31/10/2562"],
    ["๒๕๖๒", CLUSTER, "เชียงใหม่", "N1-62-01", P_TOUR, None, AG_TOUR,
     "รายงานสรุปผลการดำเนินงานโครงการ", "เอกสาร", "1", "๓๐ พฤศจิกายน ๒๕๖๒"],
    ["พ.ศ. ๒๕๖๒", "ภาคเหนือตอนบน 1", "แม่ฮ่องสอน", None, P_TRADE, A_FAIR, AG_TRADE,
     "รายงานผลการจัดงานแสดงสินค้า", "เอกสาร", None, "31 ตุลาคม 2562"],
    ["2562", CLUSTER, "แม่ฮ่องสอน", None, P_TRADE, None, AG_TRADE,
     "รายงานสรุปผลการดำเนินงานโครงการ", "เอกสาร", "๑", "2019-11-30"],
]  # fmt: skip


def make_inventory_xlsx(rows=ROWS, *, title_row=True, merge_project=False) -> bytes:
    """An inventory as DSSS officers make it: a title row above the Thai header, Thai
    digits, dates typed and real Excel date cells."""
    wb = Workbook()
    ws = wb.active
    ws.title = "บัญชีทรัพยากร"
    if title_row:
        ws.append(["บัญชีรายละเอียดทรัพยากร/ผลลัพธ์ ประจำปีงบประมาณ พ.ศ. ๒๕๖๒"])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    if merge_project:
        first = 3 if title_row else 2
        ws.merge_cells(start_row=first, start_column=5, end_row=first + 3, end_column=5)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _count(core, model) -> int:
    with core.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- pure parts ------------------------------------------------------------------------------


def test_names_are_normalised_for_keys_and_matching():
    assert normalise_name("โครงการ ส่งเสริม  การค้า ๒๕๖๒") == normalise_name("ส่งเสริมการค้า 2562")
    assert normalise_name("กิจกรรมที่ ๑ อบรม") == normalise_name("กิจกรรมที่ 1  อบรม")
    assert normalise_name("กิจกรรมที่ ๑ อบรม") != normalise_name("กิจกรรมที่ ๒ อบรม")
    # sara am split by PDF extraction (nikhahit + sara aa) is the same letter
    assert normalise_name("การดําเนินงาน") == normalise_name("การดำเนินงาน")
    key = natural_key(2562, P_TOUR, A_TRAIN, "คู่มือ")
    assert key == natural_key(
        2562, "  " + P_TOUR.replace("โครงการ", ""), "กิจกรรมที่ 1 อบรมผู้ประกอบการท่องเที่ยว", "คู่มือ "
    )
    assert key != natural_key(2563, P_TOUR, A_TRAIN, "คู่มือ")
    code = item_code_for(2562, key)
    assert code.startswith("INV-2562-") and len(code) == len("INV-2562-") + 6
    assert normalise_code(code.lower().replace("2562", "๒๕๖๒")) == code


def test_cell_parsers():
    assert parse_fiscal_year("๒๕๖๒") == 2562
    assert parse_fiscal_year("พ.ศ. ๒๕๖๒") == 2562
    assert parse_fiscal_year(2562.0) == 2562
    assert parse_fiscal_year("2019") == 2562
    assert parse_fiscal_year("62") == 2562
    assert parse_fiscal_year("ปีหน้า") is None
    assert parse_quantity("๒ ชุด") == 2
    assert parse_quantity(None) == 1
    assert parse_quantity(3.0) == 3
    assert parse_quantity("0") is None
    assert parse_quantity("หลายชุด") is None
    for written in ("๓๑ ต.ค. ๒๕๖๒", "31/10/2562", "31 ตุลาคม 2562", "2019-10-31"):
        assert parse_due_date(written) == dt.date(2019, 10, 31), written
    assert parse_due_date(dt.datetime(2019, 10, 31, 0, 0)) == dt.date(2019, 10, 31)
    assert parse_due_date(43769) == dt.date(2019, 10, 31)  # an Excel serial in a number cell
    assert parse_due_date("") is None
    assert parse_due_date("เร็ว ๆ นี้") == "invalid"
    assert column_for_header("ปีงบประมาณ (fiscal_year)") == "fiscal_year"
    assert column_for_header("Deliverable") == "deliverable"
    assert column_for_header("รายการ") == "deliverable"
    assert column_for_header("หมายเหตุ") is None


def test_csv_encodings_are_detected():
    text = "ปีงบประมาณ,โครงการ\n๒๕๖๒,ส่งเสริม\n"
    assert decode_csv_bytes(text.encode("utf-8")) == (text, "utf-8")
    assert decode_csv_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode_csv_bytes(text.encode("cp874")) == (text, "cp874")
    assert decode_csv_bytes(text.encode("utf-16")) == (text, "utf-16")


def test_template_has_thai_headers_an_example_widths_and_thai_font(core):
    wb = load_workbook(io.BytesIO(template_xlsx()))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["ปีงบประมาณ", "กลุ่มจังหวัด", "จังหวัด"]
    assert "ทรัพยากร/ผลลัพธ์" in headers and "กำหนดส่ง" in headers
    assert ws.cell(2, 1).value == "๒๕๖๒" and ws.cell(2, 11).value == "๓๑ ต.ค. ๒๕๖๒"
    assert ws.cell(1, 1).font.name == "TH Sarabun New"
    assert ws.column_dimensions["E"].width >= 40
    # The example row is not imported as a deliverable.
    result = import_inventory(core, template_xlsx(), filename="template.xlsx")
    assert result.ok and result.rows == 0 and result.skipped == [2]
    assert _count(core, InventoryItem) == 0


# --- import ----------------------------------------------------------------------------------


def test_xlsx_import_in_thai_and_reimport_changes_nothing(any_core, tmp_path):
    path = tmp_path / "บัญชีทรัพยากร ๒๕๖๒.xlsx"
    path.write_bytes(make_inventory_xlsx())
    result = import_inventory(any_core, path, agent="dsss-chiangmai")
    assert result.ok, [str(e) for e in result.errors]
    assert len(result.created) == 6 and not result.updated
    assert len(set(result.created)) == 6
    items = {(i["project"], i["deliverable"]): i for i in list_items(any_core, 2562)}
    manual = items[(P_TOUR, "คู่มือการอบรมผู้ประกอบการ")]
    assert manual["due_date"] == "2019-10-31" and manual["due_date_th"] == "๓๑ ต.ค. ๒๕๖๒"
    assert manual["cluster"] == CLUSTER and manual["province"] == "เชียงใหม่"
    assert manual["host_agency"] == AG_TOUR and manual["project_code"] == "N1-62-01"
    assert items[(P_TOUR, "ภาพถ่ายกิจกรรม")]["quantity"] == 2
    assert items[(P_TOUR, "ภาพถ่ายกิจกรรม")]["due_date"] == "2019-11-30"  # Excel date cell
    fair = items[(P_TRADE, "รายงานผลการจัดงานแสดงสินค้า")]
    assert fair["cluster"] == CLUSTER and fair["quantity"] == 1 and fair["fiscal_year"] == 2562
    assert items[(P_TOUR, "รายงานสรุปผลการดำเนินงานโครงการ")]["activity"] is None
    assert manual["code"] == item_code_for(
        2562, natural_key(2562, P_TOUR, A_TRAIN, "คู่มือการอบรมผู้ประกอบการ", "เชียงใหม่")
    )
    assert _count(any_core, Project) == 2
    assert _count(any_core, Activity) == 3
    assert _count(any_core, Agency) == 2
    with any_core.sessions() as session:
        event = session.scalars(select(Event).where(Event.event_type == "inventory-imported")).one()
        assert event.agent == "dsss-chiangmai" and event.detail["created"] == 6

    before = {i["code"]: i for i in list_items(any_core)}
    again = import_inventory(any_core, path, agent="dsss-chiangmai")
    assert again.ok and not again.created and not again.updated
    assert sorted(again.unchanged) == sorted(before)
    assert {i["code"]: i for i in list_items(any_core)} == before
    assert _count(any_core, InventoryItem) == 6 and _count(any_core, Project) == 2

    # An updated list: one quantity and one due date change, spacing and digits differ.
    rows = [list(r) for r in ROWS]
    rows[1][9] = "๓"
    rows[2][4] = "โครงการ พัฒนาการท่องเที่ยว เชิงสร้างสรรค์ล้านนา"
    rows[4][10] = "๑๕ พ.ย. ๒๕๖๒"
    path.write_bytes(make_inventory_xlsx(rows, title_row=False))
    updated = import_inventory(any_core, path, agent="dsss-chiangmai")
    assert updated.ok and not updated.created and len(updated.updated) == 2
    after = {i["code"]: i for i in list_items(any_core)}
    assert set(after) == set(before)
    photos = next(i for i in after.values() if i["deliverable"] == "ภาพถ่ายกิจกรรม")
    assert photos["quantity"] == 3
    assert _count(any_core, InventoryItem) == 6 and _count(any_core, Project) == 2


def test_merged_project_cells_count_for_every_row(core):
    rows = [list(r) for r in ROWS[:4]]
    for row in rows[1:]:
        row[4] = None  # only the merged range's top-left cell holds the name
    result = import_inventory(
        core, make_inventory_xlsx(rows, merge_project=True), filename="merged.xlsx"
    )
    assert result.ok, [str(e) for e in result.errors]
    assert {i["project"] for i in list_items(core)} == {P_TOUR}
    assert len(list_items(core)) == 4


def test_bad_rows_are_reported_by_row_and_column_and_good_rows_imported(any_core):
    rows = [list(r) for r in ROWS[:2]] + [
        ["ปีหน้า", CLUSTER, "เชียงใหม่", None, P_TOUR, A_TRAIN, AG_TOUR, "แผ่นพับ", "", "1", ""],
        ["2562", CLUSTER, "เชียงใหม่", None, "", A_TRAIN, AG_TOUR, "โปสเตอร์", "", "1", ""],
        ["2562", CLUSTER, "เชียงใหม่", None, P_TOUR, A_TRAIN, AG_TOUR, "สติกเกอร์", "", "หลาย", "พรุ่งนี้"],
        ["2562", CLUSTER, "เมืองลับแล", None, P_TOUR, A_TRAIN, AG_TOUR, "ป้าย", "", "1", ""],
        ["2562", CLUSTER, "เชียงใหม่", None, P_TOUR, A_TRAIN, AG_TOUR, "", "", "1", ""],
        ["2562", CLUSTER, "เชียงใหม่", None, P_TOUR, A_TRAIN, AG_TOUR, " คู่มือการอบรม ผู้ประกอบการ", "", "1", ""],
    ]  # fmt: skip
    data = make_inventory_xlsx(rows)  # title row 1, header row 2: data rows start at 3
    strict = import_inventory(any_core, data, filename="bad.xlsx", strict=True)
    assert not strict.ok and not strict.committed
    assert _count(any_core, InventoryItem) == 0

    result = import_inventory(any_core, data, filename="bad.xlsx")
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (5, "fiscal_year"),
        (6, "project"),
        (7, "quantity"),
        (7, "due_date"),
        (8, "province"),
        (9, "deliverable"),
        (10, "deliverable"),  # the same deliverable as row 3, written differently
    }
    by_place = {(e.row, e.column): e for e in result.errors}
    assert by_place[(7, "quantity")].header == "จำนวน"
    assert by_place[(7, "quantity")].value == "หลาย"
    assert "จำนวนเต็ม" in by_place[(7, "quantity")].reason_th
    assert "positive whole number" in by_place[(7, "quantity")].reason_en
    assert "ซ้ำกับแถว 3" in by_place[(10, "deliverable")].reason_th
    assert "แถว 8" in str(by_place[(8, "province")])
    assert len(result.created) == 2 and _count(any_core, InventoryItem) == 2


def test_missing_required_column_is_a_file_error(core):
    wb = Workbook()
    wb.active.append(["ปีงบประมาณ", "โครงการ", "จำนวน"])
    wb.active.append(["2562", P_TOUR, "1"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(InventoryFileError, match="กิจกรรม"):
        import_inventory(core, out.getvalue(), filename="x.xlsx")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874"])
def test_csv_import_with_english_aliases(core, tmp_path, encoding):
    text = (
        "fiscal_year,cluster,province,project,activity,host_agency,deliverable,type,quantity,due_date\n"
        f"๒๕๖๒,{CLUSTER},ลำพูน,โครงการส่งเสริมผ้าไหมยกดอก,กิจกรรมที่ ๑ ประกวดลายผ้า,"
        "สำนักงานพัฒนาชุมชนจังหวัดลำพูน,หนังสือรวมลายผ้า,เอกสาร,๒,๓๑ ต.ค. ๒๕๖๒\n"
        f"2562,{CLUSTER},ลำพูน,โครงการส่งเสริมผ้าไหมยกดอก,กิจกรรมที่ ๑ ประกวดลายผ้า,"
        'สำนักงานพัฒนาชุมชนจังหวัดลำพูน,"ภาพถ่าย, ประกวด",ภาพ,1,31/10/2562\n'
    )
    path = tmp_path / "inventory.csv"
    path.write_bytes(text.encode(encoding))
    result = import_inventory(core, path)
    assert result.ok, [str(e) for e in result.errors]
    assert result.encoding == encoding and len(result.created) == 2
    items = list_items(core, 2562)
    assert {i["deliverable"] for i in items} == {"หนังสือรวมลายผ้า", "ภาพถ่าย, ประกวด"}
    assert {i["due_date"] for i in items} == {"2019-10-31"}
    assert {i["province"] for i in items} == {"ลำพูน"}
    assert import_inventory(core, path).unchanged and _count(core, InventoryItem) == 2


def test_tab_separated_utf16_from_excel(core):
    text = "ปีงบประมาณ\tโครงการ\tกิจกรรม\tรายการ\n2562\tโครงการ ก\tกิจกรรม ข\tคู่มือ\n"
    result = import_inventory(core, text.encode("utf-16"), filename="list.txt")
    assert result.ok and len(result.created) == 1


# --- deadlines -------------------------------------------------------------------------------


def test_process_deadlines_default_from_seed_000_and_configurable(core):
    data = process_deadlines(core, 2562)
    # seed 000: '๓๑ ตุลาคม ๒๕๖๒' and '๖ พฤศจิกายน ๒๕๖๒' for fiscal year ๒๕๖๒
    assert data["inventory_to_dsss"] == dt.date(2019, 10, 31)
    assert data["dsss_to_cluster"] == dt.date(2019, 11, 6)
    assert data["configured"] == {"inventory_to_dsss": False, "dsss_to_cluster": False}
    changed = set_process_deadlines(core, 2563, inventory_to_dsss="๑๕ พ.ย. ๒๕๖๓")
    assert changed["inventory_to_dsss"] == dt.date(2020, 11, 15)
    assert changed["dsss_to_cluster"] == dt.date(2020, 11, 6)
    assert changed["configured"]["inventory_to_dsss"] is True


# --- linking and suggestions -----------------------------------------------------------------


def add_document(
    core, text: str, *, name: str, bundle_path=None, fiscal_year=2562, kind="other", category="text"
) -> int:
    """A document row as the pipeline leaves it (for tests that need no real file)."""
    with core.transaction() as session:
        document = Document(
            sha256=hashlib.sha256(text.encode() + name.encode()).hexdigest(),
            size=len(text.encode()),
            mime="application/pdf",
            category=category,
            kind=kind,
            title=text.splitlines()[0][:200],
            filename=bundle_path or name,
            text=text,
            fiscal_year=fiscal_year,
        )
        session.add(document)
        session.add(
            Submission(
                document=document,
                submitted_by="tester",
                original_name=name,
                bundle_path=bundle_path,
                status="ingested",
            )
        )
        session.flush()
        return document.id


def _code(core, deliverable, project=P_TOUR):
    return next(
        i["code"]
        for i in list_items(core)
        if i["deliverable"] == deliverable and i["project"] == project
    )


def test_link_confirm_unlink_are_provenance_events(any_core):
    import_inventory(any_core, make_inventory_xlsx(), filename="inv.xlsx")
    code = _code(any_core, "คู่มือการอบรมผู้ประกอบการ")
    doc = add_document(any_core, "คู่มือการอบรม", name="manual.pdf")
    assert link(any_core, doc, code.lower(), agent="somchai")["method"] == "manual"
    assert confirm_link(any_core, doc, code, agent="somsri")["method"] == "confirmed"
    assert unlink(any_core, doc, code, agent="somsri") is True
    assert unlink(any_core, doc, code, agent="somsri") is False
    with any_core.sessions() as session:
        events = session.scalars(
            select(Event).where(Event.document_id == doc).order_by(Event.id)
        ).all()
        assert [(e.event_type, e.agent, e.detail.get("method")) for e in events] == [
            ("linked", "somchai", "manual"),
            ("linked", "somsri", "confirmed"),
            ("unlinked", "somsri", None),
        ]
        assert session.scalar(select(DocumentLink.active)) is False
    with pytest.raises(LookupError):
        link(any_core, doc, "INV-2562-XXXXXX", agent="somchai")
    with pytest.raises(LookupError):
        link(any_core, 9999, code, agent="somchai")


def test_suggestions_from_text_name_and_bundle_path(any_core):
    import_inventory(any_core, make_inventory_xlsx(), filename="inv.xlsx")
    video = _code(any_core, "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว")
    doc = add_document(
        any_core,
        "บทวีดิทัศน์\nกิจกรรมที่ 2 จัดทำ สื่อประชาสัมพันธ์ ภายใต้โครงการพัฒนาการท่องเที่ยว"
        "เชิงสร้างสรรค์ล้านนา ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
        name="วีดิทัศน์ประชาสัมพันธ์ แหล่งท่องเที่ยว.mp4",
        bundle_path="ส่งงาน ท่องเที่ยว/กิจกรรมที่ 2/วีดิทัศน์ประชาสัมพันธ์ แหล่งท่องเที่ยว.mp4",
        category="video",
    )
    suggestions = suggest_items(any_core, doc)
    assert suggestions[0].code == video and suggestions[0].score >= 0.9
    assert any("ชื่อโครงการ" in r for r in suggestions[0].reasons)
    assert any("ชื่อไฟล์" in r for r in suggestions[0].reasons)
    assert all(s.score < suggestions[0].score for s in suggestions[1:])

    linked = auto_link_suggestions(any_core, doc, "khlang-suggest")
    assert [s.code for s in linked] == [video]
    with any_core.sessions() as session:
        row = session.scalars(select(DocumentLink)).one()
        assert row.method == "suggested" and row.linked_by == "khlang-suggest"
        event = session.scalars(select(Event).where(Event.event_type == "linked")).one()
        assert event.detail["item_code"] == video and event.detail["score"] >= 0.9
    # Idempotent; and once staff unlink it, it is not suggested-linked again.
    assert auto_link_suggestions(any_core, doc, "khlang-suggest") == []
    unlink(any_core, doc, video, agent="somsri")
    assert auto_link_suggestions(any_core, doc, "khlang-suggest") == []


def test_an_inventory_imported_during_a_batch_still_gets_its_suggestions(core, tmp_path):
    """While there is no inventory the ingestor does not ask again for every file; files
    it passed over in that time are suggested at the end of the batch once one exists."""
    from indexer.ingest.pipeline import Ingestor
    from indexer.ingest.sources import expand_paths

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-ไม่เกี่ยวข้อง.txt").write_text("บันทึกทั่วไปของสำนักงาน", encoding="utf-8")
    (folder / "b-วีดิทัศน์ประชาสัมพันธ์ แหล่งท่องเที่ยว.txt").write_text(
        "บทวีดิทัศน์\nกิจกรรมที่ 2 จัดทำ สื่อประชาสัมพันธ์ ภายใต้โครงการพัฒนาการท่องเที่ยว"
        "เชิงสร้างสรรค์ล้านนา ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
        encoding="utf-8",
    )
    imported = []

    def import_after_the_first_file(_result) -> None:
        if not imported:
            imported.append(import_inventory(core, make_inventory_xlsx(), filename="inv.xlsx"))

    ingestor = Ingestor(core, agent="somchai")
    results = ingestor.run(expand_paths([folder]), progress=import_after_the_first_file)
    assert [r.status for r in results] == ["ingested", "ingested"]
    with core.sessions() as session:
        links = session.scalars(select(DocumentLink)).all()
        assert [(k.document_id, k.method) for k in links] == [(results[1].document_id, "suggested")]
        document = session.get(Document, results[1].document_id)
        assert document.indexed_version is not None  # indexed again with its item
    assert core.search_backend.search("วีดิทัศน์ประชาสัมพันธ์").as_dict()["total"] == 1


def test_a_corrected_item_reindexes_its_documents(core):
    """The index holds a linked item's host agency (the agency facet): re-importing the
    list with the agency corrected re-indexes the item's documents at once."""
    import_inventory(core, make_inventory_xlsx(), filename="inv.xlsx")
    video = _code(core, "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว")
    doc = add_document(core, "บทวีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยวล้านนา", name="vdo.txt")
    link(core, doc, video, agent="somchai")
    from indexer.ingest.indexing import index_documents

    index_documents(core, [doc], agent="test")

    def agencies() -> set[str]:
        facets = core.search_backend.search("วีดิทัศน์ประชาสัมพันธ์").as_dict()["facets"]["agency"]
        return {f["value"] for f in facets}

    assert agencies() == {AG_TOUR}
    corrected = "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงใหม่ (แก้ไข)"
    rows = [
        [*r[:6], corrected, *r[7:]] if r[7] == "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว" else r for r in ROWS
    ]
    result = import_inventory(core, make_inventory_xlsx(rows), filename="inv.xlsx")
    assert video in result.updated
    assert agencies() == {corrected}
    with core.sessions() as session:
        assert session.get(Document, doc).indexed_version == core.search_backend.version


def test_a_new_due_date_leaves_the_items_documents_indexed_as_they_are(core):
    """The index holds no due date or quantity: re-importing with only those changed
    updates the item and indexes none of its documents again."""
    import_inventory(core, make_inventory_xlsx(), filename="inv.xlsx")
    video = _code(core, "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว")
    doc = add_document(core, "บทวีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยวล้านนา", name="vdo.txt")
    link(core, doc, video, agent="somchai")
    from indexer.ingest.indexing import index_documents

    index_documents(core, [doc], agent="test")

    def indexed_events() -> int:
        with core.sessions() as session:
            events = session.get(Document, doc).events
            return sum(1 for e in events if e.event_type == "indexed")

    before = indexed_events()
    rows = [
        [*r[:9], 3, "30 พ.ย. 2562"] if r[7] == "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว" else r for r in ROWS
    ]
    result = import_inventory(core, make_inventory_xlsx(rows), filename="inv.xlsx")
    assert video in result.updated and video not in result.reindex
    assert indexed_events() == before
    with core.sessions() as session:
        assert session.get(Document, doc).indexed_version == core.search_backend.version


def test_no_suggestion_across_fiscal_years_or_for_unrelated_text(core):
    import_inventory(core, make_inventory_xlsx(), filename="inv.xlsx")
    other_year = add_document(
        core,
        "คู่มือการอบรมผู้ประกอบการ โครงการพัฒนาการท่องเที่ยวเชิงสร้างสรรค์ล้านนา",
        name="คู่มือการอบรมผู้ประกอบการ.pdf",
        fiscal_year=2565,
    )
    assert suggest_items(core, other_year) == []
    unrelated = add_document(
        core, "รายงานการประชุมประจำเดือน ธันวาคม", name="meeting.pdf", fiscal_year=None
    )
    assert auto_link_suggestions(core, unrelated) == []
    assert suggest_items(core, unrelated) == []


def test_item_code_in_a_file_name_is_decisive(core):
    import_inventory(core, make_inventory_xlsx(), filename="inv.xlsx")
    code = _code(core, "ภาพถ่ายกิจกรรม")
    doc = add_document(core, "ภาพ", name=f"{code.lower()}_photo1.pdf", fiscal_year=None)
    top = suggest_items(core, doc)[0]
    assert top.code == code and top.score == 1.0


# --- the key, retiring and pruning -------------------------------------------------------------


def test_the_same_deliverable_in_two_provinces_is_two_items(any_core):
    """A cluster project lists the same deliverable for น่าน and แพร่: two items, not a
    duplicate row. The same row twice for one province still is one."""
    row = ["๒๕๖๒", None, "น่าน", None, P_TRADE, A_FAIR, AG_TRADE, "ภาพถ่ายกิจกรรม", "ภาพ", "๑", None]
    rows = [row, [*row[:2], "แพร่", *row[3:]]]
    result = import_inventory(any_core, make_inventory_xlsx(rows), filename="two.xlsx")
    assert result.ok and len(result.created) == 2
    assert {i["province"] for i in list_items(any_core)} == {"น่าน", "แพร่"}
    again = import_inventory(any_core, make_inventory_xlsx(rows), filename="two.xlsx")
    assert sorted(again.unchanged) == sorted(result.created)
    doubled = import_inventory(any_core, make_inventory_xlsx([row, row]), filename="d.xlsx")
    assert [(e.row, e.column) for e in doubled.errors] == [(4, "deliverable")]
    assert "จังหวัด" in doubled.errors[0].reason_th


def test_items_keyed_before_the_province_keep_their_codes(core):
    """An installation whose items were keyed without the province: re-importing the
    same list finds them again (same codes, nothing created) and re-keys them."""
    first = import_inventory(core, make_inventory_xlsx(), filename="inv.xlsx")
    with core.transaction() as session:  # the keys as the earlier version wrote them
        for item in session.scalars(select(InventoryItem)):
            activity = item.activity.name if item.activity else None
            item.natural_key = natural_key(2562, item.project.name, activity, item.title)
    again = import_inventory(core, make_inventory_xlsx(), filename="inv.xlsx")
    assert again.ok and not again.created
    assert sorted(again.unchanged) == sorted(first.created)
    with core.sessions() as session:
        manual = session.scalars(
            select(InventoryItem).where(InventoryItem.title == "คู่มือการอบรมผู้ประกอบการ")
        ).one()
        assert manual.natural_key == natural_key(
            2562, P_TOUR, A_TRAIN, "คู่มือการอบรมผู้ประกอบการ", "เชียงใหม่"
        )


def test_retired_items_leave_the_report_keep_their_links_and_come_back(any_core):
    from indexer.inventory.gaps import gap_report

    import_inventory(any_core, make_inventory_xlsx(), filename="inv.xlsx")
    manual = _code(any_core, "คู่มือการอบรมผู้ประกอบการ")
    doc = add_document(any_core, "คู่มือการอบรม", name="manual.pdf")
    link(any_core, doc, manual, agent="somchai")
    result = retire_items(
        any_core, [manual.lower(), "INV-2562-ZZZZZZ"], agent="somsri", reason="เปลี่ยนชื่อ"
    )
    assert result == {"retired": [manual], "already_retired": [], "not_found": ["INV-2562-ZZZZZZ"]}
    assert retire_items(any_core, [manual], agent="somsri")["already_retired"] == [manual]
    assert manual not in [i["code"] for i in list_items(any_core)]
    retired = next(i for i in list_items(any_core, include_retired=True) if i["code"] == manual)
    assert retired["retired_at"] and retired["received"] == 1  # its link is kept
    assert manual not in [i["code"] for i in gap_report(any_core, 2562)["items"]]
    assert doc not in [d["document_id"] for d in gap_report(any_core, 2562)["unexpected"]]
    other = add_document(any_core, "คู่มือการอบรมผู้ประกอบการ " + P_TOUR, name="manual2.pdf")
    with pytest.raises(NotLinkable):
        link(any_core, other, manual, agent="somchai")
    assert manual not in [s.code for s in suggest_items(any_core, other)]
    with pytest.raises(ItemRetired), any_core.sessions() as session:
        resolve_item_code(session, manual)
    # the list names it again: it is back
    again = import_inventory(any_core, make_inventory_xlsx(), filename="inv.xlsx", agent="dsss")
    assert again.restored == [manual]
    assert manual in [i["code"] for i in list_items(any_core)]
    with any_core.sessions() as session:
        events = session.scalars(
            select(Event)
            .where(Event.event_type.in_(["inventory-retired", "inventory-restored"]))
            .order_by(Event.id)
        ).all()
        assert [(e.event_type, e.agent, e.detail["item_code"]) for e in events] == [
            ("inventory-retired", "somsri", manual),
            ("inventory-restored", "dsss", manual),
        ]
        assert events[0].detail["reason"] == "เปลี่ยนชื่อ"


def test_prune_retires_what_the_projects_list_no_longer_has(any_core):
    """A renamed deliverable: --prune retires the old item of that project (and only that
    project's); a file with a bad row prunes nothing."""
    import_inventory(any_core, make_inventory_xlsx(), filename="inv.xlsx")
    old = _code(any_core, "ภาพถ่ายกิจกรรม")
    rows = [list(r) for r in ROWS[:4]]  # project B is not in this file: its items stay
    rows[1][7] = "ภาพถ่ายการอบรม"
    bad = [
        *rows,
        ["๒๕๖๒", None, None, None, P_TOUR, A_TRAIN, None, "แบบประเมิน", None, "หลาย", None],
    ]
    skipped = import_inventory(any_core, make_inventory_xlsx(bad), filename="b.xlsx", prune=True)
    assert skipped.prune_skipped and skipped.absent == [old] and skipped.retired == []
    assert old in [i["code"] for i in list_items(any_core)]
    pruned = import_inventory(
        any_core, make_inventory_xlsx(rows), filename="inv2.xlsx", prune=True, agent="dsss"
    )
    assert pruned.ok and pruned.retired == [old] and pruned.as_dict()["retired"] == [old]
    codes = {i["deliverable"]: i["code"] for i in list_items(any_core)}
    assert "ภาพถ่ายกิจกรรม" not in codes and "ภาพถ่ายการอบรม" in codes
    assert "รายงานผลการจัดงานแสดงสินค้า" in codes  # project B untouched
    with any_core.sessions() as session:
        event = session.scalars(select(Event).where(Event.event_type == "inventory-retired")).one()
        assert event.agent == "dsss" and event.detail["item_code"] == old
        assert event.tool == "khlang inventory import --prune"


def test_cli_retire_and_prune(cli, core, tmp_path):
    path = tmp_path / "inv.xlsx"
    path.write_bytes(make_inventory_xlsx())
    assert cli("inventory", "import", str(path)).exit_code == 0
    code = _code(core, "ภาพถ่ายกิจกรรม")
    result = cli("inventory", "retire", code.lower(), "--reason", "ซ้ำ", "--submitted-by", "somsri")
    assert result.exit_code == 0 and code in result.stdout
    assert cli("inventory", "retire", "INV-2562-ZZZZZZ").exit_code == 1
    # delivering against a retired item is refused, and says why
    delivered = tmp_path / "ภาพถ่าย.txt"
    delivered.write_text("ภาพถ่ายกิจกรรม", encoding="utf-8")
    refused = cli("ingest", str(delivered), "--item", code)
    assert refused.exit_code != 0 and "retired" in refused.output and "ถูกยกเลิก" in refused.output
    unknown = cli("ingest", str(delivered), "--item", "INV-2562-ZZZZZZ")
    assert unknown.exit_code != 0 and "no inventory item" in unknown.output
    listed = cli.json("inventory", "list", "--include-retired")
    assert next(i for i in listed if i["code"] == code)["retired_at"]
    assert code not in [i["code"] for i in cli.json("inventory", "list")]
    rows = [list(r) for r in ROWS if r[7] != "คู่มือการอบรมผู้ประกอบการ"]
    path.write_bytes(make_inventory_xlsx(rows))
    result = cli("inventory", "import", str(path), "--prune", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["restored"] == [code]
    assert data["retired"] == [_code_any(core, "คู่มือการอบรมผู้ประกอบการ")]


def _code_any(core, deliverable):
    return next(
        i["code"] for i in list_items(core, include_retired=True) if i["deliverable"] == deliverable
    )


# --- the API ---------------------------------------------------------------------------------


def test_api_import_strict_and_prune_retire_and_deadlines(client, core):
    def post_file(data: bytes, **form):
        return client.post(
            "/api/inventory/import",
            data={"file": (io.BytesIO(data), "inv.xlsx"), **form},
            content_type="multipart/form-data",
        )

    bad_rows = [
        *ROWS,
        ["๒๕๖๒", None, None, None, P_TOUR, A_TRAIN, None, "แบบประเมิน", None, "หลาย", None],
    ]
    strict = post_file(make_inventory_xlsx(bad_rows), strict="true")
    assert strict.status_code == 200
    body = strict.get_json()
    assert body["strict"] is True and body["committed"] is False and body["ok"] is False
    assert list_items(core) == []
    assert post_file(make_inventory_xlsx(bad_rows)).get_json()["created"] == 6  # not strict
    pruned = post_file(make_inventory_xlsx(ROWS[1:]), prune="1").get_json()
    manual = _code_any(core, "คู่มือการอบรมผู้ประกอบการ")
    assert pruned["retired"] == [manual]

    photos = _code(core, "ภาพถ่ายกิจกรรม")
    retired = client.post("/api/inventory/retire", json={"codes": [photos.lower()], "reason": "x"})
    assert retired.get_json() == {"retired": [photos], "already_retired": [], "not_found": []}
    assert client.post("/api/inventory/retire", json={}).status_code == 400

    shown = client.get("/api/inventory/deadlines/2562").get_json()
    assert (
        shown["inventory_to_dsss"] == "2019-10-31"
        and shown["configured"]["inventory_to_dsss"] is False
    )
    changed = client.put(
        "/api/inventory/deadlines/2562",
        json={"inventory_to_dsss": "๑๕ พ.ย. ๒๕๖๒", "dsss_to_cluster": "20/11/2562"},
    ).get_json()
    assert (
        changed["inventory_to_dsss"] == "2019-11-15" and changed["dsss_to_cluster"] == "2019-11-20"
    )
    assert changed["configured"] == {"inventory_to_dsss": True, "dsss_to_cluster": True}
    bad = client.put("/api/inventory/deadlines/2562", json={"dsss_to_cluster": "ไม่ใช่วัน"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_date"

    # dates as staff write them, as the CLI takes them
    report = client.get("/api/gaps?fiscal_year=2562&as_of=๑ ธ.ค. ๒๕๖๒").get_json()
    assert report["as_of"] == "2019-12-01"
    assert report["deadlines"]["inventory_to_dsss"]["date"] == "2019-11-15"
    assert (
        client.get("/api/gaps?fiscal_year=2562&as_of=1/12/2562").get_json()["as_of"] == "2019-12-01"
    )
    assert client.get("/api/gaps?fiscal_year=2562&as_of=เมื่อวาน").status_code == 400
