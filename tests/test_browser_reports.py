"""The gap report as it prints, and every page's accessibility, in a real browser (issue 21):
Debian's Chromium (Playwright) against a live gunicorn serving the realistic archive of
tests/realistic_archive.py, with one more project whose long Thai name must never break
inside a word, and enough items for the table to run over several A4 pages.

- the print view printed to PDF by Chromium and read back with pdftotext: the office's
  heading, page numbers 'หน้า ๑/๓' on every page, the table header on every page the table
  reaches, the long project name whole on one line, the signature block;
- axe-core (the axe.min.js of the axe-playwright-python wheel) over every page each role
  reaches, in Thai and English: no violations;
- at 390 px wide no page scrolls sideways as a whole (wide tables scroll in their box)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.inventory.report_settings import set_report_settings
from indexer.thai.digits import to_thai_digits
from tests import realistic_archive as ra
from tests.conftest import CHROMIUM
from tests.live_server import free_port, start, stop
from tests.test_browser_menus import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

ARABICA = "โครงการส่งเสริมการผลิตและการตลาดกาแฟอราบิก้าคุณภาพสูงของกลุ่มจังหวัดภาคเหนือตอนบน"
OFFICE = "สำนักงานจังหวัดเชียงใหม่ กลุ่มงานบริหารยุทธศาสตร์กลุ่มจังหวัด"
ADDRESS = "ศาลากลางจังหวัดเชียงใหม่ ถนนโชตนา อำเภอเมือง จังหวัดเชียงใหม่ ๕๐๓๐๐"
# thirty deliverables of the long-named project, none received: the table of missing items
# runs over more than one landscape A4 page
LONG_ROWS = [
    ["๒๕๖๒", "ลำปาง", ARABICA, f"กิจกรรมที่ {n} ถ่ายทอดเทคโนโลยีการแปรรูปกาแฟ",
     "สำนักงานเกษตรจังหวัดลำปาง", f"รายงานผลการถ่ายทอดเทคโนโลยี ครั้งที่ {n}", "๑",
     "๓๑ ส.ค. ๒๕๖๒"]
    for n in range(1, 31)
]  # fmt: skip


@pytest.fixture(scope="module")
def live(tmp_path_factory, realistic_template):
    work = tmp_path_factory.mktemp("reports")
    archive = ra.build(work, template=realistic_template)
    khlang = ra.khlang_runner(archive.core)
    khlang("inventory", "import", str(ra.write_inventory(work / "บัญชีกาแฟอราบิก้า.xlsx", LONG_ROWS)))
    set_report_settings(archive.core, office_name=OFFICE, office_address=ADDRESS, agent="admin")
    data_dir = archive.core.settings.data_dir
    doc = archive.doc
    ra.dispose(archive)
    port = free_port()
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir), "KHLANG_SECURE_COOKIES": "0"}
    env.pop("KHLANG_DATABASE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4"]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", "120", "service:create_app()"]
    process = start(command, env, port, work / "gunicorn.log")
    try:
        yield {"base": f"http://127.0.0.1:{port}", "doc": doc, "work": work}
    finally:
        stop(process)


def pdf_pages(pdf: bytes, work: Path) -> list[str]:
    path = work / "รายงานความครบถ้วน.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    return [page for page in text.split("\f") if page.strip()]


def page_size(pdf: bytes, work: Path) -> tuple[float, float]:
    """The first page's width and height in points, as pdfinfo reads them."""
    path = work / "ขนาดหน้า.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    line = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, _, height = line.split(":", 1)[1].split()[:3]
    return float(width), float(height)


def print_to_pdf(live, browser, path: str) -> bytes:
    context = browser.new_context(locale="th-TH")
    page = context.new_page()
    try:
        sign_in(page, live["base"], "strategy1")
        page.goto(f"{live['base']}{path}")
        page.wait_for_selector("svg.chart")
        # the page's own @page rule decides the paper
        return page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()


