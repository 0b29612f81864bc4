"""A realistic archive for the tests that walk every page: built once per module through
the doors staff use (``khlang inventory import``, ``khlang ingest``, ``khlang link``,
``khlang users add``), then documents published through the approval chain.

What it holds:
- an inventory (XLSX made by openpyxl, Thai file name) of two fiscal years, written as
  staff write them: fiscal years and due dates in Thai digits; two provinces' items of one
  project, and one deliverable name in both years;
- the real letters and reports of ../shared/fixtures/seeds, minutes and a summary report
  made with python-docx, a ZIP bundle holding a UTF-8 text and a CSV;
- published and internal documents, a confirmed link and a suggested one;
- one user of each role (the dsss officer is เชียงราย's).

XLSX documents are left out: their ingestion is fixed on another branch.

Building it takes seconds, and LibreOffice's preview of each Word document seconds more on
the first visit of its page; five modules (three of them on both databases) each need
their own archive, because their tests change it. So the session builds one on SQLite
(``warm_template``, its previews made), and ``build(..., template=...)`` copies that data
directory for SQLite, or, on PostgreSQL, ingests the same files (same checksums) and takes
the template's previews, which are keyed by checksum.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner
from sqlalchemy import select

from schemas.models import DocumentLink
from tests.conftest import SEED_FIXTURES, app_for, make_core

PASSWORD = "รหัสผ่าน-เดินทุกหน้า-1"
# name -> (role, province)
USERS = {
    "admin1": ("admin", None),
    "strategy1": ("strategy", None),
    "strategy2": ("strategy", None),
    "dsss1": ("dsss", "เชียงราย"),
    "viewer1": ("viewer", None),
}
DSSS_PROVINCE = "เชียงราย"
OTHER_PROVINCE = "ลำพูน"

TOURISM = "โครงการส่งเสริมการท่องเที่ยวเชิงวัฒนธรรมล้านนา"
COFFEE = "โครงการพัฒนาศักยภาพการผลิตกาแฟ"
# seed 003 is เชียงราย's letter about this project, fiscal year 2567
BASIC_DATA = "โครงการการบริหารการจัดเก็บและใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.)"
BASIC_DATA_ACTIVITY = "กิจกรรมตรวจสอบ และรับรองคุณภาพการจัดเก็บข้อมูล"
SUMMARY = "รายงานสรุปผลการดำเนินงานโครงการ"

HEADER = [
    "ปีงบประมาณ",
    "จังหวัด",
    "โครงการ",
    "กิจกรรม",
    "หน่วยงานเจ้าภาพ",
    "ทรัพยากร/ผลลัพธ์",
    "จำนวน",
    "กำหนดส่ง",
]
INVENTORY_ROWS = [
    ["๒๕๖๒", "เชียงใหม่", TOURISM, "กิจกรรมอบรมมัคคุเทศก์",
     "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงใหม่", SUMMARY, "๑", "๓๐ ก.ย. ๒๕๖๒"],
    ["๒๕๖๒", "ลำปาง", COFFEE, "กิจกรรมถ่ายทอดเทคโนโลยี",
     "สำนักงานเกษตรจังหวัดลำปาง", "คู่มือการแปรรูปกาแฟ", "๒", "๓๑ ส.ค. ๒๕๖๒"],
    ["๒๕๖๗", "เชียงใหม่", TOURISM, "กิจกรรมประชาสัมพันธ์เส้นทางท่องเที่ยว",
     "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงใหม่", SUMMARY, "๑", "๓๐ ก.ย. ๒๕๖๗"],
    ["๒๕๖๗", DSSS_PROVINCE, BASIC_DATA, BASIC_DATA_ACTIVITY,
     "สำนักงานพัฒนาชุมชนจังหวัดเชียงราย", "หนังสือแจ้งการปรับแผนการปฏิบัติงาน", "๑",
     "๓๑ ก.ค. ๒๕๖๗"],
    ["๒๕๖๗", OTHER_PROVINCE, BASIC_DATA, BASIC_DATA_ACTIVITY,
     "สำนักงานพัฒนาชุมชนจังหวัดลำพูน", "หนังสือแจ้งการปรับแผนการปฏิบัติงาน", "๑",
     "๓๑ ก.ค. ๒๕๖๗"],
]  # fmt: skip

MINUTES = "บันทึกการประชุมคณะทำงานโครงการท่องเที่ยว ครั้งที่ ๒-๒๕๖๒.docx"
REPORT = "รายงานสรุปผลการดำเนินงานโครงการท่องเที่ยวเชิงวัฒนธรรมล้านนา ๒๕๖๒.docx"
BUNDLE = "ส่งมอบผลงานโครงการกาแฟ.zip"
SEEDS = {
    "guideline": "000_b5296e7a1e0e78d3.pdf",
    "web_rules": "001_ea139409875e9751.pdf",
    "news": "002_0090340a6c3e03ac.docx",
    "letter": "003_d2773d3a604759fe.docx",
    "letter_pdf": "003_d2773d3a604759fe.pdf",
}


def write_inventory(path: Path, rows=INVENTORY_ROWS) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_docx(path: Path, heading: str, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(path)
    return path


def write_documents(folder: Path) -> list[Path]:
    minutes = write_docx(
        folder / MINUTES,
        "บันทึกการประชุมคณะทำงาน ครั้งที่ ๒/๒๕๖๒",
        [
            f"{TOURISM} กิจกรรมอบรมมัคคุเทศก์",
            "วันที่ ๑๕ มีนาคม ๒๕๖๒ เวลา ๐๙.๓๐ น. ณ ห้องประชุมศาลากลางจังหวัดเชียงใหม่",
            "ที่ประชุมรับทราบผลการอบรมมัคคุเทศก์ท้องถิ่น จำนวน ๔๕ คน",
        ],
    )
    report = write_docx(
        folder / REPORT,
        f"{SUMMARY} ประจำปีงบประมาณ พ.ศ. ๒๕๖๒",
        [
            f"{TOURISM} กิจกรรมอบรมมัคคุเทศก์ จังหวัดเชียงใหม่",
            "สำนักงานการท่องเที่ยวและกีฬาจังหวัดเชียงใหม่ ดำเนินการแล้วเสร็จ "
            "เมื่อวันที่ ๒๐ กันยายน ๒๕๖๒ ใช้งบประมาณ ๑,๒๕๐,๐๐๐ บาท",
        ],
    )
    bundle = folder / BUNDLE
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(
            "ผลงาน/คู่มือการแปรรูปกาแฟ.txt",
            f"คู่มือการแปรรูปกาแฟ {COFFEE} กิจกรรมถ่ายทอดเทคโนโลยี จังหวัดลำปาง "
            "การคั่วกาแฟอาราบิกาแบบกึ่งอุตสาหกรรม",
        )
        archive.writestr(
            "ผลงาน/รายชื่อผู้เข้าอบรม.csv",
            "ชื่อ,อำเภอ\nนางสาวมะลิ ใจดี,แจ้ห่ม\nนายสมชาย คั่วเก่ง,เมืองปาน\n",
        )
    return [SEED_FIXTURES / name for name in SEEDS.values()] + [minutes, report, bundle]


def khlang_runner(core):
    """``khlang ...`` in-process against the archive, as the CLI fixture of conftest does."""
    from service.cli import main

    runner = CliRunner()

    def run(*args, input=None):
        result = runner.invoke(
            main,
            ["--data-dir", str(core.settings.data_dir), *args],
            input=input,
            env={"KHLANG_DATABASE_URL": core.settings.database_url},
        )
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    return run


def build(work: Path, database: str = "sqlite", template=None) -> SimpleNamespace:
    """The archive in ``work``: its own copy of ``template`` (see ``warm_template``) when
    one is given, else built from nothing."""
    if template is not None and database == "sqlite":
        return _copy_of(template, work)
    from indexer.inventory import list_items
    from indexer.records.preview import previews_dir
    from service.actions.publication import transition

    core = make_core(work / "data", database)
    rendered = previews_dir(template.core, "") if template is not None else None
    if rendered is not None and rendered.is_dir():
        # the template's renderings of these very files: their pages do not wait for them
        shutil.copytree(rendered, previews_dir(core, ""))
    khlang = khlang_runner(core)
    inventory = write_inventory(work / "บัญชีรายละเอียดทรัพยากร ๒๕๖๒-๒๕๖๗.xlsx")
    khlang("inventory", "import", str(inventory))
    for name, (role, province) in USERS.items():
        khlang("users", "add", name, "--role", role, *(["--province", province] if province else []),
               input=f"{PASSWORD}\n")  # fmt: skip
    files = template.files if template is not None else write_documents(work)
    answer = json.loads(khlang("ingest", *map(str, files), "--submitted-by", "admin1", "--json"))
    results = answer["results"] if isinstance(answer, dict) else answer
    ids = {Path(r["filename"]).name: r["document_id"] for r in results if r.get("document_id")}
    doc = {key: ids[name] for key, name in SEEDS.items()}
    doc.update(minutes=ids[MINUTES], report=ids[REPORT], bundle=ids[BUNDLE])

    items = list_items(core)
    code = {(i["fiscal_year"], i["province"], i["deliverable"]): i["code"] for i in items}
    letter_item = code[(2567, DSSS_PROVINCE, "หนังสือแจ้งการปรับแผนการปฏิบัติงาน")]
    khlang("link", str(doc["letter"]), letter_item, "--submitted-by", "dsss1")
    summary_item = code[(2562, "เชียงใหม่", SUMMARY)]
    methods = active_links(core)
    if not any(d == doc["report"] for d, _ in methods):
        # the summary report names its project, activity and year: a suggestion may link
        # it at ingest; when it did not, a person's link stands in for it
        khlang("link", str(doc["report"]), summary_item, "--submitted-by", "strategy1")

    # the letter is เชียงราย's: staff take back the links the suggester made to ลำพูน's
    # item, and all of the PDF copy's, which then waits with suggestions on its page
    other_item = code[(2567, OTHER_PROVINCE, "หนังสือแจ้งการปรับแผนการปฏิบัติงาน")]
    for key, item in (
        ("letter", other_item),
        ("letter_pdf", other_item),
        ("letter_pdf", letter_item),
    ):
        if (doc[key], item) in methods:
            khlang("unlink", str(doc[key]), item, "--submitted-by", "strategy1")
    methods = active_links(core)
    # what this archive promises its tests: links staff confirmed and links waiting
    assert {"confirmed", "suggested"} <= set(methods.values()), methods

    for key in ("guideline", "minutes", "report"):
        transition(core, doc[key], "check", agent="strategy1")
        transition(core, doc[key], "approve", agent="strategy2")
        transition(core, doc[key], "publish", agent="admin1")
    app = open_app(core)
    return SimpleNamespace(
        core=core, app=app, doc=doc, code=code, items=items, methods=methods, work=work,
        files=files,
    )  # fmt: skip


def warm_template(work: Path) -> SimpleNamespace:
    """The archive on SQLite with the LibreOffice PDFs of its previews made (straight
    through the preview module: no page visit, so no sign-in or event a test could count;
    page images stay lazy, as they are cheap); closed, to be copied
    (``build(..., template=...)``), never used itself."""
    from indexer.records.preview import (
        PreviewFailed,
        PreviewSource,
        page_count,
        preview_kind,
    )
    from schemas.models import Document

    template = build(work)
    with template.core.sessions() as session:
        documents = session.execute(select(Document.sha256, Document.mime)).all()
    for sha256, mime in documents:
        source = PreviewSource(preview_kind(mime), sha256, mime)
        try:  # one that fails is left to fail on its page, as it would without a template
            page_count(template.core, source)
        except PreviewFailed:
            continue
    dispose(template)
    return template


def _copy_of(template: SimpleNamespace, work: Path) -> SimpleNamespace:
    """A copy of the template's data directory (database, objects, index, previews) in
    ``work``, opened as the archive of ``build``: the same ids, codes and links."""
    shutil.copytree(template.core.settings.data_dir, work / "data")
    core = make_core(work / "data")
    app = open_app(core)
    return SimpleNamespace(
        core=core, app=app, work=work, files=template.files,
        **copy.deepcopy({k: getattr(template, k) for k in ("doc", "code", "items", "methods")}),
    )  # fmt: skip


def open_app(core):

    return app_for(core)


def active_links(core) -> dict[tuple[int, str], str]:
    """(document id, item code) -> how the link was made (suggested, confirmed, manual)."""
    from schemas.models import InventoryItem

    with core.sessions() as session:
        rows = session.execute(
            select(DocumentLink.document_id, InventoryItem.code, DocumentLink.method)
            .join(InventoryItem, DocumentLink.item_id == InventoryItem.id)
            .where(DocumentLink.active.is_(True))
        ).all()
    return {(document_id, code): method for document_id, code, method in rows}


def dispose(archive: SimpleNamespace) -> None:
    archive.app.extensions["khlang"].dispose()
    archive.core.dispose()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(app, name: str | None, lang: str = "th"):
    """A test client signed in through the login form (anonymous when ``name`` is None),
    with the page language chosen as a visitor does (``?lang=``, kept in a cookie)."""
    client = app.test_client()
    client.get(f"/?lang={lang}")
    if name is not None:
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={
                "name": name,
                "password": PASSWORD,
                "csrf_token": csrf_of(page.text),
                "next": "/",
            },
        )
        assert answer.status_code == 302, answer.text
    client.csrf = csrf_of(client.get("/login" if name is None else "/").text)
    return client
