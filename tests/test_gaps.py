"""The gap report end to end (issue 5): a Thai inventory imported from XLSX, real DOCX
deliverables ingested and linked (by --item and by automatic suggestion), the report of what
is missing and overdue, summary-report checks, unexpected documents, exports and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import docx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from indexer.ingest.jobs import run_ingest_job
from indexer.inventory import confirm_link, import_inventory, link, list_items
from indexer.inventory.gaps import gap_report
from indexer.inventory.links import NotLinkable
from indexer.inventory.reports import gaps_csv, gaps_text, gaps_xlsx
from indexer.inventory.suggest import auto_link_suggestions, suggest_items
from schemas.models import DocumentLink, Event, Submission

CLUSTER = "กลุ่มจังหวัดภาคเหนือตอนบน ๑"
P_TOUR = "โครงการพัฒนาการท่องเที่ยวเชิงสร้างสรรค์ล้านนา"
A_TRAIN = "กิจกรรมที่ ๑ อบรมผู้ประกอบการท่องเที่ยว"
A_MEDIA = "กิจกรรมที่ ๒ จัดทำสื่อประชาสัมพันธ์"
P_TRADE = "โครงการส่งเสริมการค้าชายแดนแม่ฮ่องสอน"
A_FAIR = "กิจกรรมที่ ๑ จัดงานแสดงสินค้า"
AG_TOUR = "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงใหม่"
AG_TRADE = "สำนักงานพาณิชย์จังหวัดแม่ฮ่องสอน"
SUMMARY = "รายงานสรุปผลการดำเนินงานโครงการ"

HEADERS = ["ปีงบประมาณ", "กลุ่มจังหวัด", "จังหวัด", "โครงการ", "กิจกรรม", "หน่วยงานเจ้าภาพ",
           "ทรัพยากร/ผลลัพธ์", "ประเภท", "จำนวน", "กำหนดส่ง"]  # fmt: skip
ROWS = [
    ["๒๕๖๒", CLUSTER, "เชียงใหม่", P_TOUR, A_TRAIN, AG_TOUR, "คู่มือการอบรมผู้ประกอบการ", "เอกสาร", "๑", "๓๑ ต.ค. ๒๕๖๒"],
    ["๒๕๖๒", CLUSTER, "เชียงใหม่", P_TOUR, A_TRAIN, AG_TOUR, "ภาพถ่ายกิจกรรม", "ภาพ", "๒", dt.datetime(2019, 11, 15)],
    ["๒๕๖๒", CLUSTER, "เชียงใหม่", P_TOUR, A_MEDIA, AG_TOUR, "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว", "วีดิทัศน์", "๑", "31/10/2562"],
    ["๒๕๖๒", CLUSTER, "เชียงใหม่", P_TOUR, None, AG_TOUR, SUMMARY, "เอกสาร", "๑", "๓๐ พ.ย. ๒๕๖๒"],
    ["๒๕๖๒", CLUSTER, "แม่ฮ่องสอน", P_TRADE, A_FAIR, AG_TRADE, "รายงานผลการจัดงานแสดงสินค้า", "เอกสาร", "๑", "31 ตุลาคม 2562"],
    ["๒๕๖๒", CLUSTER, "แม่ฮ่องสอน", P_TRADE, None, AG_TRADE, SUMMARY, "เอกสาร", "๑", "2019-11-30"],
]  # fmt: skip


def inventory_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in ROWS:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_docx(path, *paragraphs):
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


THAILAND = dt.timezone(dt.timedelta(hours=7))


def backdate(core, document_id, *, arrived: dt.date, linked: dt.date | None = None):
    """Simulate time: set when the document arrived (its submissions) and when its links
    were made to past days, in this test's own database (the rows' times are data)."""
    noon = dt.time(12, tzinfo=THAILAND)
    with core.transaction() as session:
        for submission in session.scalars(
            select(Submission).where(Submission.document_id == document_id)
        ):
            submission.submitted_at = dt.datetime.combine(arrived, noon)
        for row in session.scalars(
            select(DocumentLink).where(DocumentLink.document_id == document_id)
        ):
            row.linked_at = dt.datetime.combine(linked or arrived, noon)


def status(report) -> dict:
    return {(i["project"], i["deliverable"]): i["status"] for i in report["items"]}


def code_of(core, deliverable, project=P_TOUR):
    return next(
        i["code"]
        for i in list_items(core)
        if i["deliverable"] == deliverable and i["project"] == project
    )


@pytest.fixture
def delivered(any_core, tmp_path):
    """The inventory imported and five real DOCX files ingested:
    the manual (--item), one of two photo sets (--item), the video script and project A's
    summary report (linked by suggestion), project B's summary report that does not name
    its project (linked by staff), and a meeting report nobody expected."""
    core = any_core
    inventory = tmp_path / "บัญชี.xlsx"
    inventory.write_bytes(inventory_xlsx())
    assert import_inventory(core, inventory, agent="dsss").ok
    files = tmp_path / "ส่งมอบ"
    manual = write_docx(
        files / "manual.docx",
        "คู่มือการอบรมผู้ประกอบการท่องเที่ยว",
        "เนื้อหาการอบรมเรื่องการบริการนักท่องเที่ยว",
    )
    photos = write_docx(files / "photos1.docx", "ภาพถ่ายกิจกรรม ชุดที่ ๑", "ภาพการอบรม")
    video = write_docx(
        files / "โครงการพัฒนาการท่องเที่ยวเชิงสร้างสรรค์ล้านนา" / "กิจกรรมที่ 2"
        / "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว.docx",
        "บทวีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว",
        f"{A_MEDIA} ภายใต้{P_TOUR} ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
    )  # fmt: skip
    summary_a = write_docx(
        files / "summary_a.docx",
        SUMMARY,
        f"{A_TRAIN} และ{A_MEDIA}",
        f"ภายใต้{P_TOUR} ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
        "กลุ่มจังหวัดภาคเหนือตอนบน ๑",
    )
    summary_b = write_docx(
        files / "summary_b.docx",
        SUMMARY,
        f"{A_FAIR} ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
        "ผู้เข้าร่วมงาน ๑,๒๐๐ คน ยอดขาย ๓.๕ ล้านบาท",
    )
    meeting = write_docx(
        files / "meeting.docx",
        "รายงานการประชุมคณะทำงานกลุ่มจังหวัด ครั้งที่ ๑๒/๒๕๖๒",
        "ปีงบประมาณ พ.ศ. ๒๕๖๒ ระเบียบวาระที่ ๑ เรื่องแจ้งเพื่อทราบ",
    )
    ids = {}
    for name, path, deliverable in (
        ("manual", manual, "คู่มือการอบรมผู้ประกอบการ"),
        ("photos", photos, "ภาพถ่ายกิจกรรม"),
    ):
        results = run_ingest_job(
            core, [str(path)], agent="agency-tour", item_code=code_of(core, deliverable)
        )
        assert results[0].ok, results[0].error
        ids[name] = results[0].document_id
    results = run_ingest_job(
        core, [str(video), str(summary_a), str(summary_b), str(meeting)], agent="dsss"
    )
    assert all(r.ok for r in results), [r.error for r in results]
    ids.update(
        zip(
            ("video", "summary_a", "summary_b", "meeting"),
            (r.document_id for r in results),
            strict=True,
        )
    )
    # What the pipeline does after each ingestion (a no-op if it already did it).
    for name in ("video", "summary_a", "summary_b", "meeting"):
        auto_link_suggestions(core, ids[name], "khlang-suggest")
    link(core, ids["summary_b"], code_of(core, SUMMARY, P_TRADE), agent="dsss-mhs")
    # When things happened: the agency's two files on 1 Oct 2019, the rest on 5 Oct; staff
    # linked project B's summary report on 10 Oct.
    for name in ("manual", "photos"):
        backdate(core, ids[name], arrived=dt.date(2019, 10, 1))
    for name in ("video", "summary_a", "meeting"):
        backdate(core, ids[name], arrived=dt.date(2019, 10, 5))
    backdate(core, ids["summary_b"], arrived=dt.date(2019, 10, 5), linked=dt.date(2019, 10, 10))
    return core, ids


def test_gap_report_lists_exactly_what_is_missing_then_overdue(delivered):
    core, ids = delivered
    with core.sessions() as session:
        methods = {
            (lk.document_id, lk.item.title): lk.method
            for lk in session.scalars(select(DocumentLink).where(DocumentLink.active.is_(True)))
        }
    assert methods == {
        (ids["manual"], "คู่มือการอบรมผู้ประกอบการ"): "manual",
        (ids["photos"], "ภาพถ่ายกิจกรรม"): "manual",
        (ids["video"], "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว"): "suggested",
        (ids["summary_a"], SUMMARY): "suggested",
        (ids["summary_b"], SUMMARY): "manual",
    }

    early = gap_report(core, 2562, as_of=dt.date(2019, 10, 15))
    status = {(i["project"], i["deliverable"]): i["status"] for i in early["items"]}
    assert status == {
        (P_TOUR, "คู่มือการอบรมผู้ประกอบการ"): "received",
        (P_TOUR, "ภาพถ่ายกิจกรรม"): "partial",
        (P_TOUR, "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว"): "received",
        (P_TOUR, SUMMARY): "received",
        (P_TRADE, "รายงานผลการจัดงานแสดงสินค้า"): "missing",
        (P_TRADE, SUMMARY): "received",
    }
    assert early["summary"]["missing"] == 1 and early["summary"]["overdue"] == 0
    assert early["most_overdue"] == []
    manual = next(i for i in early["items"] if i["deliverable"] == "คู่มือการอบรมผู้ประกอบการ")
    assert manual["documents"][0]["document_id"] == ids["manual"]
    assert manual["first_arrival"] == manual["documents"][0]["arrived"]
    assert manual["due_date"] == "2019-10-31" and manual["due_date_th"] == "๓๑ ต.ค. ๒๕๖๒"
    assert manual["host_agency"] == AG_TOUR and manual["province"] == "เชียงใหม่"
    video = next(i for i in early["items"] if i["deliverable"].startswith("วีดิทัศน์"))
    assert video["unconfirmed"] == 1
    assert early["deadlines"]["inventory_to_dsss"]["date"] == "2019-10-31"
    assert early["deadlines"]["dsss_to_cluster"]["date_th"] == "๖ พ.ย. ๒๕๖๒"
    assert early["deadlines"]["dsss_to_cluster"]["passed"] is False

    late = gap_report(core, 2562, as_of=dt.date(2019, 12, 1))
    status = {(i["project"], i["deliverable"]): i for i in late["items"]}
    assert status[(P_TRADE, "รายงานผลการจัดงานแสดงสินค้า")]["status"] == "overdue"
    photos = status[(P_TOUR, "ภาพถ่ายกิจกรรม")]
    assert photos["status"] == "partial" and photos["overdue"] is True
    assert photos["received"] == 1 and photos["quantity"] == 2
    assert late["summary"]["overdue"] == 1 and late["summary"]["overdue_items"] == 2
    assert late["deadlines"]["dsss_to_cluster"]["passed"] is True
    assert [(g["host_agency"], g["overdue"]) for g in late["most_overdue"]] == [
        (AG_TOUR, 1),
        (AG_TRADE, 1),
    ]
    by_province = {g["name"]: g for g in late["by_province"]}
    assert by_province["แม่ฮ่องสอน"]["completeness"] == 0.5
    assert by_province["เชียงใหม่"]["completeness"] == pytest.approx(4 / 5, abs=1e-3)
    assert late["summary"]["completeness"] == pytest.approx(5 / 7, abs=1e-3)

    only = gap_report(core, 2562, province="จ.แม่ฮ่องสอน", as_of=dt.date(2019, 12, 1))
    assert {i["project"] for i in only["items"]} == {P_TRADE}
    assert gap_report(core, 2563)["items"] == []


def test_as_of_an_earlier_day_counts_only_what_had_arrived_and_been_linked(delivered):
    """Issue 5: --as-of evaluates the report on another day. On 7 Oct 2019 project B's
    summary report had arrived (5 Oct) but staff linked it only on 10 Oct: it was not yet
    received, and it was then a document nobody had placed. On 30 Sep nothing had come."""
    core, ids = delivered
    before_link = gap_report(core, 2562, as_of=dt.date(2019, 10, 7))
    assert status(before_link)[(P_TRADE, SUMMARY)] == "missing"
    assert status(before_link)[(P_TOUR, SUMMARY)] == "received"
    assert sorted(d["document_id"] for d in before_link["unexpected"]) == sorted(
        [ids["summary_b"], ids["meeting"]]
    )
    trade = next(p for p in before_link["projects"] if p["project"] == P_TRADE)
    assert trade["found_by"] is None  # its report was no summary report of the project yet
    after_link = gap_report(core, 2562, as_of=dt.date(2019, 10, 10))
    assert status(after_link)[(P_TRADE, SUMMARY)] == "received"
    assert [d["document_id"] for d in after_link["unexpected"]] == [ids["meeting"]]

    nothing = gap_report(core, 2562, as_of=dt.date(2019, 9, 30))
    assert set(status(nothing).values()) == {"missing"}
    assert nothing["unexpected"] == [] and nothing["summary"]["completeness"] == 0
    manual = next(i for i in nothing["items"] if i["deliverable"] == "คู่มือการอบรมผู้ประกอบการ")
    assert manual["received"] == 0 and manual["documents"] == []


def test_summary_reports_are_checked_and_unexpected_documents_listed(delivered):
    core, ids = delivered
    report = gap_report(core, 2562, as_of=dt.date(2019, 12, 1))
    projects = {p["project"]: p for p in report["projects"]}
    tour = projects[P_TOUR]
    assert tour["ok"] and tour["found_by"] == "linked"
    assert tour["summary_report"]["document_id"] == ids["summary_a"]
    assert tour["summary_report"]["names_project"] is True
    assert tour["summary_report"]["names_activities"] == {A_TRAIN: True, A_MEDIA: True}
    assert tour["summary_report"]["names_fiscal_year"] is True
    assert tour["summary_report"]["logo"] is None  # not checkable from text
    trade = projects[P_TRADE]
    assert trade["flags"] == ["summary_missing_project"]
    assert trade["flags_th"] == ["รายงานสรุปผลไม่ระบุชื่อโครงการ"]
    assert report["summary"]["projects_flagged"] == 1
    assert [d["document_id"] for d in report["unexpected"]] == [ids["meeting"]]
    assert report["summary"]["unexpected"] == 1


def test_exports_open_with_thai_headers_and_dates(delivered):
    core, _ = delivered
    report = gap_report(core, 2562, as_of=dt.date(2019, 12, 1))
    data = gaps_csv(report)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["รหัสรายการ", "ปีงบประมาณ", "จังหวัด", "โครงการ"]
    assert "กำหนดส่ง" in rows[0] and len(rows) == 7
    assert any("๓๑ ต.ค. ๒๕๖๒" in row for row in rows)
    assert any("เกินกำหนด" in row for row in rows)
    # each date in ISO 8601 for programs, the Thai date beside it for people
    due = rows[0].index("กำหนดส่ง")
    assert rows[0][due + 1] == "กำหนดส่ง (วันที่แบบไทย)"
    dated = [row for row in rows[1:] if row[due]]
    assert dated and all(dt.date.fromisoformat(row[due]) for row in dated)
    assert ["2019-10-31", "๓๑ ต.ค. ๒๕๖๒"] in [row[due : due + 2] for row in dated]

    wb = load_workbook(io.BytesIO(gaps_xlsx(report)))
    assert wb.sheetnames[:3] == ["รายการ", "สรุปโครงการ", "เอกสารนอกบัญชี"]
    items = wb["รายการ"]
    header = [c.value for c in items[1]]
    assert header[0] == "รหัสรายการ" and "ทรัพยากร/ผลลัพธ์" in header
    values = [c.value for row in items.iter_rows(min_row=2) for c in row]
    assert dt.datetime(2019, 10, 31) in values and "เกินกำหนด" in values
    assert items.cell(1, 1).font.name == "TH Sarabun New"
    projects = [c.value for row in wb["สรุปโครงการ"].iter_rows(min_row=2) for c in row]
    assert "รายงานสรุปผลไม่ระบุชื่อโครงการ" in projects
    info = {r[0].value: r[1].value for r in wb["ข้อมูลรายงาน"].iter_rows(min_row=2)}
    assert info["ข้อมูล ณ วันที่"] == dt.datetime(2019, 12, 1)  # a date cell, shown in Thai

    text = gaps_text(report)
    assert "ปีงบประมาณ ๒๕๖๒" in text and "เกินกำหนด" in text and P_TRADE in text


def test_unconfirmed_suggested_links_are_shown_wherever_received_is(delivered, tmp_path):
    """The video and project A's summary report count as received on links the system
    suggested; the report says so, in JSON, the exports and the page."""
    core, ids = delivered
    report = gap_report(core, 2562, as_of=dt.date(2019, 12, 1))
    unconfirmed = {i["deliverable"]: i["unconfirmed"] for i in report["items"] if i["unconfirmed"]}
    assert unconfirmed == {"วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว": 1, SUMMARY: 1}
    assert report["summary"]["unconfirmed_items"] == 2
    assert report["summary"]["unconfirmed_links"] == 2
    assert {g["name"]: g["unconfirmed"] for g in report["by_province"]} == {
        "เชียงใหม่": 2,
        "แม่ฮ่องสอน": 0,
    }
    rows = list(csv.DictReader(io.StringIO(gaps_csv(report).decode("utf-8-sig"))))
    assert {r["ทรัพยากร/ผลลัพธ์"]: r["ยังไม่ยืนยัน"] for r in rows if r["ยังไม่ยืนยัน"] != "0"} == {
        "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว": "1",
        SUMMARY: "1",
    }
    info = {
        r[0].value: r[1].value
        for r in load_workbook(io.BytesIO(gaps_xlsx(report)))["ข้อมูลรายงาน"].iter_rows(min_row=2)
    }
    assert info["รายการที่นับจากการเชื่อมโยงที่ยังไม่ยืนยัน"] == 2
    assert "ยังไม่ได้ยืนยัน 2 รายการ" in gaps_text(report)
    # staff confirm the video: one left
    video = code_of(core, "วีดิทัศน์ประชาสัมพันธ์แหล่งท่องเที่ยว")
    confirm_link(core, ids["video"], video, agent="dsss")
    report = gap_report(core, 2562, as_of=dt.date(2019, 12, 1))
    assert report["summary"]["unconfirmed_items"] == 1
    # the printable page as a file of its own, with the same template and chart as the web
    from service.pages.gaps import gaps_print_page

    page = gaps_print_page(core, report, {"province": None})
    assert page.startswith("<!doctype html>") and '<meta charset="utf-8">' in page
    assert "<svg" in page and "@page" in page and "รอยืนยัน" in page
    assert "รายการที่ระบบเชื่อมโยงให้ รอเจ้าหน้าที่ยืนยัน" in page
    assert f"#{ids['summary_a']}" in page and "<link" not in page


def test_cli_inventory_link_and_gaps(cli, core, tmp_path):
    template = tmp_path / "แบบฟอร์ม.xlsx"
    result = cli("inventory", "template", str(template))
    assert (
        result.exit_code == 0 and load_workbook(template).worksheets[0]["A1"].value == "ปีงบประมาณ"
    )

    path = tmp_path / "inventory.xlsx"
    path.write_bytes(inventory_xlsx())
    result = cli("inventory", "import", str(path), "--submitted-by", "dsss", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 6
    again = cli("inventory", "import", str(path))
    assert again.exit_code == 0 and "ไม่เปลี่ยน 6" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes("ปีงบประมาณ,โครงการ,กิจกรรม,รายการ,จำนวน\n2562,ก,ข,ค,หลาย\n".encode("cp874"))
    result = cli("inventory", "import", str(bad), "--json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "quantity")]

    items = cli.json("inventory", "list", "--fiscal-year", "๒๕๖๒")
    assert len(items) == 6
    fair = next(i["code"] for i in items if i["deliverable"] == "รายงานผลการจัดงานแสดงสินค้า")

    report = write_docx(tmp_path / "fair.docx", "รายงานผลการจัดงานแสดงสินค้า", P_TRADE)
    result = cli("ingest", str(report), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)[0]["document_id"]
    result = cli("link", str(doc), fair, "--submitted-by", "somsri")
    assert result.exit_code == 0 and fair in result.stdout
    # it arrived today: on 1 Dec 2019 it was still overdue; today it is received
    gaps = cli.json("gaps", "--fiscal-year", "๒๕๖๒", "--as-of", "๑ ธ.ค. ๒๕๖๒")
    assert gaps["as_of"] == "2019-12-01"
    assert next(i for i in gaps["items"] if i["code"] == fair)["status"] == "overdue"
    gaps = cli.json("gaps", "--fiscal-year", "๒๕๖๒")
    assert next(i for i in gaps["items"] if i["code"] == fair)["status"] == "received"
    result = cli("unlink", str(doc), fair, "--submitted-by", "somsri")
    assert result.exit_code == 0
    gaps = cli.json("gaps", "--fiscal-year", "2562", "--as-of", "1/12/2562")
    assert next(i for i in gaps["items"] if i["code"] == fair)["status"] == "overdue"
    with core.sessions() as session:
        events = session.scalars(select(Event).where(Event.document_id == doc)).all()
        # (preceded by the suggested link when the pipeline made one)
        assert [(e.event_type, e.agent) for e in events if "link" in e.event_type][-2:] == [
            ("linked", "somsri"),
            ("unlinked", "somsri"),
        ]

    table = cli("gaps", "--fiscal-year", "2562", "--as-of", "๑ ธ.ค. ๒๕๖๒", "--province", "แม่ฮ่องสอน")
    assert table.exit_code == 0 and "เกินกำหนด" in table.stdout and P_TOUR not in table.stdout
    out = tmp_path / "gaps.xlsx"
    result = cli("gaps", "--fiscal-year", "2562", "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0 and load_workbook(out)["รายการ"]["A1"].value == "รหัสรายการ"
    out_csv = tmp_path / "gaps.csv"
    result = cli("gaps", "--fiscal-year", "2562", "--format", "csv", "--output", str(out_csv))
    assert result.exit_code == 0 and out_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    out_html = tmp_path / "gaps.html"
    result = cli(
        "gaps", "--fiscal-year", "2562", "--as-of", "๑ ธ.ค. ๒๕๖๒", "--format", "html",
        "--output", str(out_html),
    )  # fmt: skip
    page = out_html.read_text(encoding="utf-8")
    assert result.exit_code == 0 and '<meta charset="utf-8">' in page and "</html>" in page
    assert "<svg" in page and "print-page" in page and "๑ ธันวาคม ๒๕๖๒" in page
    assert cli("gaps", "--fiscal-year", "ปีหน้า").exit_code == 2
    assert cli("link", str(doc), "INV-2562-NOPE00").exit_code == 1


# --- what counts as a deliverable, and for whom ------------------------------------------

P_BMN = "โครงการการบริหารการจัดเก็บและใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.)"
A_BMN = "กิจกรรมตรวจสอบและรับรองคุณภาพการจัดเก็บข้อมูลความจำเป็นพื้นฐาน (จปฐ.)"
AG_BMN = "สำนักงานพัฒนาชุมชนจังหวัดเชียงราย"


def import_rows(core, rows, tmp_path, name="บัญชี.xlsx"):
    wb = Workbook()
    wb.active.append(HEADERS)
    for row in rows:
        wb.active.append(row)
    path = tmp_path / name
    wb.save(path)
    result = import_inventory(core, path, agent="strategy")
    assert result.ok, [str(e) for e in result.errors]
    return result


def test_a_letter_is_not_the_projects_summary_report(any_core, tmp_path):
    """Seed 003, a letter telling districts to 'รายงานผลการดำเนินงานในระบบ', names the จปฐ.
    project: it is no summary report, so it is neither linked to the summary-report item
    nor accepted as the project's summary report. A real one (heading
    รายงานสรุปผลการดำเนินงานโครงการ…) is both."""
    from tests.conftest import SEED_FIXTURES

    core = any_core
    import_rows(
        core,
        [["๒๕๖๗", None, "เชียงราย", P_BMN, None, AG_BMN, SUMMARY, "เอกสาร", "๑", "๓๐ ก.ย. ๒๕๖๗"]],
        tmp_path,
    )
    summary_code = code_of(core, SUMMARY, P_BMN)
    [letter] = run_ingest_job(core, [str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf")], agent="x")
    assert letter.ok
    with core.sessions() as session:
        links = session.scalars(
            select(DocumentLink).where(DocumentLink.document_id == letter.document_id)
        ).all()
        assert [lk.item.code for lk in links] == []
    assert summary_code not in [s.code for s in suggest_items(core, letter.document_id)]
    report = gap_report(core, 2567, as_of=dt.date(2024, 7, 1))
    [project] = report["projects"]
    assert project["flags"] == ["no_summary_report"] and project["summary_report"] is None

    real = write_docx(
        tmp_path / "สรุปผล.docx",
        f"รายงานสรุปผลการดำเนินงานโครงการ{P_BMN.removeprefix('โครงการ')}",
        f"{A_BMN} ประจำปีงบประมาณ พ.ศ. ๒๕๖๗",
        "จังหวัดเชียงราย",
    )
    [result] = run_ingest_job(core, [str(real)], agent="x")
    with core.sessions() as session:
        links = session.scalars(
            select(DocumentLink).where(DocumentLink.document_id == result.document_id)
        ).all()
        assert [(lk.item.code, lk.method) for lk in links] == [(summary_code, "suggested")]
    [project] = gap_report(core, 2567)["projects"]
    assert project["ok"] and project["summary_report"]["document_id"] == result.document_id


def test_summary_report_must_name_the_fiscal_year_as_a_fiscal_year(core, tmp_path):
    """'2562' in a date is not the fiscal year: the report must say ปีงบประมาณ (พ.ศ.) 2562."""
    import_rows(core, ROWS[5:], tmp_path)
    report = write_docx(
        tmp_path / "summary.docx",
        SUMMARY,
        f"{P_TRADE} จัดงานเมื่อวันที่ ๑๕ มีนาคม ๒๕๖๒ ณ จังหวัดแม่ฮ่องสอน",
    )
    [result] = run_ingest_job(
        core, [str(report)], agent="x", item_code=code_of(core, SUMMARY, P_TRADE)
    )
    [project] = gap_report(core, 2562)["projects"]
    assert project["summary_report"]["document_id"] == result.document_id
    assert project["summary_report"]["names_project"] is True
    assert project["flags"] == ["summary_missing_fiscal_year"]


def test_a_bundle_is_a_container_not_a_deliverable(any_core, tmp_path):
    """A ZIP of two photo sets delivered with --item: the two members are the deliverables
    (received 2 of 2), the bundle is linked to nothing and never suggested."""
    import zipfile

    core = any_core
    import_rows(core, ROWS[:2], tmp_path)
    photos = code_of(core, "ภาพถ่ายกิจกรรม")
    bundle = tmp_path / "ภาพถ่ายกิจกรรม.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for n in (1, 2):
            member = write_docx(tmp_path / f"set{n}.docx", f"ภาพถ่ายกิจกรรม ชุดที่ {n}", "ภาพการอบรม")
            zf.write(member, f"ภาพถ่ายกิจกรรม/ชุด{n}.docx")
    results = run_ingest_job(core, [str(bundle)], agent="dsss", item_code=photos.lower())
    assert [r.status for r in results] == ["ingested"] * 3
    bundle_id = results[0].document_id
    with core.sessions() as session:
        linked = {lk.document_id for lk in session.scalars(select(DocumentLink))}
    assert linked == {r.document_id for r in results[1:]}
    item = next(i for i in gap_report(core, 2562)["items"] if i["code"] == photos)
    assert item["received"] == 2 and item["status"] == "received"
    assert bundle_id not in [d["document_id"] for d in item["documents"]]
    assert suggest_items(core, bundle_id) == []
    with pytest.raises(NotLinkable):
        link(core, bundle_id, photos, agent="dsss")


def test_a_dsss_officers_upload_is_suggested_only_their_provinces_items(any_core, tmp_path):
    """A เชียงใหม่ DSSS officer (or their script's DSSS token) uploads a text naming
    เชียงราย's item: it is not linked there (an officer delivers for their own province);
    the same text uploaded by the strategy office is. Their own province's item is linked
    as before."""
    from service.auth import add_user, create_token

    core = any_core
    p_cr = "โครงการส่งเสริมการท่องเที่ยวเมืองรองเชียงราย"
    import_rows(
        core,
        [
            ROWS[0],
            [
                "๒๕๖๒",
                CLUSTER,
                "เชียงราย",
                p_cr,
                "กิจกรรมที่ ๑ จัดทำคู่มือนำเที่ยว",
                "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงราย",
                "คู่มือนำเที่ยวเมืองรองเชียงราย",
                "เอกสาร",
                "๑",
                "๓๑ ต.ค. ๒๕๖๒",
            ],
        ],
        tmp_path,
    )
    add_user(core, "somchai", "dsss", "รหัสผ่านยาวพอ", "เชียงใหม่")
    add_user(core, "somsri", "strategy", "รหัสผ่านยาวพอ")
    text = [
        "คู่มือนำเที่ยวเมืองรองเชียงราย",
        f"กิจกรรมที่ ๑ จัดทำคู่มือนำเที่ยว ภายใต้{p_cr} ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
    ]
    cr_guide = write_docx(tmp_path / "cm" / "guide.docx", *text)
    [mine] = run_ingest_job(core, [str(cr_guide)], agent="somchai")
    cr_guide_again = write_docx(tmp_path / "office" / "guide.docx", *text, "ฉบับสำนักงาน")
    [office] = run_ingest_job(core, [str(cr_guide_again)], agent="somsri")
    own = write_docx(
        tmp_path / "cm" / "manual.docx",
        "คู่มือการอบรมผู้ประกอบการ",
        f"{A_TRAIN} ภายใต้{P_TOUR} ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
    )
    [own_result] = run_ingest_job(core, [str(own)], agent="somchai")
    # a script with a เชียงใหม่ DSSS token is held to that province too
    create_token(core, "cm-script", "dsss", "เชียงใหม่")
    by_token = write_docx(tmp_path / "script" / "guide.docx", *text, "ส่งโดยสคริปต์")
    [scripted] = run_ingest_job(core, [str(by_token)], agent="token:cm-script")
    with core.sessions() as session:
        linked = {
            (lk.document_id, lk.item.title)
            for lk in session.scalars(select(DocumentLink).where(DocumentLink.active.is_(True)))
        }
    # the officer's upload does name เชียงราย's item; it is only not theirs to deliver
    assert suggest_items(core, mine.document_id)[0].deliverable == "คู่มือนำเที่ยวเมืองรองเชียงราย"
    assert suggest_items(core, scripted.document_id)[0].deliverable == "คู่มือนำเที่ยวเมืองรองเชียงราย"
    assert linked == {
        (office.document_id, "คู่มือนำเที่ยวเมืองรองเชียงราย"),
        (own_result.document_id, "คู่มือการอบรมผู้ประกอบการ"),
    }


def test_the_data_carries_codes_and_the_wording_is_added_apart(delivered):
    """gap_facts has no words for people (no ``*_th``); gap_report is it with the Thai
    companions the JSON has always had, each right after the field it words."""
    from indexer.inventory.gaps import gap_facts
    from indexer.inventory.gaps.labels import with_thai

    core, _ = delivered
    facts = gap_facts(core, 2562, as_of=dt.date(2019, 12, 1))

    def keys(value):
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    assert not [k for k in keys(facts) if str(k).endswith("_th")]
    report = gap_report(core, 2562, as_of=dt.date(2019, 12, 1))
    assert json.dumps(with_thai(facts), default=str) == json.dumps(report, default=str)
    item = report["items"][0]
    assert list(item)[list(item).index("status") + 1] == "status_th"
