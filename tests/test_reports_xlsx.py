"""The gap report's XLSX as a manager opens it in Excel (issue 21): written by
``khlang gaps --format xlsx`` and by the page's export button (signed in through the login
form), read back with openpyxl: real date and number cells shown the Thai way, translated
kinds, frozen headers, filters and an A4 page set-up, the same fiscal year on every sheet,
and one digits setting for the office."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from PIL import Image

from indexer.inventory.report_settings import set_report_settings
from tests.conftest import app_for
from tests.realistic_archive import PASSWORD, khlang_runner, sign_in
from tests.test_gaps import SUMMARY, delivered  # noqa: F401 (a fixture)

THAI_DATES = "[$-D07041E]d mmm yyyy"
ARABIC_DATES = "[$-107041E]d mmm yyyy"


def check_workbook(data: bytes, date_format: str, integer_format: str) -> None:
    wb = load_workbook(io.BytesIO(data))
    items = wb["รายการ"]
    header = [c.value for c in items[1]]
    rows = [dict(zip(header, (c for c in row), strict=True)) for row in items.iter_rows(min_row=2)]
    summary = next(r for r in rows if r["ทรัพยากร/ผลลัพธ์"].value == SUMMARY)
    due = summary["กำหนดส่ง"]
    assert due.is_date and due.value.date() == dt.date(2019, 11, 30)
    assert due.number_format == date_format
    for name in ("ปีงบประมาณ", "จำนวน", "ได้รับ"):
        assert summary[name].data_type == "n" and summary[name].number_format == integer_format
    assert summary["ปีงบประมาณ"].value == 2562
    # every sheet: frozen header, filters on the table, A4 with the header on each page
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.page_setup.paperSize == 9, ws.title  # A4
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    assert items.auto_filter.ref == items.dimensions
    assert wb["เอกสารนอกบัญชี"].auto_filter.ref
    assert items.page_setup.orientation == "landscape"
    # the fiscal year is the same number on the information sheet as on the items
    info = {r[0].value: r[1] for r in wb["ข้อมูลรายงาน"].iter_rows(min_row=2)}
    assert info["ปีงบประมาณ"].value == 2562
    assert info["ปีงบประมาณ"].number_format == integer_format
    assert info["ข้อมูล ณ วันที่"].is_date and info["ข้อมูล ณ วันที่"].number_format == date_format
    # kinds in Thai: the unexpected meeting report is รายงานการประชุม, never 'minutes'
    unexpected = wb["เอกสารนอกบัญชี"]
    kinds = [row[3].value for row in unexpected.iter_rows(min_row=2)]
    assert kinds and "minutes" not in kinds and "รายงานการประชุม" in kinds
    arrived = unexpected.cell(2, 5)
    assert arrived.is_date and arrived.number_format == date_format


def test_cli_xlsx_has_date_and_number_cells_in_thai_digits(delivered, tmp_path):  # noqa: F811
    core, _ = delivered
    khlang = khlang_runner(core)
    out = tmp_path / "รายงานความครบถ้วน ๒๕๖๒.xlsx"
    khlang("gaps", "--fiscal-year", "๒๕๖๒", "--as-of", "๑ ธ.ค. ๒๕๖๒", "--format", "xlsx",
           "--output", str(out))  # fmt: skip
    check_workbook(out.read_bytes(), THAI_DATES, "[$-D00041E]0")
    # Arabic digits when asked, still B.E.
    khlang("gaps", "--fiscal-year", "2562", "--as-of", "1/12/2562", "--format", "xlsx",
           "--digits", "arabic", "--output", str(out))  # fmt: skip
    check_workbook(out.read_bytes(), ARABIC_DATES, "0")


def test_page_export_follows_the_offices_digits_setting(delivered):  # noqa: F811

    core, _ = delivered
    khlang_runner(core)("users", "add", "manager1", "--role", "strategy", input=f"{PASSWORD}\n")
    app = app_for(core)
    try:
        client = sign_in(app, "manager1")
        page = client.get("/gaps?fiscal_year=2562&as_of=1/12/2562")
        assert page.status_code == 200
        export = page.text.split("ส่งออก Excel")[0].rsplit('href="', 1)[1].split('"')[0]
        answer = client.get(export.replace("&amp;", "&"))
        assert answer.status_code == 200, answer.text
        check_workbook(answer.data, THAI_DATES, "[$-D00041E]0")
        set_report_settings(core, digits="arabic", agent="admin")
        check_workbook(client.get(export.replace("&amp;", "&")).data, ARABIC_DATES, "0")
        bad = client.get(export.replace("&amp;", "&") + "&digits=roman")
        assert bad.status_code == 400 and "digits" in bad.json["error"]["message_en"]
    finally:
        app.extensions["khlang"].dispose()


def test_admin_sets_the_office_heading_and_digits_in_the_web(delivered):  # noqa: F811
    """The admin's form (/admin/reports, signed in through the login form): the heading
    shows on the print view; Arabic digits then show on the page; a bad value is a 400
    saying why in Thai; other roles are refused."""

    core, _ = delivered
    khlang = khlang_runner(core)
    khlang("users", "add", "admin9", "--role", "admin", input=f"{PASSWORD}\n")
    khlang("users", "add", "strategy9", "--role", "strategy", input=f"{PASSWORD}\n")
    app = app_for(core)
    try:
        admin = sign_in(app, "admin9")
        form = admin.get("/admin/reports")
        assert form.status_code == 200 and 'value="thai" checked' in form.text
        office = "สำนักงานจังหวัดแม่ฮ่องสอน กลุ่มงานยุทธศาสตร์"
        saved = admin.post(
            "/admin/reports",
            data={"csrf_token": admin.csrf, "office_name": office,
                  "office_address": "ศาลากลางจังหวัดแม่ฮ่องสอน", "digits": "arabic"},
        )  # fmt: skip
        assert saved.status_code == 302
        printed = admin.get("/gaps/print?fiscal_year=2562&as_of=1/12/2562").text
        assert office in printed and "ศาลากลางจังหวัดแม่ฮ่องสอน" in printed
        assert "ปีงบประมาณ 2562" in printed and "1 ธันวาคม 2562" in printed
        # (a document's own title keeps its Thai digits: it is the sender's text)
        assert "digits-arabic" in printed and "๑ ธันวาคม" not in printed
        # the logo: an image made by Pillow, stored re-encoded and shown on the print view;
        # a file that is not an image is refused, naming the file
        logo = io.BytesIO()
        Image.new("RGB", (1200, 900), "navy").save(logo, "JPEG")
        upload = {"csrf_token": admin.csrf, "digits": "arabic",
                  "logo": (io.BytesIO(logo.getvalue()), "ตราจังหวัด.jpg")}  # fmt: skip
        assert admin.post("/admin/reports", data=upload).status_code == 302
        printed = admin.get("/gaps/print?fiscal_year=2562").text
        assert 'class="office-logo" src="/office-logo.png"' in printed
        image = admin.get("/office-logo.png")
        assert image.status_code == 200 and image.mimetype == "image/png"
        assert Image.open(io.BytesIO(image.data)).size == (600, 450)
        fake = {"csrf_token": admin.csrf, "logo": (io.BytesIO(b"not an image"), "ตรา.png")}
        refused = admin.post("/admin/reports", data=fake)
        assert refused.status_code == 400 and "ตรา.png: ไม่ใช่ไฟล์ภาพ" in refused.text
        assert admin.get("/office-logo.png").data == image.data  # the good one is kept
        bad = admin.post("/admin/reports", data={"csrf_token": admin.csrf, "digits": "roman"})
        assert bad.status_code == 400 and "ตัวเลขต้องเป็น thai หรือ arabic" in bad.text
        assert sign_in(app, "strategy9").get("/admin/reports").status_code == 403
    finally:
        app.extensions["khlang"].dispose()


def test_each_change_to_the_report_settings_is_an_event(delivered):  # noqa: F811
    """Name, address, digits and logo changed at /admin/reports (signed in through the
    login form) leave one event each time: who, and each setting's old and new value;
    saving the form unchanged leaves none. The form shows them."""
    from sqlalchemy import select

    from indexer.records import provenance as ev
    from schemas.models import Event

    core, _ = delivered
    khlang_runner(core)("users", "add", "admin9", "--role", "admin", input=f"{PASSWORD}\n")
    app = app_for(core)

    def events():
        with core.sessions() as db:
            rows = db.scalars(
                select(Event)
                .where(Event.event_type == ev.REPORT_SETTINGS_CHANGED)
                .order_by(Event.id)
            )
            return [(e.agent, e.document_id, dict(e.detail)) for e in rows]

    try:
        admin = sign_in(app, "admin9")
        office = "สำนักงานจังหวัดลำปาง"
        form = {"csrf_token": admin.csrf, "office_name": office, "office_address": "",
                "digits": "thai"}  # fmt: skip
        assert admin.post("/admin/reports", data=form).status_code == 302
        assert events() == [("admin9", None, {"office_name": ["", office]})]
        assert admin.post("/admin/reports", data=form).status_code == 302
        assert len(events()) == 1  # nothing changed, nothing to record
        changed = {**form, "office_address": "ศาลากลางจังหวัดลำปาง", "digits": "arabic"}
        assert admin.post("/admin/reports", data=changed).status_code == 302
        assert events()[-1] == (
            "admin9",
            None,
            {"office_address": ["", "ศาลากลางจังหวัดลำปาง"], "digits": ["thai", "arabic"]},
        )
        logo = io.BytesIO()
        Image.new("RGB", (60, 40), "navy").save(logo, "PNG")
        upload = {**changed, "logo": (io.BytesIO(logo.getvalue()), "ตรา.png")}
        assert admin.post("/admin/reports", data=upload).status_code == 302
        agent, _, detail = events()[-1]
        assert agent == "admin9" and detail["filename"] == "ตรา.png"
        assert detail["logo"][0] is None and len(detail["logo"][1]) == 16
        # a refused value changes nothing and records nothing
        bad = admin.post("/admin/reports", data={**changed, "digits": "roman"})
        assert bad.status_code == 400 and len(events()) == 3
        # the form lists them, newest first, with their label
        page = admin.get("/admin/reports").text
        history = page[page.index('id="settings-history"') :]
        assert "ตรา.png" in history and "admin9" in history
        assert "<del>thai</del> → <ins>arabic</ins>" in history
        assert history.index("ตรา.png") < history.index(office)
    finally:
        app.extensions["khlang"].dispose()
