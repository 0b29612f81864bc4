"""Every menu item for each role, in a real browser (issue 14): Debian's Chromium
(Playwright) against a live gunicorn serving the realistic archive of
tests/realistic_archive.py. Each role signs in through the login form and clicks each
item of the main menu, in Thai and in English: no error page, each page with its title
and heading. The gap report's menu link answered 500 before."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests import realistic_archive as ra
from tests.conftest import CHROMIUM
from tests.live_server import free_port, start, stop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

# what each role's menu holds (the permissions of service/auth.py, as a person sees them)
MENUS = {
    None: ["หน้าหลัก", "ค้นหา", "ค้นหาผลงานเดิม"],
    "viewer1": ["หน้าหลัก", "ค้นหา", "บัญชีทรัพยากร/ผลลัพธ์", "ค้นหาผลงานเดิม"],
    "dsss1": ["หน้าหลัก", "ค้นหา", "นำเข้าไฟล์", "บัญชีทรัพยากร/ผลลัพธ์", "รายงานความครบถ้วน", "ค้นหาผลงานเดิม"],
    "strategy1": ["หน้าหลัก", "ค้นหา", "บัญชีทรัพยากร/ผลลัพธ์", "รายงานความครบถ้วน", "ค้นหาผลงานเดิม"],
    "admin1": ["หน้าหลัก", "ค้นหา", "นำเข้าไฟล์", "บัญชีทรัพยากร/ผลลัพธ์", "รายงานความครบถ้วน",
               "การเก็บรักษา", "ผู้ใช้และโทเคน", "ค้นหาผลงานเดิม"],
}  # fmt: skip


@pytest.fixture(scope="module")
def live(tmp_path_factory, realistic_template):
    work = tmp_path_factory.mktemp("menus")
    archive = ra.build(work, template=realistic_template)
    data_dir = archive.core.settings.data_dir
    ra.dispose(archive)
    port = free_port()
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir), "KHLANG_SECURE_COOKIES": "0"}
    env.pop("KHLANG_DATABASE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4"]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", "120", "service:create_app()"]
    process = start(command, env, port, work / "gunicorn.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def sign_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", ra.PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector(".user")


@pytest.mark.parametrize("who", list(MENUS), ids=lambda w: w or "anonymous")
def test_each_role_clicks_every_menu_item(live, browser, who):
    context = browser.new_context(locale="th-TH")
    page = context.new_page()
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda r: statuses.append((r.status, r.url)))
    try:
        if who is None:
            page.goto(f"{live}/")
        else:
            sign_in(page, live, who)
        for lang in ("th", "en"):
            page.goto(f"{live}/?lang={lang}")
            labels = page.locator("nav.nav a").all_inner_texts()
            if lang == "th":
                assert labels == MENUS[who], labels
            assert len(labels) == len(MENUS[who]), labels
            for index, label in enumerate(labels):
                statuses.clear()
                page.locator("nav.nav a").nth(index).click()
                page.wait_for_load_state("domcontentloaded")
                failed = [(s, u) for s, u in statuses if s >= 400]
                assert not failed, (who, lang, label, failed)
                # every page has its heading (the search page's is for screen readers)
                headings = page.locator("main h1")
                assert headings.count() == 1, (who, lang, label)
                assert headings.first.text_content().strip(), (who, lang, label)
                assert page.title().strip() and not page.title().startswith(("4", "5")), label
                assert page.locator("nav.nav a[aria-current=page]").inner_text() == label
                assert "Traceback" not in page.content()
    finally:
        context.close()
