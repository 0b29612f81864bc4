"""Issues 18 and 19: the pages of a scan read side by side, each within its time limit,
with the job showing the page in hand; on a broker, one message a page.

The pages are short lines of Thai (a second or two of OCR each), never whole letters,
except where a page must outlast a one-second limit."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import struct
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select

from bench.bench_ocr_pages import scanned_pdf
from indexer.ingest import broker_jobs
from indexer.ingest.jobs import read_status
from schemas.models import Batch, Document, JobFile, JobPage
from service.cli import main as cli_main
from tests.conftest import DATABASES, make_core
from tests.test_ingest_formats import thai_image
from tests.test_journey_kinds import text_pdf
from tests.test_service_web import openapi_checker
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not shutil.which("tesseract") or not shutil.which("pdftoppm"),
    reason="needs tesseract-ocr-tha and poppler-utils",
)

WORDS = ["จังหวัดเชียงใหม่", "จังหวัดลำพูน", "จังหวัดน่าน"]


def line_scan(path: Path, words: list[str], scratch: Path) -> Path:
    """An image-only PDF, one short Thai line a page (what a scanner writes)."""
    scratch.mkdir(exist_ok=True)
    pages = [
        Image.open(thai_image(scratch / f"line-{n}.png", w)).convert("L")
        for n, w in enumerate(words)
    ]
    pages[0].save(path, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    return path


def ingest_json(core, path: Path, env: dict) -> dict:
    result = CliRunner().invoke(
        cli_main,
        ["--data-dir", str(core.settings.data_dir), "ingest", str(path), "--json"],
        env={"KHLANG_DATABASE_URL": core.settings.database_url, **env},
    )
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    return entry


def document_text(core, document_id: int) -> str:
    with core.sessions() as session:
        return session.get(Document, document_id).text


def test_the_job_shows_the_page_being_read_and_every_page_is_kept(core, tmp_path, monkeypatch):
    """An upload through the API: while its scan is read, GET /api/jobs/<id> names the file
    and the page in hand of how many; when it is over, every page's text is stored and
    nothing is shown as being read."""
    from service import create_app
    from service.auth import create_token

    monkeypatch.setenv("KHLANG_OCR_WORKERS", "2")
    monkeypatch.delenv("KHLANG_BROKER_URL", raising=False)
    scan = line_scan(tmp_path / "หนังสือสแกนสามหน้า.pdf", WORDS, tmp_path / "lines")
    app = create_app({"TESTING": True, "KHLANG_DATA_DIR": str(core.settings.data_dir)})
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {create_token(core, 't', 'admin')}"
    response = client.post(
        "/api/uploads",
        data={"files": [(io.BytesIO(scan.read_bytes()), scan.name)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.text
    job_id = response.get_json()["job_id"]
    shown: list[dict] = []
    check = openapi_checker(app)

    def over() -> dict | None:
        response = client.get(f"/api/jobs/{job_id}")
        job = response.get_json()
        if job["current"]:
            check(response, "/api/jobs/{job_id}")  # the answer, as documented, mid-scan
        shown.extend(job["current"])
        return job if job["status"] != "running" else None

    job = wait_until(over, "the upload's job")
    check(client.get(f"/api/jobs/{job_id}"), "/api/jobs/{job_id}")
    assert shown, "no page was shown while the scan was read"
    for current in shown:
        assert current["path"] == scan.name and current["pages"] == 3
        assert re.fullmatch(
            r"กำลังอ่านข้อความจากภาพ หน้า [123]/3 \(.*page [123]/3\)", current["message"]
        )
    assert job["current"] == [] and job["counts"] == {"ingested": 1}
    text = document_text(core, job["files"][0]["document_id"])
    for word in WORDS:
        assert word in text
    with core.sessions() as session:
        assert session.get(Batch, job_id).detail["ocr_pages"] is None
    app.extensions["khlang"].dispose()


def test_pages_are_read_in_worker_processes_side_by_side(tmp_path, monkeypatch):
    """Two page workers: the pages are read in two processes other than this one, in page
    order once gathered; one worker: in this process, page after page."""
    from indexer.extract import ocr_pages
    from indexer.extract.model import repair

    scan = line_scan(tmp_path / "สแกน.pdf", WORDS, tmp_path / "lines")
    seen = {}
    for workers in ("2", "1"):
        monkeypatch.setenv("KHLANG_OCR_WORKERS", workers)
        progress: list[tuple[int, int]] = []
        with ocr_pages.watching(lambda read, total, shown=progress: shown.append((read, total))):
            read = ocr_pages.read_pages(scan, [1, 2, 3], ocr_pages.page_of_pdf, budget=900)
        assert sorted(read.read) == [1, 2, 3] and read.over == [] and read.failed() == []
        for number, word in enumerate(WORDS, start=1):
            assert word in repair(read.read[number].page.text).text  # as extraction keeps it
        assert progress == [(0, 3), (1, 3), (2, 3), (3, 3)]
        seen[workers] = {page.pid for page in read.read.values()}
    assert len(seen["2"]) == 2 and os.getpid() not in seen["2"]
    assert seen["1"] == {os.getpid()}


def test_off_the_main_thread_a_single_page_keeps_its_time_limit(tmp_path, monkeypatch):
    """A job of the web service runs in a thread, where no alarm can be set: even one page
    is then read in a worker process, and its limit holds."""
    from indexer.extract import ocr_pages

    scan, _texts = scanned_pdf(tmp_path, 1)
    monkeypatch.setenv("KHLANG_OCR_WORKERS", "1")
    monkeypatch.setenv("KHLANG_OCR_PAGE_SECONDS", "1")
    outcome = {}

    def job() -> None:
        with ocr_pages.reading("หนังสือสแกน.pdf"):
            outcome["read"] = ocr_pages.read_pages(scan, [1], ocr_pages.page_of_pdf, budget=900)

    thread = threading.Thread(target=job)
    thread.start()
    thread.join()
    page = outcome["read"].read[1]
    assert page.timed_out and page.page is None and page.pid != os.getpid()
    assert "OCR of page 1 of หนังสือสแกน.pdf passed its limit of 1 s" in page.error


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_page_past_its_time_limit_is_named_and_the_other_pages_kept(core, tmp_path, workers):
    """A whole scanned letter takes seconds to read; with one second a page it is cut off:
    the document is stored with its text page, and each scanned page is named, with the
    file and the reason, in the warnings (in this process, and in the page workers)."""
    text_pdf(tmp_path / "cover.pdf", "ปกรายงานการตรวจราชการ")
    scans, _texts = scanned_pdf(tmp_path, 2)
    merged = PdfWriter()
    for part in (tmp_path / "cover.pdf", scans):
        merged.append(str(part))
    pdf = tmp_path / "รายงานปกพิมพ์-เนื้อหาสแกน.pdf"
    merged.write(pdf)
    entry = ingest_json(core, pdf, {"KHLANG_OCR_PAGE_SECONDS": "1", "KHLANG_OCR_WORKERS": workers})
    assert entry["status"] == "ingested", entry
    assert "ปกรายงานการตรวจราชการ" in document_text(core, entry["document_id"])
    for page in (2, 3):
        assert any(
            f"OCR of page {page} of {pdf.name} passed its limit of 1 s" in w
            and f"อ่านหน้า {page} ของ {pdf.name} ด้วย OCR ไม่เสร็จภายใน 1 วินาที" in w
            for w in entry["warnings"]
        ), entry["warnings"]


@pytest.mark.parametrize("database", DATABASES)
def test_on_a_broker_each_page_is_read_once_and_the_file_waits_for_its_last(
    tmp_path, monkeypatch, database
):
    """What the messages of a scan do, called as a worker calls them: the file's message
    plans its pages and waits; a page delivered twice is read and counted once; the last
    page lets the file be ingested with the pages read, once."""
    from indexer.extract import ocr_pages

    core = make_core(tmp_path / "data", database)
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    line_scan(folder / "สแกนสองหน้า.pdf", WORDS[:2], tmp_path / "lines")
    job_id, [number] = broker_jobs.create_job(core, [str(folder)], agent="dsss")
    assert broker_jobs.handle_file(core, job_id, number) == "pages"
    assert broker_jobs.handle_file(core, job_id, number) == "pages"  # delivered again
    assert broker_jobs.pages_to_send(core, job_id, number) == [(0, 1), (0, 2)]
    assert broker_jobs.handle_page(core, job_id, number, 1) == "done"
    with core.sessions() as session:
        first = session.get(JobPage, (job_id, number, 0, 1))
        text, handled_by = first.text, first.handled_by
    assert WORDS[0] in text
    assert broker_jobs.handle_page(core, job_id, number, 1) == "already done"
    with core.sessions() as session:
        assert session.get(JobPage, (job_id, number, 0, 1)).handled_by == handled_by
        assert session.get(Batch, job_id).done == 0  # pages are not files
    assert broker_jobs.pages_to_send(core, job_id, number) == [(0, 2)]
    assert broker_jobs.handle_page(core, job_id, number, 2) == "last"
    # the file is ingested with the pages recorded: not one is read again
    monkeypatch.setitem(ocr_pages.READERS, "pdf", read_again)
    assert broker_jobs.handle_file(core, job_id, number) == "done"
    assert broker_jobs.handle_page(core, job_id, number, 2) == "already done"  # a late one
    assert broker_jobs.handle_file(core, job_id, number) == "already done"
    with core.sessions() as session:
        batch = session.get(Batch, job_id)
        assert batch.status == "finished" and batch.done == batch.total == 1
        [document] = session.scalars(select(Document)).all()
        assert all(word in document.text for word in WORDS[:2])
        assert sorted(document.meta["technical"]["ocr_confidence"]) == ["1", "2"]
        assert session.scalar(select(JobFile.state)) == "done"
        # the pages' text and layers live in the document now, not twice
        assert session.scalars(select(JobPage)).all() == []
    core.dispose()


def read_again(path: Path, number: int):
    raise AssertionError(f"page {number} of {path.name} read a second time")


def test_on_a_broker_a_bundles_scanned_member_is_read_page_by_page(tmp_path, monkeypatch):
    """A ZIP holding a scan, a letter and a PDF with a text layer: the bundle's message
    copies the scan (only) beside it in the spool and plans its pages (the member's index
    and path on each), as a scan sent alone; once they are read the bundle is ingested
    whole, the scan with those pages (not one read again), and the copy is gone."""
    from indexer.extract import ocr_pages

    core = make_core(tmp_path / "data", "sqlite")
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    scan = line_scan(tmp_path / "สแกน.pdf", WORDS[:2], tmp_path / "lines")
    with zipfile.ZipFile(folder / "ชุดเอกสาร.zip", "w") as bundle:
        bundle.writestr("บันทึก/หนังสือนำส่ง.txt", "หนังสือนำส่งเอกสารโครงการ\n")
        text_pdf(tmp_path / "typed.pdf", "ขออนุมัติจัดซื้อวัสดุสำนักงาน")
        bundle.write(tmp_path / "typed.pdf", "พิมพ์/บันทึกขออนุมัติ.pdf")
        bundle.write(scan, "สแกน/หนังสือเชิญประชุม.pdf")
    job_id, [number] = broker_jobs.create_job(core, [str(folder)], agent="dsss")
    assert broker_jobs.handle_file(core, job_id, number) == "pages"
    assert broker_jobs.pages_to_send(core, job_id, number) == [(3, 1), (3, 2)]
    spool = broker_jobs.spool_folder(core.settings, job_id)
    assert sorted(p.name for p in spool.iterdir()) == ["00000-0003.pdf", "00000.zip"]
    assert broker_jobs.handle_page(core, job_id, number, 1, member=3) == "done"
    assert broker_jobs.handle_page(core, job_id, number, 2, member=3) == "last"
    with core.sessions() as session:
        rows = session.scalars(select(JobPage)).all()
    assert {(r.member, r.member_path, r.state) for r in rows} == {
        (3, "สแกน/หนังสือเชิญประชุม.pdf", "done")
    }
    monkeypatch.setitem(ocr_pages.READERS, "pdf", read_again)
    assert broker_jobs.handle_file(core, job_id, number) == "done"
    assert not spool.exists()  # the job is over: its files and the copy are gone
    with core.sessions() as session:
        batch = session.get(Batch, job_id)
        assert batch.status == "finished" and batch.done == batch.total == 4
        scanned = session.scalars(
            select(Document).where(Document.filename == "สแกน/หนังสือเชิญประชุม.pdf")
        ).one()
        assert all(word in scanned.text for word in WORDS[:2])
        assert sorted(scanned.meta["technical"]["ocr_confidence"]) == ["1", "2"]
        assert session.scalars(select(JobPage)).all() == []
    core.dispose()


def scan_job(tmp_path: Path, database: str, words: list[str]):
    core = make_core(tmp_path / "data", database)
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    line_scan(folder / "สแกนสามหน้า.pdf", words, tmp_path / "lines")
    job_id, [number] = broker_jobs.create_job(core, [str(folder)], agent="dsss")
    assert broker_jobs.handle_file(core, job_id, number) == "pages"
    return core, job_id, number


@pytest.mark.parametrize("database", DATABASES)
def test_on_a_broker_a_page_that_fails_or_is_past_the_budget_still_ends_the_file(
    tmp_path, monkeypatch, database
):
    """Page 2 fails with what no reader expects (EOFError), page 1 is read (turned upright)
    and page 3 comes after page 1 spent the document's OCR budget of one second: each page's
    row is done, the last one sends the file again, and the document keeps page 1's text
    and rotation with page 2's failure and page 3's skipping named, as in one process."""
    from dataclasses import replace

    from indexer.extract import ocr_pages
    from schemas.models import Event

    monkeypatch.setenv("KHLANG_MAX_OCR_SECONDS", "1")
    core, job_id, number = scan_job(tmp_path, database, WORDS)

    def slow_upright(path: Path, page: int):
        assert page == 1
        started = time.monotonic()
        read = ocr_pages.page_of_pdf(path, page)
        time.sleep(max(0.0, 1.05 - (time.monotonic() - started)))  # the budget, spent
        return replace(read, rotation=180)

    def broken(path: Path, page: int):
        raise EOFError("no more data")

    monkeypatch.setitem(ocr_pages.READERS, "pdf", broken)
    assert broker_jobs.handle_page(core, job_id, number, 2) == "done"
    monkeypatch.setitem(ocr_pages.READERS, "pdf", slow_upright)
    assert broker_jobs.handle_page(core, job_id, number, 1) == "done"
    monkeypatch.setitem(ocr_pages.READERS, "pdf", read_again)
    assert broker_jobs.handle_page(core, job_id, number, 3) == "last"
    with core.sessions() as session:
        rows = {row.page: row for row in session.scalars(select(JobPage))}
    assert {row.state for row in rows.values()} == {"done"}
    scan = tmp_path / "ส่งมอบ" / "สแกนสามหน้า.pdf"
    assert f"page 2 of {scan} could not be read: no more data" in rows[2].error
    assert f"อ่านหน้า 2 ของ {scan} ไม่ได้ (EOFError)" in rows[2].error
    assert rows[3].over_budget and rows[3].error is None
    assert broker_jobs.handle_file(core, job_id, number) == "done"
    with core.sessions() as session:
        [document] = session.scalars(select(Document)).all()
        assert WORDS[0] in document.text and WORDS[2] not in document.text
        assert document.meta["technical"]["ocr_rotation"] == {"1": 180}
        [skipped] = session.scalars(select(Event).where(Event.event_type == "ocr-skipped"))
        reason = skipped.detail["reason"]
        assert f"page 2 of {scan} could not be read" in reason
        assert "OCR stopped at its time limit of 1 s per document; pages not read: 3" in reason
        assert session.get(Batch, job_id).status == "finished"
    core.dispose()


def test_each_page_not_read_is_named_with_its_own_reason(core, tmp_path, monkeypatch):
    """pdftoppm fails on page 1 and tesseract on page 3 of a scan ingested with `khlang
    ingest`: the ocr-skipped event gives each reason with its own page, not the last
    page's reason for both; page 2 is read."""
    from indexer.extract import ocr
    from schemas.models import Event

    real = ocr.ocr_pdf_page_with_confidence
    failures = {
        1: "แปลงหน้า PDF เป็นภาพไม่ได้ (pdftoppm failed)",
        3: "tesseract อ่านภาพไม่ได้ (tesseract failed)",
    }

    def failing(path, number, **options):
        if number in failures:
            raise ocr.OcrUnavailable(failures[number])
        return real(path, number, **options)

    monkeypatch.setattr(ocr, "ocr_pdf_page_with_confidence", failing)
    scan = line_scan(tmp_path / "สแกนสามหน้า.pdf", WORDS, tmp_path / "lines")
    entry = ingest_json(core, scan, {"KHLANG_OCR_WORKERS": "1"})
    assert entry["status"] == "ingested", entry
    assert WORDS[1] in document_text(core, entry["document_id"])
    with core.sessions() as session:
        [skipped] = session.scalars(select(Event).where(Event.event_type == "ocr-skipped"))
    reason = skipped.detail["reason"]
    assert f"{failures[1]} (pages 1)" in reason and f"{failures[3]} (pages 3)" in reason


