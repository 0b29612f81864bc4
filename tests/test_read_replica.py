"""Searches on a read replica (KHLANG_DATABASE_READ_URL): a real streaming standby made
with pg_basebackup, on this machine.

The standby is made of the machine's server (KHLANG_TEST_DATABASE_URL's) when that server
accepts replication connections and the suite runs in one process; a server that does not
(no ``replication`` line in its pg_hba.conf: this machine's) is not changed, and under
pytest-xdist the other processes' writes would make a standby of it lag: a temporary primary
is made with initdb instead, and the test says so. Which database answered a search is
proven by content, not timing: with the standby's replay paused, a document just uploaded is
on the primary only, so a search that does not find it was answered by the standby (and the
response's X-Khlang-Read-From header says the same).
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import re
import shutil
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy.engine import make_url

from indexer.core import Khlang
from indexer.search.pg_store import conninfo
from indexer.search.replica_reads import PRIMARY, REPLICA, StandbyState, lsn_number, reading
from schemas.config import ConfigError, Settings
from service.auth import add_user
from service.read_your_writes import READ_FROM_HEADER
from tests import live_server, pg_standby
from tests.conftest import PG_URL, make_core
from tests.test_demo import procfile_web_command
from tests.test_search_backend import doc
from tests.test_service_web import INVENTORY_CSV
from tests.waiting import wait_until

PASSWORD = "รหัสผ่าน-ทดสอบ-1234"
# The held upload is never let go: the test ends (its server stopped) while it is held, so
# however slow the machine, the searches meant to be made during its ingest are.
HOLD_SECONDS = 3600
DELIVERABLE = "คู่มือการทำปุ๋ยหมักชีวภาพ"
GAP_ROW = "INV-2562-"  # the item's code, in the gap report's table of what is missing


def test_a_standby_answers_only_what_it_may():
    """The gate's rules on a standby's own words (no server needed)."""
    streaming = StandbyState(True, "0/3000000", "streaming", 0.0)
    assert streaming.refusal(None, 30) is None
    assert streaming.refusal("0/3000000", 30) is None
    assert "not replayed" in streaming.refusal("0/3000001", 30)
    assert "not a standby" in StandbyState(False, None, None, None).refusal(None, 30)
    assert "not streaming" in StandbyState(True, "0/1", "stopping", 0.0).refusal(None, 30)
    assert "behind" in StandbyState(True, "0/1", "streaming", 31.0).refusal(None, 30)
    assert "replayed no transaction" in StandbyState(True, "0/1", "streaming", None).refusal(
        None, 30
    )
    assert lsn_number("1/0") > lsn_number("0/FFFFFFFF") > lsn_number("0/A")


def script_client(tmp_path):
    """(core, app, client): an archive on the test's PostgreSQL and an API client signed
    in with an admin's token, as a script calls the API."""
    from service import create_app
    from service.auth import create_token

    core = make_core(tmp_path / "data", "postgresql")
    app = create_app(
        {
            "TESTING": True,
            "KHLANG_DATA_DIR": str(core.settings.data_dir),
            "KHLANG_DATABASE_URL": PG_URL,
        }
    )
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {create_token(core, 'script', 'admin')}"
    return core, app, client


def test_a_read_replica_is_refused_without_postgresql(tmp_path, monkeypatch):
    monkeypatch.delenv("KHLANG_DATABASE_URL", raising=False)
    monkeypatch.setenv("KHLANG_DATABASE_READ_URL", "postgresql+psycopg://khlang@standby/khlang")
    with pytest.raises(ConfigError, match=r"ฐานข้อมูลหลักเป็น PostgreSQL.*needs the database"):
        Settings.load(tmp_path)
    monkeypatch.setenv("KHLANG_DATABASE_READ_URL", "sqlite:///elsewhere.sqlite3")
    with pytest.raises(ConfigError, match=r"KHLANG_DATABASE_READ_URL.*must be a PostgreSQL URL"):
        Settings.load(tmp_path, "postgresql+psycopg://khlang@primary/khlang")


@pytest.mark.skipif(not PG_URL, reason="the postgres search backend needs PostgreSQL")
def test_without_a_read_replica_nothing_changes(tmp_path, monkeypatch):
    """No mark kept, no header: responses are what they were before the setting."""

    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", "postgres")
    monkeypatch.delenv("KHLANG_DATABASE_READ_URL", raising=False)
    core, app, client = script_client(tmp_path)
    try:
        letter = tmp_path / "หนังสือ.txt"
        letter.write_text("หนังสือเชิญประชุมคณะกรรมการพัฒนาสหกรณ์\n", encoding="utf-8")
        with letter.open("rb") as handle:
            answer = client.post("/api/uploads", data={"files": (handle, letter.name)})
        assert answer.status_code == 202, answer.text
        assert "Set-Cookie" not in answer.headers
        found = client.get(f"/api/search?q={quote('สหกรณ์')}")
        assert found.status_code == 200 and READ_FROM_HEADER not in found.headers
        assert "Set-Cookie" not in found.headers
    finally:
        app.extensions["khlang"].dispose()
        core.dispose()