def test_the_print_view_is_landscape_only_where_the_table_needs_it(live, browser):
    """Nine columns (a report over all provinces) print on landscape A4; a report for one
    province, without the province column, on portrait A4, its table still whole."""
    wide = print_to_pdf(live, browser, "/gaps/print?fiscal_year=2562&as_of=1/12/2562")
    width, height = page_size(wide, live["work"])
    assert (round(width), round(height)) == (842, 595)  # A4 landscape
    narrow = print_to_pdf(live, browser, "/gaps/print?fiscal_year=2562&province=ลำปาง")
    width, height = page_size(narrow, live["work"])
    assert (round(width), round(height)) == (595, 842)  # A4 portrait
    pages = pdf_pages(narrow, live["work"])
    for number, text in enumerate(pages, 1):
        assert to_thai_digits(f"หน้า {number}/{len(pages)}") in text, (number, text[-300:])
    with_rows = [text for text in pages if "INV-2562-" in text]
    assert with_rows and all("รหัสรายการ" in text for text in with_rows)
    # the narrower project column still breaks only between words: อราบิก้า stays whole
    lines = [line for text in pages for line in text.splitlines()]
    assert any("กาแฟอราบิก้า" in line for line in lines)
    assert not any("อราบิ" in line and "อราบิก้า" not in line for line in lines)
    assert "ผู้รายงาน" in pages[-1]


def test_the_printed_gap_report_could_be_signed_and_sent(live, browser):
    context = browser.new_context(locale="th-TH")
    page = context.new_page()
    try:
        sign_in(page, live["base"], "strategy1")
        page.goto(f"{live['base']}/gaps/print?fiscal_year=2562&as_of=1/12/2562")
        page.wait_for_selector("svg.chart")
        # the page's own @page rule decides the paper: A4 landscape
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    pages = pdf_pages(pdf, live["work"])
    count = len(pages)
    assert count >= 2, pages
    for number, text in enumerate(pages, 1):
        assert to_thai_digits(f"หน้า {number}/{count}") in text, (number, text[-300:])
    first = pages[0]
    assert OFFICE in first and "ปีงบประมาณ ๒๕๖๒" in first and "๑ ธันวาคม ๒๕๖๒" in first
    # the table header on every page that holds rows of the table
    with_rows = [text for text in pages if "INV-2562-" in text]
    assert len(with_rows) >= 2
    assert all("รหัสรายการ" in text for text in with_rows)
    # the long project name is never split inside a word: each of its words is on one line
    lines = [line for text in pages for line in text.splitlines()]
    assert any("กาแฟอราบิก้า" in line for line in lines)
    assert not any(line.rstrip().endswith("กาแฟอราบิ") for line in lines)
    last = pages[-1]
    assert "ลงชื่อ" in last and "ผู้รายงาน" in last and "ตำแหน่ง" in last


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def pages_of(who: str | None, doc: dict) -> list[str]:
    anyone = ["/", "/?q=กาแฟ", "/?q=ท่องเที่ยว&lang=en", "/reuse", f"/documents/{doc['report']}"]
    if who is None:
        return ["/login", *anyone]
    pages = [*anyone, "/inventory?fiscal_year=2562", f"/documents/{doc['letter_pdf']}"]
    if who in ("strategy1", "admin1", "dsss1"):
        pages += ["/gaps?fiscal_year=2562&as_of=1/12/2562", "/gaps/print?fiscal_year=2562",
                  "/gaps?fiscal_year=2562&lang=en"]  # fmt: skip
    if who in ("admin1", "dsss1"):
        pages.append("/upload")
    if who == "admin1":
        pages += ["/admin/preservation", "/admin/reports"]
    return pages


# what sticks out past the right edge of a phone's screen (outside a scrolling box)
WIDER_THAN_THE_SCREEN = """(() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-scroll')) continue;
    const box = el.getBoundingClientRect();
    if (box.right > width + 1) out.push(el.tagName + '.' + el.className + ' ' + Math.round(box.right));
  }
  return out.slice(0, 5);
})()"""


@pytest.mark.parametrize("who", [None, "viewer1", "dsss1", "strategy1", "admin1"],
                         ids=lambda w: w or "anonymous")  # fmt: skip
def test_every_page_passes_axe_and_fits_a_phone(live, browser, who):
    context = browser.new_context(locale="th-TH", viewport={"width": 390, "height": 844})
    page = context.new_page()
    found = {}
    try:
        if who:
            sign_in(page, live["base"], who)
        for path in pages_of(who, live["doc"]):
            answer = page.goto(live["base"] + path)
            assert answer.status == 200, (who, path)
            assert page.locator("h1").count() == 1, (who, path)
            problems = axe_violations(page)
            overflow = page.evaluate(WIDER_THAN_THE_SCREEN)
            if overflow:
                problems.append(f"wider than 390 px: {overflow}")
            if problems:
                found[path] = problems
    finally:
        context.close()
    if found:
        pytest.fail("\n".join(f"{who} {path}: {v}" for path, vs in found.items() for v in vs))
