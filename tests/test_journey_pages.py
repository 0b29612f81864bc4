"""Every page with real data (issue 14): each role signs in through the login form and
follows every same-site link it is shown, two clicks deep, over the realistic archive of
tests/realistic_archive.py, on SQLite and PostgreSQL. No page answers 5xx or shows a
traceback, and no table cell or definition the data fills is rendered empty. Then the
pages of the issue's bugs, each checked for what it must show."""

from __future__ import annotations

import html.parser
import re
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import pytest

from tests import realistic_archive as ra
from tests.conftest import DATABASES

VISITORS = [None, "viewer1", "dsss1", "strategy1", "admin1"]
DEPTH = 2
# file downloads and exports: their status is checked, their bodies are not read as pages
DOWNLOAD = re.compile(r"/file\b|/download|/template$|\.(xlsx|csv|zip|pdf)$|[?&]format=")


@pytest.fixture(scope="module", params=DATABASES)
def archive(request, tmp_path_factory, realistic_template):
    built = ra.build(tmp_path_factory.mktemp("journeys"), request.param, realistic_template)
    yield built
    built.app.extensions["khlang"].dispose()
    built.core.dispose()


class PageParser(html.parser.HTMLParser):
    """Links of a page, and its table cells / definitions rendered with nothing in them
    (no text and no element: a field left empty, as the import reasons were), or with
    a placeholder such as None."""

    CELLS = ("td", "dd")
    # what a template prints when a value it expected is missing
    PLACEHOLDERS = frozenset({"None", "null", "undefined", "nan", "NaN", "[]", "{}"})

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.empty_cells: list[str] = []
        self._cells: list[dict] = []
        self._row: list[str] = []
        self._in_code = 0  # technical metadata is shown as JSON, where null is right

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("pre", "code", "script"):
            self._in_code += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "tr":
            self._row = []
        for cell in self._cells:
            cell["children"] = True
        if tag in self.CELLS:
            self._cells.append({"tag": tag, "text": "", "children": False})

    def handle_data(self, data):
        if data.strip() in self.PLACEHOLDERS and not self._in_code:
            self.empty_cells.append(f"{data.strip()!r} rendered for a value")
        for cell in self._cells:
            cell["text"] += data
        self._row.append(data.strip())

    def handle_endtag(self, tag):
        if tag in ("pre", "code", "script"):
            self._in_code = max(0, self._in_code - 1)
        if tag in self.CELLS and self._cells:
            cell = self._cells.pop()
            if not cell["text"].strip() and not cell["children"]:
                context = " | ".join(t for t in self._row if t)[:120]
                self.empty_cells.append(f"<{tag}> empty after: {context}")


# where a visitor starts: the home page, and the results of a Thai word typed in its
# search box (the home page lists no documents before a search)
STARTS = ["/", "/?q=" + quote("โครงการ")]
SAME_KIND = 2


def crawl(client, who: str) -> tuple[set[str], list[str]]:
    """Visit every same-site link, breadth first, DEPTH clicks from the start pages;
    GET only, never the logout. (pages visited, problems found)"""
    seen, queue, problems = set(), [(start, 0) for start in STARTS], []
    kinds: dict[tuple, int] = {}
    while queue:
        path, depth = queue.pop(0)
        if path in seen:
            continue
        # search facets, sorts and pages combine into hundreds of links to one template:
        # a few of each kind (path and query keys) are visited; every document page is
        target = urlsplit(path)
        kind = (target.path, frozenset(k for k, _ in parse_qsl(target.query)))
        if kinds.get(kind, 0) >= SAME_KIND:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        seen.add(path)
        answer = client.get(path)
        if answer.status_code >= 500:
            problems.append(f"{who}: GET {path} -> {answer.status_code}")
            continue
        if DOWNLOAD.search(path):
            if answer.status_code != 200:
                problems.append(f"{who}: download {path} -> {answer.status_code}")
            continue
        if answer.mimetype != "text/html":
            continue
        body = answer.get_data(as_text=True)
        if "Traceback (most recent call last)" in body:
            problems.append(f"{who}: GET {path} shows a traceback")
        parser = PageParser()
        parser.feed(body)
        problems += [f"{who}: {path}: {e}" for e in parser.empty_cells]
        if answer.status_code != 200 or depth >= DEPTH:
            continue
        for href in parser.links:
            target = urlsplit(urljoin(f"http://khlang.test{path}", href))
            if target.netloc != "khlang.test" or target.path.startswith("/static"):
                continue
            if target.path == "/logout":
                continue
            queue.append((target.path + (f"?{target.query}" if target.query else ""), depth + 1))
    return seen, problems