@pytest.mark.skipif(not PG_URL, reason="a read replica needs the database on PostgreSQL")
def test_with_whoosh_the_replica_is_still_checked_for_the_pages(tmp_path, monkeypatch):
    """Whoosh searches never read the standby, the read-only pages do: /healthz tells its
    state whatever the search backend (here one nothing answers at), and stays ok."""
    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", "whoosh")
    nowhere = f"postgresql+psycopg://khlang@127.0.0.1:{live_server.free_port()}/x"
    monkeypatch.setenv("KHLANG_DATABASE_READ_URL", nowhere)
    core = make_core(tmp_path / "data", "postgresql")
    try:
        report = core.health()
        assert report["ok"], report
        assert report["checks"]["replica"].startswith("down: OperationalError"), report
    finally:
        core.dispose()


def test_a_change_whose_mark_cannot_be_read_still_succeeds_and_reads_the_primary(
    tmp_path, monkeypatch
):
    """The primary's WAL position cannot be read after an upload committed: the upload is
    still accepted (a 500 would have the user upload it again), and the uploader's
    searches read the primary for a while instead of a standby that may not have it."""
    from service import read_your_writes

    if not PG_URL:
        pytest.skip("KHLANG_TEST_DATABASE_URL is not set")
    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", "postgres")
    # the primary named as its own read replica: enough for the marks to be kept (the gate
    # then reads the primary, being no standby, which this test does not look at)
    monkeypatch.setenv("KHLANG_DATABASE_READ_URL", PG_URL)
    monkeypatch.setenv("KHLANG_READ_REPLICA_MAX_LAG", "30")
    core, app, client = script_client(tmp_path)
    try:
        letter = tmp_path / "หนังสือ.txt"
        letter.write_text("หนังสือเชิญประชุมคณะกรรมการพัฒนาสหกรณ์\n", encoding="utf-8")
        with monkeypatch.context() as failing, letter.open("rb") as handle:
            failing.setattr(read_your_writes, "PRIMARY_LSN_SQL", "SELECT no_such_function()")
            answer = client.post("/api/uploads", data={"files": (handle, letter.name)})
        assert answer.status_code == 202, answer.text
        job_id = answer.get_json()["job_id"]
        wait_until(
            lambda: client.get(f"/api/jobs/{job_id}").get_json()["status"] != "running",
            "the upload's job",
        )
        with client.session_transaction() as session:
            assert read_your_writes.SESSION_PRIMARY_UNTIL in session
            assert read_your_writes.SESSION_MARK not in session
        with client:
            found = client.get(f"/api/search?q={quote('สหกรณ์')}")
            assert found.status_code == 200
            assert read_your_writes.read_needs() == PRIMARY
    finally:
        app.extensions["khlang"].dispose()
        core.dispose()


@pytest.fixture(scope="module")
def replicated():
    """A primary and its streaming standby: SimpleNamespace(primary_url, read_url,
    standby)."""
    reason = pg_standby.unavailable()
    if reason:
        pytest.skip(reason)
    root = pg_standby.scratch_directory()
    primary = standby = None
    try:
        refusal = "KHLANG_TEST_DATABASE_URL is not set"
        if PG_URL and os.environ.get("PYTEST_XDIST_WORKER"):
            # the lag tests allow the standby one second: a standby of the machine's
            # server would also replay the other test processes' writes
            refusal = "the suite's other processes write to the machine's server"
        elif PG_URL:
            machine = make_url(PG_URL)
            refusal = pg_standby.replication_refusal(machine.host, machine.port or 5432)
        if refusal is None:
            host, port, primary_url = machine.host, machine.port or 5432, PG_URL
        else:
            print(f"\nno standby of the machine's server ({refusal}); a temporary primary")
            primary = pg_standby.temporary_primary(root)
            host, port, primary_url = "127.0.0.1", primary.port, primary.url("khlang")
            with psycopg.connect(conninfo(primary.url("postgres")), autocommit=True) as con:
                con.execute("CREATE DATABASE khlang")
        with psycopg.connect(conninfo(primary_url), autocommit=True) as con:
            size = con.execute(
                "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database"
            ).fetchone()[0]
            matched = {
                name: con.execute(f"SHOW {name}").fetchone()[0]
                for name in pg_standby.MATCHED_SETTINGS
            }
        standby = pg_standby.standby_of(host, port, root, matched)
        print(f"\npg_basebackup of {host}:{port} ({size}): {standby.seconds_to_copy:.1f} s")
        read_url = standby.url(make_url(primary_url).database)
        yield SimpleNamespace(primary_url=primary_url, read_url=read_url, standby=standby)
    finally:
        for server in (standby, primary):
            if server is not None:
                server.stop()
        shutil.rmtree(root, ignore_errors=True)


