"""The web service in a real browser: Debian's Chromium (Playwright) against a live gunicorn.

Log in, upload a ZIP with Thai names and watch it finish, search in Thai, open a document
and download it, view and export a gap report. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, SEED_FIXTURES, make_core
from tests.live_server import free_port, start, stop

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "รหัสผ่าน-เบราว์เซอร์-1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A data directory with users and an inventory, served by gunicorn on loopback."""
    from indexer.inventory import import_inventory, list_items
    from service.auth import add_user
    from tests.test_service_web import inventory_csv_bytes

    data_dir = tmp_path_factory.mktemp("browser") / "data"
    core = make_core(data_dir)
    add_user(core, "dsss_cm", "dsss", PASSWORD, "เชียงใหม่")
    add_user(core, "strategy", "strategy", PASSWORD)
    import_inventory(core, inventory_csv_bytes(), filename="inventory.csv", agent="strategy")
    # A second Chiang Mai project with an activity of the same name as the first one's.
    import_inventory(core, SECOND_PROJECT_CSV.encode(), filename="more.csv", agent="strategy")
    items = {i["province"]: i for i in list_items(core, 2562) if i["project"] != SECOND_PROJECT}
    second = next(i for i in list_items(core, 2562) if i["project"] == SECOND_PROJECT)
    core.dispose()
    port = free_port()
    env = {
        **os.environ,
        "KHLANG_DATA_DIR": str(data_dir),
        "KHLANG_SECURE_COOKIES": "0",  # plain http on loopback
    }
    env.pop("KHLANG_DATABASE_URL", None)
    log_path = tmp_path_factory.mktemp("logs") / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4"]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", "120", "service:create_app()"]
    process = start(command, env, port, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        yield {"base": base, "items": items, "second": second, "data_dir": data_dir}
    finally:
        stop(process)


SECOND_PROJECT = "โครงการพัฒนาผ้าทอเชียงใหม่"
SECOND_PROJECT_CSV = (
    "ปีงบประมาณ,จังหวัด,โครงการ,กิจกรรม,หน่วยงานเจ้าภาพ,ทรัพยากร/ผลลัพธ์,จำนวน,กำหนดส่ง\n"
    f"2562,เชียงใหม่,{SECOND_PROJECT},กิจกรรมอบรม,สำนักงานจังหวัดเชียงใหม่,"
    "รายงานการอบรมผ้าทอ,1,30 ก.ย. 2562\n"
)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def drop_files(page, selector: str, paths: list[Path]) -> None:
    """Drop files on an element as a user's drag and drop does: a DataTransfer holding
    them, through dragenter, dragover and drop."""
    files = [
        {"name": path.name, "b64": base64.b64encode(path.read_bytes()).decode()} for path in paths
    ]
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.b64), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name));
            }
            return transfer;
        }""",
        files,
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, event, {"dataTransfer": transfer})


# Installed before sending: every state each file's row goes through, and whether the job
# had finished at that moment, so the test sees progress without timing anything.
RECORD_ROW_STATES = """() => {
    window.rowStates = [];
    const panel = document.getElementById("progress");
    new MutationObserver(records => {
        for (const r of records) {
            const tr = r.target.closest && r.target.closest("tr");
            if (!tr || !tr.hasAttribute("data-state")) continue;
            window.rowStates.push({
                name: tr.cells[0].textContent,
                state: tr.getAttribute("data-state"),
                finished: panel.hasAttribute("data-status"),
            });
        }
    }).observe(document.querySelector("#results tbody"),
               {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
}"""


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector(".user")


def thai_zip(tmp_path: Path) -> Path:
    path = tmp_path / "ผลงานโครงการกลุ่มจังหวัด.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.write(
            SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf",
            "แนวทางการจัดเก็บ/แนวทางการจัดเก็บผลลัพธ์ ๒๕๖๒.pdf",
        )
        bundle.write(
            SEED_FIXTURES / "003_d2773d3a604759fe.pdf", "หนังสือ/หนังสือจังหวัดเชียงราย ด่วนที่สุด.pdf"
        )
        bundle.write(SEED_FIXTURES / "002_0090340a6c3e03ac.docx", "รายงานการประชุม ๑๒-๒๕๕๘.docx")
        bundle.writestr("ไฟล์ว่าง.docx", b"")
    return path


def test_officer_uploads_searches_opens_and_downloads(live, browser, tmp_path):
    base = live["base"]
    context = browser.new_context(
        accept_downloads=True, locale="th-TH", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, base, "dsss_cm")
        page.goto(f"{base}/upload")
        page.wait_for_selector("#drop")
        wrong = tmp_path / "ไฟล์ที่เลือกผิด.txt"
        wrong.write_text("ไม่ใช่ผลงาน", encoding="utf-8")
        drop_files(page, "#drop", [thai_zip(tmp_path), wrong])
        chosen = page.inner_text("#chosen")
        assert "ผลงานโครงการกลุ่มจังหวัด.zip" in chosen and "ไฟล์ที่เลือกผิด.txt" in chosen
        page.click("#chosen li:has-text('ไฟล์ที่เลือกผิด.txt') button.remove")
        assert page.locator("#chosen li").count() == 1
        assert "ไฟล์ที่เลือกผิด.txt" not in page.inner_text("#chosen")
        shot(page, "01a-upload-chosen")

        # Project -> activity -> item, where two projects share an activity name.
        page.select_option("#pick-project", label=SECOND_PROJECT)
        visible = page.locator("#pick-activity option:not([hidden])[data-project]")
        assert visible.count() == 1 and visible.get_attribute("data-project") == SECOND_PROJECT
        page.select_option("#pick-activity", index=_option_index(page, SECOND_PROJECT))
        items = page.locator("#item_code option:not([hidden])[data-project]")
        assert [items.nth(i).get_attribute("value") for i in range(items.count())] == [
            live["second"]["code"]
        ]
        page.select_option("#pick-project", label="โครงการส่งเสริมการท่องเที่ยว")
        page.select_option("#item_code", value=live["items"]["เชียงใหม่"]["code"])

        page.evaluate(RECORD_ROW_STATES)
        page.click("#send")
        page.wait_for_selector("#progress[data-status]", timeout=120_000)
        assert page.get_attribute("#progress", "data-status") == "finished"
        states = page.evaluate("window.rowStates")
        before_the_end = {s["state"] for s in states if not s["finished"]}
        # The chosen file was listed, and followed, before the job finished.
        assert before_the_end & {"waiting", "sending", "sent", "queued"}, states
        assert {"ingested", "rejected"} <= {s["state"] for s in states}
        results = page.inner_text("#results")
        assert "หนังสือจังหวัดเชียงราย ด่วนที่สุด.pdf" in results
        assert "รายงานการประชุม ๑๒-๒๕๕๘.docx" in results
        assert "ปฏิเสธ" in results  # the empty file, with its reason
        assert page.locator("#results tr.st-ingested").count() >= 3  # and the ZIP itself
        assert page.locator("#results tr[data-member]").count() == 4  # the ZIP's members
        shot(page, "01-upload-finished")

        # In English, a refused upload says why in English.
        page.goto(f"{base}/upload?lang=en")
        page.set_input_files("#files", str(wrong))
        page.evaluate(
            """code => { const o = new Option(code, code); document.getElementById("item_code").add(o);
                        document.getElementById("item_code").value = code; }""",
            live["items"]["เชียงราย"]["code"],
        )
        page.click("#send")
        page.wait_for_selector("#results tr.st-rejected")
        assert "your own province" in page.inner_text("#counts")
        page.goto(f"{base}/?lang=th")

        page.goto(f"{base}/")
        page.fill("#q", "เชียงราย")
        page.press("#q", "Enter")
        page.wait_for_selector(".hit")
        assert page.locator(".hit mark").count() > 0
        assert page.locator(".facet").count() > 0
        assert "รับเข้าเมื่อ" in page.inner_text(".hit >> nth=0")
        shot(page, "02-search-thai")

        page.click(".hit h3 a >> nth=0")
        page.wait_for_selector(".timeline")
        assert "ประวัติการจัดเก็บ" in page.inner_text("main")
        shot(page, "03-document")
        set_due_date_in_thai(page, live)
        with page.expect_download() as info:
            page.click("a.button.primary[download]")
        download = info.value
        saved = tmp_path / "downloaded"
        download.save_as(saved)
        name = download.suggested_filename
        originals = {
            "หนังสือจังหวัดเชียงราย ด่วนที่สุด.pdf": SEED_FIXTURES / "003_d2773d3a604759fe.pdf",
            "แนวทางการจัดเก็บผลลัพธ์ ๒๕๖๒.pdf": SEED_FIXTURES / "000_b5296e7a1e0e78d3.pdf",
            "รายงานการประชุม ๑๒-๒๕๕๘.docx": SEED_FIXTURES / "002_0090340a6c3e03ac.docx",
        }
        assert name in originals, name
        assert saved.read_bytes() == originals[name].read_bytes()

        page.goto(f"{base}/?lang=en")
        assert "Search" in page.inner_text("nav")
        page.goto(f"{base}/?lang=th")
    finally:
        context.close()
    # A visitor sees none of it: nothing is published yet.
    visitor = browser.new_page()
    try:
        visitor.goto(f"{base}/?q=เชียงราย")
        assert visitor.locator(".hit").count() == 0
        assert "พบ ๐" in visitor.inner_text(".results-head")
    finally:
        visitor.close()


def _option_index(page, project: str) -> int:
    return page.evaluate(
        """project => Array.from(document.getElementById("pick-activity").options)
               .findIndex(o => o.getAttribute("data-project") === project)""",
        project,
    )


def set_due_date_in_thai(page, live) -> None:
    """The document page's Thai date box: typed as offices write dates, read back in B.E.,
    picked from the Thai calendar, and saved."""
    code = live["items"]["เชียงใหม่"]["code"]
    box = page.locator(f"form.due-date:has(input[value='{code}']) [data-thai-date]")
    box.locator("input[type=text]").fill("1/12/2562")
    assert box.locator(".thai-date-hint").inner_text() == "๑ ธันวาคม พ.ศ. ๒๕๖๒"
    box.locator("input[type=text]").fill("๓๑ ก.พ. ๒๕๖๒")
    assert "อ่านวันที่ไม่ได้" in box.locator(".thai-date-hint").inner_text()
    box.locator("input[type=text]").fill("๑ ธ.ค. ๒๕๖๒")
    box.locator(".thai-date-open").click()
    assert "ธันวาคม ๒๕๖๒" in box.locator(".thai-cal-head").inner_text()
    shot(page, "03b-thai-date-calendar")
    box.locator(".thai-cal-grid button[data-date='2019-12-02']").click()
    assert box.locator("input[type=text]").input_value() == "๒ ธ.ค. ๒๕๖๒"
    assert box.locator(".thai-date-hint").inner_text() == "๒ ธันวาคม พ.ศ. ๒๕๖๒"
    box.locator("xpath=ancestor::form").locator("button.small").click()
    page.wait_for_selector(".flash")
    items = page.evaluate("fetch('/api/inventory?fiscal_year=2562').then(r => r.json())")["items"]
    assert next(i for i in items if i["code"] == code)["due_date"] == "2019-12-02"


def test_strategy_views_prints_and_exports_the_gap_report(live, browser, tmp_path):
    base = live["base"]
    context = browser.new_context(
        accept_downloads=True, locale="th-TH", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, base, "strategy")
        page.goto(f"{base}/gaps?fiscal_year=2562&as_of=2019-12-01")
        page.wait_for_selector("svg.chart")
        text = page.inner_text("main")
        assert "เชียงใหม่" in text and "เชียงราย" in text and "เกินกำหนด" in text
        assert page.locator("svg.chart rect").count() >= 2
        shot(page, "04-gap-report")
        with page.expect_download() as info:
            page.click("text=ส่งออก CSV")
        csv_path = tmp_path / "gaps.csv"
        info.value.save_as(csv_path)
        assert "แบบสำรวจข้อมูล" in csv_path.read_bytes().decode("utf-8-sig")
        with page.expect_download() as info:
            page.click("text=ส่งออก Excel")
        assert info.value.suggested_filename.endswith(".xlsx")
        printable = context.new_page()
        printable.goto(f"{base}/gaps/print?fiscal_year=2562&as_of=2019-12-01")
        printable.wait_for_selector("svg.chart")
        ARTIFACTS.mkdir(exist_ok=True)
        pdf = printable.pdf(format="A4", print_background=True)
        (ARTIFACTS / "05-gap-report-a4.pdf").write_bytes(pdf)
        assert pdf[:4] == b"%PDF"
        shot(printable, "05-gap-report-print")
        page.goto(f"{base}/inventory?fiscal_year=2562")
        page.wait_for_selector("table")
        shot(page, "06-inventory")
    finally:
        context.close()


def test_no_request_leaves_the_machine(live, browser):
    """Everything (fonts included) is served locally: a slow office link never waits on a CDN."""
    page = browser.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(live["base"]) else outside.append(r.url))
    try:
        page.goto(f"{live['base']}/login")
        page.wait_for_load_state("networkidle")
        fonts = page.evaluate("document.fonts.check('16px Sarabun', 'ภาษาไทย')")
        assert fonts
        shot(page, "00-login")
    finally:
        page.close()
    assert outside == []


@pytest.fixture(autouse=True, scope="module")
def _no_stale_artifacts():
    if ARTIFACTS.exists():
        for old in ARTIFACTS.glob("0*-*"):
            old.unlink()
    yield
    shutil.rmtree(ARTIFACTS / "tmp", ignore_errors=True)
    io.StringIO()
