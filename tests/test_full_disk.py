"""A full disk (issue 15, item 14): ingesting into a data directory on a 5 MB tmpfs ends
with a reason for every file (no-space, Thai and English) and no traceback, leaves the
database, the objects and the index consistent, lets `khlang verify` and `khlang search`
answer, and once space is freed the next ingest stores what was refused and indexes what
was stored but not indexed, without a manual reindex."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select

from indexer.search.backend import search_backend
from schemas.models import Document
from tests.conftest import DATABASES, make_core
from tests.test_search_lifecycle import SEEDS, khlang

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds not present")

FILES = 12  # of about 0.7 MB each: about twice what the 5 MB disk holds with its database


@pytest.fixture(params=DATABASES)
def small_disk_core(request, tmp_path):
    """A Khlang whose data directory (and SQLite database) is on a 5 MB tmpfs."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode()[:200]}")
    try:
        # A copy of the migrated archive (conftest's make_core), so that SQLite's
        # write-ahead log has no room of its own to grow on this disk: the batch's last
        # commit (Ingestor.finish) then meets the full disk too, and must say so without a
        # traceback (it did not; migrating here used to leave the log room by chance).
        core = make_core(disk / "data", request.param)
        core.disk = disk
        yield core
        core.dispose()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def thai_files(folder) -> list:
    folder.mkdir()
    text = "\n\n".join(p.read_text("utf-8") for p in SEEDS)
    paths = []
    for n in range(FILES):
        path = folder / f"รายงานผลการดำเนินงาน-{n:02d}.txt"
        path.write_text((f"รายงานฉบับที่ {n} คำเฉพาะ{n}ท้ายสุด\n" + text) * 6, "utf-8")
        paths.append(path)
    return paths


def ingest(core, folder) -> tuple[subprocess.CompletedProcess, list[dict]]:
    run = khlang(core, "ingest", str(folder), "--json")
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return run, json.loads(run.stdout)


def test_a_full_disk_fails_files_with_a_reason_and_the_next_run_catches_up(
    small_disk_core, tmp_path
):
    core = small_disk_core
    folder = tmp_path / "ส่งมอบ"
    paths = thai_files(folder)

    run, results = ingest(core, folder)
    assert len(results) == FILES
    refused = [r for r in results if r["status"] == "rejected"]
    stored = [r for r in results if r["document_id"] is not None]
    assert refused and stored, results
    for result in refused:
        assert "พื้นที่ดิสก์" in result["error"] and "no space" in result["error"], result
    assert run.returncode != 0

    verified = khlang(core, "verify", "--json")
    assert "Traceback" not in verified.stderr, verified.stderr[-3000:]
    report = json.loads(verified.stdout)
    assert report["checked"] == len(stored) and not report["missing"] and not report["corrupt"]

    searched = khlang(core, "search", "คำเฉพาะ0ท้ายสุด", "--json")
    assert "Traceback" not in searched.stderr, searched.stderr[-3000:]
    if searched.returncode == 0:  # what the index holds is right
        assert json.loads(searched.stdout)["total"] <= 1
    else:
        assert "พื้นที่ดิสก์" in searched.stderr or "ดัชนีค้นหา" in searched.stderr

    # space freed: the same folder again
    subprocess.run(["mount", "-o", "remount,size=400m", str(core.disk)], check=True)
    run, results = ingest(core, folder)
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-2000:])
    assert all(r["status"] in ("ingested", "duplicate") for r in results), results
    with core.sessions() as session:
        documents = session.execute(select(Document.id, Document.indexed_version)).all()
    assert len(documents) == FILES
    assert all(version is not None for _, version in documents)
    index = search_backend(core.settings)
    assert index.ids() == {d for d, _ in documents}
    for n in range(FILES):
        assert index.search(f"คำเฉพาะ{n}ท้ายสุด", match="all").total == 1, n
    found = khlang(core, "search", "คำเฉพาะ0ท้ายสุด", "--all", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["total"] == 1
    report = json.loads(khlang(core, "verify", "--json").stdout)
    assert report["ok"], report
    assert len(paths) == FILES