def fresh_core(data_dir: Path, url: str) -> Khlang:
    if url == PG_URL:
        return make_core(data_dir, "postgresql")
    core = Khlang(Settings.load(data_dir, url))
    core.init()
    return core


def sql(url: str, statement: str):
    with psycopg.connect(conninfo(url), autocommit=True) as con:
        return con.execute(statement).fetchone()


def caught_up(replicated) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = lsn_number(sql(replicated.primary_url, "SELECT pg_current_wal_lsn()::text")[0])

    def replayed() -> bool:
        lsn = sql(replicated.read_url, "SELECT pg_last_wal_replay_lsn()::text")[0]
        return lsn is not None and lsn_number(lsn) >= target

    wait_until(replayed, "the standby to replay the primary's writes", limit=300)


def test_a_lagging_standby_is_passed_over(replicated, tmp_path, monkeypatch):
    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", "postgres")
    monkeypatch.setenv("KHLANG_DATABASE_READ_URL", replicated.read_url)
    monkeypatch.setenv("KHLANG_READ_REPLICA_MAX_LAG", "1")
    core = fresh_core(tmp_path / "data", replicated.primary_url)
    backend = core.search_backend
    try:
        backend.index([doc(1, "รายงานการประชุม", "โครงการส่งเสริมการท่องเที่ยวชุมชน")])
        caught_up(replicated)
        before = Counter(backend.gate.counts)  # the process's gate of this standby
        backend.search("ท่องเที่ยว")  # outside reading() (the CLI): the primary
        assert backend.gate.counts - before == Counter({PRIMARY: 1})
        with reading(None) as read:
            assert backend.search("ท่องเที่ยว").total == 1
        assert read.source == REPLICA
        sql(replicated.read_url, "SELECT pg_wal_replay_pause()")
        backend.index([doc(2, "หนังสือเชิญประชุม", "ประชุมคณะกรรมการพัฒนาสหกรณ์")])

        def passed_over():  # once the standby is more than a second behind
            with reading(None) as read:
                found = backend.search("สหกรณ์").total
            return read.source == PRIMARY and found == 1

        wait_until(passed_over, "the lagging standby to be passed over")
        sql(replicated.read_url, "SELECT pg_wal_replay_resume()")
        caught_up(replicated)
        with reading(None) as read:
            assert backend.search("สหกรณ์").total == 1
        assert read.source == REPLICA
        assert backend.gate.counts[REPLICA] >= 2 and backend.gate.counts[PRIMARY] >= 1
    finally:
        sql(replicated.read_url, "SELECT pg_wal_replay_resume()")
        core.dispose()


def test_healthz_tells_the_replica_and_stays_healthy_without_it(replicated, tmp_path, monkeypatch):
    """/healthz's `replica` check: "ok", then "lagging N s" with the standby's replay
    paused, then "down: reason" for a standby that does not answer; the answer stays 200
    and ok throughout (searches read the primary meanwhile: a load balancer keeps the
    server)."""
    from service import create_app

    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", "postgres")
    monkeypatch.setenv("KHLANG_DATABASE_READ_URL", replicated.read_url)
    monkeypatch.setenv("KHLANG_READ_REPLICA_MAX_LAG", "1")
    core = fresh_core(tmp_path / "data", replicated.primary_url)
    config = {
        "TESTING": True,
        "KHLANG_DATA_DIR": str(core.settings.data_dir),
        "KHLANG_DATABASE_URL": replicated.primary_url,
    }
    app = create_app(config)
    client = app.test_client()

    def health() -> tuple[int, dict]:
        answer = client.get("/healthz")
        return answer.status_code, answer.get_json()

    try:
        caught_up(replicated)
        status, report = health()
        assert (status, report["ok"], report["checks"]["replica"]) == (200, True, "ok"), report
        sql(replicated.read_url, "SELECT pg_wal_replay_pause()")
        core.search_backend.index([doc(3, "รายงานการประชุม", "ประชุมคณะทำงานด้านการเกษตร")])

        def lagging():
            status, report = health()
            return report["checks"]["replica"].startswith("lagging") and (status, report)

        status, report = wait_until(lagging, "/healthz to tell the standby lags")
        assert status == 200 and report["ok"], report
        assert re.fullmatch(r"lagging \d+ s \(KHLANG_READ_REPLICA_MAX_LAG=1\)",
                            report["checks"]["replica"])  # fmt: skip
    finally:
        sql(replicated.read_url, "SELECT pg_wal_replay_resume()")
        app.extensions["khlang"].dispose()

    # a standby that does not answer (nothing listens on its port)
    nowhere = make_url(replicated.read_url).set(host="127.0.0.1", port=live_server.free_port())
    monkeypatch.setenv("KHLANG_DATABASE_READ_URL", nowhere.render_as_string(hide_password=False))
    app = create_app(config)
    client = app.test_client()
    try:
        status, report = health()
        assert status == 200 and report["ok"], report
        assert report["checks"]["replica"].startswith("down: OperationalError"), report
    finally:
        app.extensions["khlang"].dispose()
        core.dispose()


