"""The prepare workers' memory bound (KHLANG_WORKER_MEMORY, issue 15): a file whose reading
needs more than a worker may use is stored without text, with the reason naming the
bound, and the rest of the batch is ingested; under the default bound the programs the
workers start (tesseract, pdftoppm) still do their work."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from PIL import Image

from indexer.ingest.prepare import Prefetcher
from indexer.ingest.sources import expand_paths
from schemas.models import Document
from tests.test_ingest_formats import thai_image
from tests.test_jobs import REPO, make_text_files
from tests.test_journey_kinds import docx_file, scanned_pdf
from tests.test_legacy_office import SOFFICE, soffice_convert


def khlang(core, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`khlang ...` in its own process, as an operator runs it, with extra settings."""
    environment = {**os.environ, "KHLANG_DATABASE_URL": core.settings.database_url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "--data-dir", str(core.settings.data_dir), *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def khlang_ingest(core, folder: Path, env: dict | None = None) -> tuple[int, dict]:
    """`khlang ingest --workers 2 --json` (the prepare workers start from 16 plain files);
    (exit code, results by file name)."""
    done = khlang(core, "ingest", "--json", "--workers", "2", str(folder), env=env)
    assert done.stdout, done.stderr
    return done.returncode, {Path(r["path"]).name: r for r in json.loads(done.stdout)}


def test_a_file_past_the_worker_memory_bound_is_stored_without_text_and_the_batch_goes_on(
    any_core, tmp_path
):
    folder = tmp_path / "ส่งงวดสุดท้าย"
    texts = make_text_files(folder, 17)
    # 49 M pixels, under the pixel limit. Measured address space of a worker (VmPeak): a
    # text fits in 350-400 MB, OCR of this image needs 450-520 MB.
    Image.new("RGB", (7000, 7000), "white").save(folder / "แผนที่น้ำท่วม.png")
    code, results = khlang_ingest(any_core, folder, env={"KHLANG_WORKER_MEMORY": "450M"})
    flood = results["แผนที่น้ำท่วม.png"]
    assert code == 1 and flood["status"] == "stored-without-text", flood
    assert "ขีดจำกัด (KHLANG_WORKER_MEMORY = 450 MiB)" in flood["error"]
    assert (
        "needed more memory than a worker may use, KHLANG_WORKER_MEMORY = 450 MiB" in flood["error"]
    )
    assert flood["document_id"] and flood["sha256"]  # the original is kept
    assert [results[t.name]["status"] for t in texts] == ["ingested"] * len(texts)
    assert any_core.store.check(flood["sha256"]) == "ok"


def test_a_bound_too_small_for_any_work_stores_every_file_without_text(core, tmp_path):
    """Not one file is then read in the job's own process, outside the bound: each is kept,
    without text, with the reason naming the setting to raise."""
    texts = make_text_files(tmp_path / "งาน", 16)
    code, results = khlang_ingest(core, tmp_path / "งาน", env={"KHLANG_WORKER_MEMORY": "60M"})
    assert code == 1 and len(results) == len(texts)
    for result in results.values():
        assert result["status"] == "stored-without-text", result
        assert "(KHLANG_WORKER_MEMORY = 60 MiB)" in result["error"]
        assert core.store.check(result["sha256"]) == "ok"


def test_programs_started_by_workers_work_under_the_default_memory_bound(core, tmp_path):
    """tesseract (a scan, an image) and LibreOffice (a legacy .doc) inherit the bound."""
    folder = tmp_path / "สแกน"
    make_text_files(folder, 14)
    scanned_pdf(folder / "หนังสือสแกน.pdf", "โครงการพัฒนาแหล่งน้ำ", tmp_path)
    thai_image(folder / "ป้ายโครงการ.png", "จังหวัดเชียงใหม่")
    # words OCR reads whole from these renders (the point is that tesseract runs at all)
    expected = {"หนังสือสแกน.pdf": "แหล่ง", "ป้ายโครงการ.png": "เชียงใหม่"}
    if SOFFICE:
        docx_file(tmp_path / "บันทึกเก่า.docx", "ขอส่งรายงานผลการดำเนินงาน")
        soffice_convert(tmp_path / "บันทึกเก่า.docx", "doc", folder)
        shutil.rmtree(folder / "profile", ignore_errors=True)
        expected["บันทึกเก่า.doc"] = "ขอส่งรายงาน"
    code, results = khlang_ingest(core, folder)
    assert code == 0, results
    assert all(r["status"] == "ingested" for r in results.values())
    with core.sessions() as session:
        for name, words in expected.items():
            assert words in session.get(Document, results[name]["document_id"]).text, name


def test_an_unreadable_worker_memory_setting_is_named_before_anything_is_ingested(core, tmp_path):
    folder = tmp_path / "งาน"
    make_text_files(folder, 2)
    done = khlang(core, "ingest", "--json", str(folder), env={"KHLANG_WORKER_MEMORY": "สองกิกะ"})
    assert done.returncode == 2 and done.stdout == ""
    assert "KHLANG_WORKER_MEMORY='สองกิกะ' ไม่ใช่ขนาดที่ใช้ได้" in done.stderr
    assert "(not a valid size: give bytes, or a number with K, M or G" in done.stderr


def test_a_worker_killed_mid_batch_is_replaced_and_every_file_is_still_prepared(core, tmp_path):
    """As when the kernel kills a worker, or one crashes past its bound: the files it had
    in flight are prepared again, each in a worker of its own, and a new pool takes the
    rest (before, every later file was rejected: the broken pool refused all work)."""
    files = make_text_files(tmp_path / "งวดงาน", 24)
    sources = list(expand_paths([str(f) for f in files]))
    context = multiprocessing.get_context("fork")
    prefetcher = Prefetcher(sources, 2, core.store, core.settings.max_file_size, context)
    taken = []
    try:
        victim = next(iter(prefetcher.pool._processes))  # the pool's worker processes
        os.kill(victim, signal.SIGKILL)
        for source in sources:
            taken.append(prefetcher.take(source))
    finally:
        prefetcher.close()
    assert all(p is not None and p.error is None for p in taken)
    assert [p.extraction.text for p in taken] == [
        f.read_text(encoding="utf-8").strip() for f in files
    ]
    assert all(core.store.discard(p.staged) is None for p in taken)
