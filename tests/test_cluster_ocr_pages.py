"""Cluster mode, for real (RabbitMQ, `khlang worker` processes, PostgreSQL), where a worker
dies in the middle of one file that is many: a page of a scan (one message a page), a page
of a scan inside a ZIP (one message a page too), and a member of a ZIP (one message for the
bundle). Either way the other worker finishes what was left, nothing is stored or counted
twice, and `khlang verify` is clean. And a ZIP of scans uploaded through the web app's API
goes the same way, page by page on the workers, to a finished job and a search hit."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from indexer.ingest.jobs import read_status
from schemas.models import Batch, Document, Event, JobPage, Submission
from service.cli import main
from tests.broker_workers import KHLANG, Workers
from tests.conftest import PG_URL, admin_client, app_for, make_core
from tests.test_hostile_files import search_ids, upload
from tests.test_ocr_pages import WORDS, line_scan
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="cluster mode runs on PostgreSQL: KHLANG_TEST_DATABASE_URL is not set"
)


def start_ingest(workers: Workers, folder) -> subprocess.Popen:
    return subprocess.Popen(
        [KHLANG, "ingest", "--submitted-by", "dsss", str(folder)],
        env=workers.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored_events(session) -> int:
    return session.scalar(
        select(func.count()).select_from(Event).where(Event.event_type == "stored")
    )


def assert_verify_clean(core, monkeypatch) -> None:
    monkeypatch.setenv("KHLANG_DATABASE_URL", core.settings.database_url)
    verify = CliRunner().invoke(main, ["--data-dir", str(core.settings.data_dir), "verify"])
    assert verify.exit_code == 0, verify.output
    assert "orphan" not in verify.output


def page_rows(core) -> dict[int, JobPage]:
    with core.sessions() as session:
        return {row.page: row for row in session.scalars(select(JobPage))}


def kill_a_in_page_2(core, workers: Workers, folder, hold_at: str, files: int, held=None):
    """Worker a reads page 1 of the scan, then is held (KHLANG_HOLD_AT) at the start of
    page 2; b reads page 3 and a is SIGKILLed, so page 2's message goes back to the queue,
    to b, and the ingest of ``folder`` (``files`` files) ends well. ``held(rows)`` looks at
    the pages' rows while a is held."""
    ingest = None
    try:
        workers.start("a", KHLANG_HOLD_AT=hold_at)
        ingest = start_ingest(workers, folder)
        workers.wait_for_log("a", "holding")
        rows = page_rows(core)
        assert sorted(rows) == [1, 2, 3]
        assert rows[1].state == "done" and {rows[2].state, rows[3].state} == {"queued"}
        if held is not None:
            held(rows)
        workers.start("b")
        wait_until(lambda: page_rows(core)[3].state == "done", "worker b to read page 3")
        workers.kill("a")
        _out, err = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, err
        assert f"{files} files: {files} ingested" in err, err
    finally:
        if ingest is not None and ingest.poll() is None:
            ingest.kill()
        workers.close()


def test_a_worker_killed_in_a_page_of_a_scan_costs_that_page_only(tmp_path, monkeypatch):
    core = make_core(tmp_path / "data", "postgresql")
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    line_scan(folder / "หนังสือสแกนสามหน้า.pdf", WORDS, tmp_path / "lines")
    workers = Workers(core.settings, tmp_path, monkeypatch)
    kill_a_in_page_2(core, workers, folder, "ocr-page:* page 2:600", files=1)

    # the pages' rows went with the file's being done (their text is the document's now)
    assert page_rows(core) == {}
    assert "job 1 file 0 page 1: done" in workers.log("a")
    assert "job 1 file 0 page 3: done" in workers.log("b")
    assert "job 1 file 0 page 2: last" in workers.log("b")
    with core.sessions() as session:
        batch = session.scalars(select(Batch)).one()
        assert batch.status == "finished" and batch.done == batch.total == 1
        [document] = session.scalars(select(Document)).all()
        for word in WORDS:
            assert word in document.text
        assert sorted(document.meta["technical"]["ocr_confidence"]) == ["1", "2", "3"]
        assert stored_events(session) == 1
    assert core.search_backend.search(WORDS[1], limit=5).total == 1
    assert_verify_clean(core, monkeypatch)
    core.dispose()