class Browser:
    """A signed-in user over real HTTP: cookies kept, the CSRF token sent on changes."""

    def __init__(self, base: str, name: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.call("/login")[2].decode()
        form = f"name={quote(name)}&password={quote(PASSWORD)}&next=/&csrf_token="
        form += quote(csrf_of(page))
        status, _, _ = self.call(
            "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 200, status  # the login's redirect, followed to the home page
        self.csrf = csrf_of(self.call("/")[2].decode())

    def call(self, path: str, body: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=120) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.headers, refused.read()

    def upload(self, path: Path) -> int:
        body, content_type = live_server.multipart([path])
        headers = {"Content-Type": content_type, "X-CSRF-Token": self.csrf}
        status, _, answer = self.call("/api/uploads", body, headers)
        assert status == 202, answer
        return json.loads(answer)["job_id"]

    def job(self, job_id: int) -> dict | None:
        status, _, answer = self.call(f"/api/jobs/{job_id}")
        job = json.loads(answer)
        return job if status == 200 and job["status"] != "running" else None

    def import_inventory(self, path: Path) -> None:
        body, content_type = live_server.multipart([path], field="file")
        headers = {"Content-Type": content_type, "X-CSRF-Token": self.csrf}
        status, _, answer = self.call("/api/inventory/import", body, headers)
        assert status == 200, answer

    def inventory(self) -> tuple[list[str], str]:
        """(the deliverables of fiscal year 2562 the API lists, where it read)."""
        status, headers, answer = self.call("/api/inventory?fiscal_year=2562")
        assert status == 200, answer
        return [i["deliverable"] for i in json.loads(answer)["items"]], headers[READ_FROM_HEADER]

    def page(self, path: str) -> tuple[str, str]:
        """(an HTML page, where it read)."""
        status, headers, answer = self.call(path)
        assert status == 200, answer
        return answer.decode(), headers[READ_FROM_HEADER]

    def first_hit(self, words: str) -> int:
        """The document id of the first thing the search API finds."""
        status, _, answer = self.call(f"/api/search?q={quote(words)}")
        assert status == 200, answer
        return json.loads(answer)["hits"][0]["document_id"]

    def search(self, words: str) -> tuple[int, str]:
        """(documents found, where the search read)."""
        status, headers, answer = self.call(f"/api/search?q={quote(words)}")
        assert status == 200, answer
        return json.loads(answer)["total"], headers[READ_FROM_HEADER]


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_an_uploader_reads_their_upload_and_others_read_the_standby(
    replicated, tmp_path, monkeypatch
):
    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", "postgres")
    core = fresh_core(tmp_path / "data", replicated.primary_url)
    add_user(core, "uploader", "admin", PASSWORD)
    add_user(core, "reader", "strategy", PASSWORD)
    port = live_server.free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "KHLANG_DATA_DIR": str(core.settings.data_dir),
        "KHLANG_DATABASE_URL": replicated.primary_url,
        "KHLANG_DATABASE_READ_URL": replicated.read_url,
        # the paused standby below must stay within the bound: its answers are the proof
        "KHLANG_READ_REPLICA_MAX_LAG": "3600",
        "KHLANG_SECURE_COOKIES": "0",
        # an upload whose ingest is still running (its file held once stored)
        "KHLANG_HOLD_AT": f"stored:ช้า-*:{HOLD_SECONDS}",
        "WEB_CONCURRENCY": "1",
        "PORT": str(port),
    }
    command = procfile_web_command().replace("0.0.0.0:", "127.0.0.1:")
    log = tmp_path / "web.log"
    server = live_server.start(["bash", "-c", "exec " + command], env, port, log)
    letter = tmp_path / "หนังสือ-สหกรณ์.txt"
    letter.write_text("หนังสือเชิญประชุมคณะกรรมการพัฒนาสหกรณ์การเกษตร\n", encoding="utf-8")
    slow = tmp_path / "ช้า-รายงาน.txt"
    slow.write_text("รายงานผลการอบรมการทำปุ๋ยอินทรีย์\n", encoding="utf-8")
    inventory = tmp_path / "บัญชีผลผลิต.csv"
    with inventory.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([INVENTORY_CSV[0], [*INVENTORY_CSV[1][:5], DELIVERABLE,
                                                          "1", "30 ก.ย. 2562"]])  # fmt: skip
    try:
        uploader = Browser(f"http://127.0.0.1:{port}", "uploader")
        reader = Browser(f"http://127.0.0.1:{port}", "reader")
        caught_up(replicated)
        sql(replicated.read_url, "SELECT pg_wal_replay_pause()")

        job_id = uploader.upload(letter)
        job = wait_until(lambda: uploader.job(job_id), "the upload's job")
        assert job["counts"] == {"ingested": 1}, job
        # read-your-writes: the uploader finds it at once, from the primary
        assert uploader.search("สหกรณ์การเกษตร") == (1, PRIMARY)
        # another user's search is the paused standby's: the upload is not there yet
        assert reader.search("สหกรณ์การเกษตร") == (0, REPLICA)

        # the listing pages keep the same rule: an inventory the uploader just imported
        # is in their own list (the primary's), not yet in the reader's (the standby's)
        uploader.import_inventory(inventory)
        assert uploader.inventory() == ([DELIVERABLE], PRIMARY)
        assert reader.inventory() == ([], REPLICA)
        page, source = reader.page("/inventory?fiscal_year=2562")
        assert (DELIVERABLE in page, source) == (False, REPLICA)
        page, source = uploader.page("/inventory?fiscal_year=2562")
        assert (DELIVERABLE in page, source) == (True, PRIMARY)
        # the gap report too: the new item is missing, in the uploader's report only
        page, source = reader.page("/gaps?fiscal_year=2562")
        assert (GAP_ROW in page, source) == (False, REPLICA)
        page, source = uploader.page("/gaps?fiscal_year=2562")
        assert (GAP_ROW in page, source) == (True, PRIMARY)

        sql(replicated.read_url, "SELECT pg_wal_replay_resume()")
        caught_up(replicated)
        assert reader.search("สหกรณ์การเกษตร") == (1, REPLICA)
        # the uploader's mark is replayed: their searches go to the standby again
        assert uploader.search("สหกรณ์การเกษตร") == (1, REPLICA)
        assert reader.inventory() == ([DELIVERABLE], REPLICA)
        page, source = uploader.page("/inventory?fiscal_year=2562")
        assert (DELIVERABLE in page, source) == (True, REPLICA)
        page, source = reader.page("/gaps?fiscal_year=2562")
        assert (GAP_ROW in page, source) == (True, REPLICA)
        # the letter's own page, opened from the reader's search, is the standby's
        page, source = reader.page(f"/documents/{reader.first_hit('สหกรณ์การเกษตร')}")
        assert ("หนังสือเชิญประชุมคณะกรรมการพัฒนาสหกรณ์การเกษตร" in page, source) == (True, REPLICA)

        # While an upload of theirs is being ingested, the uploader reads the primary
        # (its files appear there as they are done), however caught up the standby is.
        job_id = uploader.upload(slow)
        wait_until(lambda: "holding" in log.read_text(), "the held upload")
        caught_up(replicated)
        assert uploader.search("สหกรณ์การเกษตร") == (1, PRIMARY)
        assert reader.search("สหกรณ์การเกษตร") == (1, REPLICA)
        assert uploader.job(job_id) is None  # still running: the searches were made during it

        replicated.standby.stop()
        assert reader.search("สหกรณ์การเกษตร") == (1, PRIMARY)
        assert "the read replica failed" in log.read_text()
        assert reader.inventory() == ([DELIVERABLE], PRIMARY)
        page, source = reader.page("/gaps?fiscal_year=2562")
        assert (GAP_ROW in page, source) == (True, PRIMARY)
    finally:
        if replicated.standby.running():
            sql(replicated.read_url, "SELECT pg_wal_replay_resume()")
        live_server.stop(server)
        core.dispose()
