"""One digits setting for every figure (issue 21): the search, document, upload and job
pages write counts, fiscal years, dates and page numbers the office's way, as the gap
report does; Thai digits by default, Arabic once the admin chooses them at /admin/reports
(signed in through the login form), and ``?digits=`` for one page."""

from __future__ import annotations

import re

from tests.conftest import app_for
from tests.realistic_archive import PASSWORD, khlang_runner, sign_in
from tests.test_gaps import delivered  # noqa: F401 (a fixture)


def figures(client, ids) -> dict[str, str]:
    """The visible text of each page, tags removed."""
    pages = {
        "search": "/?q=รายงาน",
        "document": f"/documents/{ids['summary_a']}",
        "upload": "/upload",
        "job": "/upload/jobs/3",
    }
    texts = {}
    for name, path in pages.items():
        page = client.get(path)
        assert page.status_code == 200, (name, page.status_code)
        # a document's own text (snippets, extracted text) keeps the sender's digits
        html = re.sub(r'<p class="snippet">.*?</p>', "", page.text, flags=re.S)
        html = re.sub(r"<pre[^>]*>.*?</pre>", "", html, flags=re.S)
        texts[name] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return texts


def test_pages_follow_the_offices_digits_setting(delivered):  # noqa: F811

    core, ids = delivered
    khlang = khlang_runner(core)
    khlang("users", "add", "admin9", "--role", "admin", input=f"{PASSWORD}\n")
    app = app_for(core)
    try:
        admin = sign_in(app, "admin9")
        thai = figures(admin, ids)
        assert "ปีงบประมาณ ๒๕๖๒" in thai["search"] and "ปีงบประมาณ 2562" not in thai["search"]
        assert re.search(r"พบ [๐-๙]+ เอกสาร", thai["search"])
        assert "ปีงบประมาณ ๒๕๖๒" in thai["document"]
        assert "ปีงบประมาณ 2562" not in thai["document"]  # (item codes INV-2562-… are names)
        assert "ปีงบประมาณ ๒๕๖๒" in thai["upload"] and "ปีงบประมาณ 2562" not in thai["upload"]
        assert "๔ / ๔" in thai["job"]

        saved = admin.post("/admin/reports", data={"csrf_token": admin.csrf, "digits": "arabic"})
        assert saved.status_code == 302
        arabic = figures(admin, ids)
        assert "ปีงบประมาณ 2562" in arabic["search"]
        # (titles keep the sender's digits: "ครั้งที่ ๑๒/๒๕๖๒")
        assert "ปีงบประมาณ ๒๕๖๒" not in arabic["search"]
        assert re.search(r"พบ [0-9]+ เอกสาร", arabic["search"])
        assert "ปีงบประมาณ 2562" in arabic["document"]
        assert "ปีงบประมาณ ๒๕๖๒" not in arabic["document"]
        # dates too: the document's arrival is written 5 ต.ค. 2562, not ๕ ต.ค. ๒๕๖๒
        assert "ต.ค. 2562" in arabic["document"] and "ต.ค. ๒๕๖๒" not in arabic["document"]
        assert "ปีงบประมาณ 2562" in arabic["upload"]
        assert "ปีงบประมาณ ๒๕๖๒" not in arabic["upload"]
        assert "4 / 4" in arabic["job"] and "๔" not in arabic["job"]

        # one page the other way, for a reader who asks (the setting is unchanged)
        once = admin.get(f"/documents/{ids['summary_a']}?digits=thai").text
        assert "<dd>๒๕๖๒</dd>" in once
        assert "<dd>2562</dd>" in admin.get(f"/documents/{ids['summary_a']}").text
        assert admin.get("/?q=รายงาน&digits=roman").status_code == 200  # the office's digits
    finally:
        app.extensions["khlang"].dispose()