# Page readers handed to the page workers (module level: a worker process is handed them
# by name). They read nothing: what is tested is what happens around a page.


def named_page(path: Path, number: int):
    from indexer.extract.ocr import OcrPage

    return OcrPage(f"หน้าที่ {number}", 90.0)


def slow_page(path: Path, number: int):
    # still in flight when its neighbour's worker is found dead (a real page takes seconds)
    time.sleep(0.5)
    return named_page(path, number)


def kills_its_worker_on_page_2(path: Path, number: int):
    if number == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel does to a worker out of memory
    return slow_page(path, number)


def kills_its_worker_once_on_page_2(path: Path, number: int):
    marker = path.with_name(f"page-{number}-killed-once")
    if number == 2 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return slow_page(path, number)


def stuck_past_the_alarm_on_page_2(path: Path, number: int):
    if number == 2:  # as in a decode inside Pillow: the alarm's exception never comes
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(600)
    return named_page(path, number)


def read_four(tmp_path: Path, reader) -> dict:
    from indexer.extract import ocr_pages

    with ocr_pages.reading("สแกนสี่หน้า.pdf"):
        read = ocr_pages.read_pages(tmp_path / "scan.pdf", [1, 2, 3, 4], reader, budget=900)
    assert read.over == [] and sorted(read.read) == [1, 2, 3, 4]
    return read.read