def test_a_worker_killed_in_a_page_of_a_scan_inside_a_zip_costs_that_page_only(
    tmp_path, monkeypatch
):
    core = make_core(tmp_path / "data", "postgresql")
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    scan = line_scan(tmp_path / "สแกน.pdf", WORDS, tmp_path / "lines")
    member = "สแกน/หนังสือเชิญประชุม.pdf"
    with zipfile.ZipFile(folder / "ชุดเอกสาร.zip", "w") as bundle:
        bundle.writestr("บันทึก/หนังสือนำส่ง.txt", "หนังสือนำส่งเอกสารโครงการ\n")
        bundle.write(scan, member)
    workers = Workers(core.settings, tmp_path, monkeypatch)

    def held(rows):
        assert {row.member_path for row in rows.values()} == {member}
        # the job shows the member being read, as for a scan sent alone
        [reading] = read_status(core, 1)["current"]
        assert reading["path"].endswith(f"ชุดเอกสาร.zip/{member}"), reading
        assert (reading["page"], reading["pages"]) == (2, 3), reading

    hold_at = "ocr-page:*/หนังสือเชิญประชุม.pdf page 2:600"
    kill_a_in_page_2(core, workers, folder, hold_at, files=3, held=held)

    assert page_rows(core) == {}
    assert "job 1 file 0 member 2 page 1: done" in workers.log("a")
    assert "job 1 file 0 member 2 page 2: last" in workers.log("b")
    with core.sessions() as session:
        batch = session.scalars(select(Batch)).one()
        assert batch.status == "finished" and batch.done == batch.total == 3
        assert Counter(session.scalars(select(Submission.bundle_path))) == Counter(
            {None: 1, member: 1, "บันทึก/หนังสือนำส่ง.txt": 1}
        )
        scanned = session.scalars(select(Document).where(Document.filename == member)).one()
        assert sorted(scanned.meta["technical"]["ocr_confidence"]) == ["1", "2", "3"]
        assert stored_events(session) == 3
    # found by search, through the command a user runs
    found = CliRunner().invoke(
        main, ["--data-dir", str(core.settings.data_dir), "search", WORDS[1], "--json"]
    )
    assert found.exit_code == 0, found.output
    assert [hit["document_id"] for hit in json.loads(found.stdout)["hits"]] == [scanned.id]
    assert_verify_clean(core, monkeypatch)
    core.dispose()


def test_a_worker_killed_while_unpacking_a_zip_loses_and_duplicates_no_member(
    tmp_path, monkeypatch
):
    core = make_core(tmp_path / "data", "postgresql")
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    members = [f"บันทึก/สมาชิก-{n:02d}.txt" for n in range(5)]
    with zipfile.ZipFile(folder / "รายงานรวม.zip", "w") as bundle:
        for n, name in enumerate(members):
            bundle.writestr(name, f"บันทึกข้อความ ฉบับที่ {n}\nเรื่อง การประชุมครั้งที่ {n + 10}\n")
    workers = Workers(core.settings, tmp_path, monkeypatch)
    ingest = None
    try:
        # a unpacks, stores member 3's object and is held before recording its document
        workers.start("a", KHLANG_HOLD_AT="stored:*สมาชิก-03*:600")
        ingest = start_ingest(workers, folder)
        workers.wait_for_log("a", "holding")
        with core.sessions() as session:
            recorded = set(session.scalars(select(Submission.bundle_path)))
        assert set(members[:3]) <= recorded and members[3] not in recorded
        workers.kill("a")
        workers.start("b")
        _out, err = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, err
    finally:
        if ingest is not None and ingest.poll() is None:
            ingest.kill()
        workers.close()

    with core.sessions() as session:
        arrivals = Counter(session.scalars(select(Submission.bundle_path)))
        assert arrivals == Counter({None: 1, **{name: 1 for name in members}})
        assert set(session.scalars(select(Submission.status))) == {"ingested"}
        documents = session.scalars(select(Document.sha256)).all()
        assert len(documents) == len(set(documents)) == 6
        assert stored_events(session) == 6
        batch = session.scalars(select(Batch)).one()
        assert batch.status == "finished" and batch.done == batch.total == 6
    assert_verify_clean(core, monkeypatch)
    core.dispose()


def test_a_zip_of_scans_uploaded_through_the_api_is_read_page_by_page_by_the_workers(
    tmp_path, monkeypatch
):
    """POST /api/uploads of a Thai-named ZIP holding a two-page image-only scan, with the web
    app on a broker: each page of the member is a message of its own for the `khlang worker`
    processes, the job finishes (GET /api/jobs/<id>), the scan's words are found through
    the search API, and the bundle and its scan are each stored once."""
    core = make_core(tmp_path / "data", "postgresql")
    words = WORDS[:2]
    scan = line_scan(tmp_path / "สแกน.pdf", words, tmp_path / "lines")
    member = "สแกน/หนังสือเชิญประชุม.pdf"
    bundle = tmp_path / "ส่งมอบเอกสารสแกน.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(scan, member)
    workers = Workers(core.settings, tmp_path, monkeypatch)  # the app's broker and queue too
    app = app_for(core)
    client = admin_client(app, "cluster")
    try:
        workers.start("a")
        workers.start("b")
        job = upload(client, [(bundle.read_bytes(), bundle.name)])
        assert job["status"] == "finished" and job["counts"] == {"ingested": 2}, job
        assert job["done"] == job["total"] == 2, job
        with core.sessions() as session:
            assert Counter(session.scalars(select(Submission.bundle_path))) == Counter(
                {None: 1, member: 1}
            )
            documents = session.scalars(select(Document.sha256)).all()
            assert len(documents) == len(set(documents)) == 2
            assert stored_events(session) == 2
            scanned = session.scalars(select(Document).where(Document.filename == member)).one()
            assert sorted(scanned.meta["technical"]["ocr_confidence"]) == ["1", "2"]
        for word in words:
            assert search_ids(client, word) == {scanned.id}, word
    finally:
        workers.close()
        app.extensions["khlang"].dispose()
    logs = workers.log("a") + workers.log("b")
    for page in (1, 2):  # the member's pages went to the workers one message each
        assert f"job {job['job_id']} file 0 member 1 page {page}: " in logs, logs
    assert_verify_clean(core, monkeypatch)
    core.dispose()