@pytest.mark.parametrize("who", VISITORS, ids=lambda w: w or "anonymous")
def test_every_link_each_role_is_shown_answers_with_its_data(archive, who):
    client = ra.sign_in(archive.app, who)
    visited, problems = crawl(client, who or "anonymous")
    print(f"{who or 'anonymous'}: {len(visited)} pages visited")
    assert len(visited) >= (5 if who is None else 10), visited
    # the walk reached documents and their files (published ones, for a visitor)
    assert any(p.startswith("/documents/") for p in visited), visited
    assert any(DOWNLOAD.search(p) for p in visited), visited
    assert not problems, "\n".join(problems)


# --- the pages of the bugs ------------------------------------------------------------


def test_the_gap_reports_menu_link_shows_the_latest_fiscal_year(archive):
    """Issue 14 item 2: /gaps without a query string answered 500 for every role."""
    for who in ("strategy1", "admin1", "dsss1"):
        client = ra.sign_in(archive.app, who)
        menu = client.get("/").text
        assert 'href="/gaps"' in menu, who
        page = client.get("/gaps")
        assert page.status_code == 200, (who, page.text[:2000])
        # the year shown selected in the form is the year of the report
        assert re.search(r'<option value="2567" selected>๒๕๖๗</option>', page.text), who
        # figures in the office's digits (Thai by default); names broken only between words
        text = re.sub(r'<wbr>|<span class="w">|</span>', "", page.text)
        assert "ปีงบประมาณ ๒๕๖๗" in text
        assert "หนังสือแจ้งการปรับแผนการปฏิบัติงาน" in text


@pytest.mark.parametrize("bad", ["abc", "0", "99999", "๒๕๖๗x"])
def test_an_unreadable_fiscal_year_is_a_400_saying_why(archive, bad):
    for lang, reason in (("th", "ปีงบประมาณไม่ถูกต้อง"), ("en", "Not a fiscal year")):
        client = ra.sign_in(archive.app, "strategy1", lang)
        for path in ("/gaps", "/gaps/print"):
            page = client.get(path, query_string={"fiscal_year": bad})
            assert page.status_code == 400, page.text[:2000]
            assert reason in page.text and bad in page.text, path
        api = client.get("/api/gaps", query_string={"fiscal_year": bad})
        assert api.status_code == 400
        assert api.get_json()["error"]["message"] and api.get_json()["error"]["message_en"]


def test_link_suggestions_say_whose_item_and_a_dsss_officer_sees_only_their_own(archive):
    """Issue 14 item 7: the PDF copy of เชียงราย's letter waits with suggestions of both
    provinces' items of one project (same deliverable name)."""
    path = f"/documents/{archive.doc['letter_pdf']}"
    strategy = ra.sign_in(archive.app, "strategy1").get(path).text
    own = archive.code[(2567, ra.DSSS_PROVINCE, "หนังสือแจ้งการปรับแผนการปฏิบัติงาน")]
    other = archive.code[(2567, ra.OTHER_PROVINCE, "หนังสือแจ้งการปรับแผนการปฏิบัติงาน")]
    for code, province in ((own, ra.DSSS_PROVINCE), (other, ra.OTHER_PROVINCE)):
        form = suggestion_of(strategy, code)
        for shown in (f"จังหวัด {province}", ra.BASIC_DATA, ra.BASIC_DATA_ACTIVITY, "๒๕๖๗"):
            assert shown in form, (shown, form)
    dsss = ra.sign_in(archive.app, "dsss1").get(path).text
    assert suggestion_of(dsss, own)
    assert other not in dsss


def suggestion_of(page: str, code: str) -> str:
    forms = re.findall(r'<form[^>]*class="suggest".*?</form>', page, re.S)
    found = [f for f in forms if f'value="{code}"' in f]
    return found[0] if found else ""


def test_the_upload_pickers_items_of_one_name_differ_by_year_and_activity(archive):
    """Issue 14 item 8: two items "รายงานสรุปผลการดำเนินงานโครงการ" of two years."""
    page = ra.sign_in(archive.app, "admin1").get("/upload").text
    options = re.findall(r"<option value=\"INV-[^\"]+\"[^>]*>([^<]*)</option>", page)
    summaries = [o for o in options if o.startswith(ra.SUMMARY)]
    assert len(summaries) == 2, options
    assert any("2562" in o and "กิจกรรมอบรมมัคคุเทศก์" in o for o in summaries), summaries
    assert any("2567" in o and "กิจกรรมประชาสัมพันธ์เส้นทางท่องเที่ยว" in o for o in summaries)