def test_a_page_that_kills_its_worker_twice_is_given_up_and_no_other(tmp_path, monkeypatch):
    """Page 2 kills its worker every time: the pool is started again, the pages in flight
    read again (alone), and only page 2 is named as the page whose process died; the
    pages waiting when it happened are read as usual."""
    from indexer.extract import ocr_pages

    monkeypatch.setenv("KHLANG_OCR_WORKERS", "2")
    read = read_four(tmp_path, kills_its_worker_on_page_2)
    assert read[2].page is None
    assert read[2].error == ocr_pages.died_reason("สแกนสี่หน้า.pdf", 2)
    for number in (1, 3, 4):
        assert read[number].error is None and read[number].page.text == f"หน้าที่ {number}"


def test_a_page_that_kills_its_worker_once_is_read_on_its_retry(tmp_path, monkeypatch):
    monkeypatch.setenv("KHLANG_OCR_WORKERS", "2")
    read = read_four(tmp_path, kills_its_worker_once_on_page_2)
    assert (tmp_path / "page-2-killed-once").exists()
    for number in (1, 2, 3, 4):
        assert read[number].error is None and read[number].page.text == f"หน้าที่ {number}"


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_page_past_the_alarm_has_its_worker_killed_and_the_timeout_reason(
    tmp_path, monkeypatch, start
):
    """Page 2 ignores its alarm: past its limit and the grace its worker is killed, the
    page gets the timeout reason and the other pages are read. Spawned workers (a job
    beside the web service's threads) import the reader's module before their first page:
    that start is not charged to page 1 (it once was, and page 1 was blamed)."""
    import multiprocessing

    from indexer.extract import ocr_pages

    monkeypatch.setattr(ocr_pages, "worker_context", lambda: multiprocessing.get_context(start))
    monkeypatch.setenv("KHLANG_OCR_WORKERS", "2")
    monkeypatch.setenv("KHLANG_OCR_PAGE_SECONDS", "1")
    monkeypatch.setattr(ocr_pages, "PAGE_GRACE_SECONDS", 1.0)
    read = read_four(tmp_path, stuck_past_the_alarm_on_page_2)
    assert read[2].timed_out and read[2].page is None
    assert read[2].error == ocr_pages.timeout_reason("สแกนสี่หน้า.pdf", 2, 1)
    for number in (1, 3, 4):
        assert read[number].error is None and read[number].page.text == f"หน้าที่ {number}"


def test_in_a_job_worker_process_the_pages_are_read_in_place(tmp_path, monkeypatch):
    """A prefetch worker (marked by its pool's initializer) starts no page pool of its
    own: the pages are read in its own process."""
    from indexer.runtime import workers

    monkeypatch.setenv("KHLANG_OCR_WORKERS", "2")
    monkeypatch.setattr(workers, "_in_job_worker", True)
    read = read_four(tmp_path, named_page)
    assert {page.pid for page in read.values()} == {os.getpid()}


def damage_deflate(path: Path, member: str) -> None:
    """Make ``member``'s deflate stream unreadable (a reserved block type): zlib, not
    zipfile, refuses it, as with a bundle damaged in transit."""
    with zipfile.ZipFile(path) as bundle:
        info = bundle.getinfo(member)
    with path.open("r+b") as raw:
        raw.seek(info.header_offset + 26)
        name_length, extra_length = struct.unpack("<HH", raw.read(4))
        raw.seek(info.header_offset + 30 + name_length + extra_length)
        raw.write(b"\x07")


def test_on_a_broker_a_bundles_damaged_or_twice_named_scans_are_read_with_the_bundle(
    tmp_path, monkeypatch
):
    """A scan whose compressed data is damaged, and two scans under one path (a ZIP may
    hold both), are not read page by page: the damaged one is refused with its reason by
    the bundle's ingest, the pair read there (pages are handed over by path: each would
    get the other's), and the job ends with nothing left in the spool."""
    import warnings

    core = make_core(tmp_path / "data", "sqlite")
    folder = tmp_path / "ส่งมอบ"
    folder.mkdir()
    scan = line_scan(tmp_path / "สแกน.pdf", WORDS[:2], tmp_path / "lines")
    other = line_scan(tmp_path / "สแกนอีก.pdf", WORDS[2:4], tmp_path / "lines-2")
    bundle_path = folder / "ชุดเอกสาร.zip"
    with zipfile.ZipFile(bundle_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(scan, "สแกน/เสียหาย.pdf")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": on purpose
            bundle.write(scan, "สแกน/ซ้ำ.pdf")
            bundle.write(other, "สแกน/ซ้ำ.pdf")
    damage_deflate(bundle_path, "สแกน/เสียหาย.pdf")
    job_id, [number] = broker_jobs.create_job(core, [str(folder)], agent="dsss")
    assert broker_jobs.handle_file(core, job_id, number) == "done"
    assert not broker_jobs.spool_folder(core.settings, job_id).exists()
    with core.sessions() as session:
        assert session.scalars(select(JobPage)).all() == []
        batch = session.get(Batch, job_id)
        assert batch.status == "finished"
        texts = session.scalars(select(Document.text)).all()
    assert any(all(word in text for word in WORDS[:2]) for text in texts)
    assert any(all(word in text for word in WORDS[2:4]) for text in texts)
    status = json.dumps(read_status(core, job_id), ensure_ascii=False)
    assert "เสียหาย.pdf" in status, status
    core.dispose()
