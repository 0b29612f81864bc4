"""A file stored while the disk filled up during indexing (issue 15): the upload job's
status (GET /api/jobs/<id>) and its page say, for each such file, that it is stored but
not yet searchable, as `khlang ingest` does, until the next ingest indexes it. The disk
is real: the search index lives on a tmpfs too small for the texts, while the objects and
the database have room."""

from __future__ import annotations

import io
import subprocess

import pytest

from indexer.runtime.diskspace import NOT_YET_SEARCHABLE
from service.auth import add_user
from tests.conftest import make_core
from tests.test_hostile_files import search_ids
from tests.test_search_lifecycle import SEEDS
from tests.test_security import PASSWORD, log_in
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds not present")


@pytest.fixture
def core(tmp_path):
    """A Khlang whose search index is on a 256 KB tmpfs (the `client` fixtures use it)."""
    index = tmp_path / "data" / "index"
    index.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(index)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode()[:200]}")
    try:
        instance = make_core(tmp_path / "data")
        instance.index_disk = index
        yield instance
        instance.dispose()
    finally:
        subprocess.run(["umount", "-l", str(index)], check=False)


def report(n: int) -> bytes:
    """About 1.4 MB of real Thai text, with a word of its own."""
    text = "\n\n".join(p.read_text("utf-8") for p in SEEDS)
    return ((f"รายงานฉบับที่ {n} คำเฉพาะ{n}ท้ายสุด\n" + text) * 12).encode("utf-8")


def upload(client, files: list[tuple[bytes, str]]) -> dict:
    response = client.post(
        "/api/uploads",
        data={"files": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.text
    job_id = response.get_json()["job_id"]

    def finished():
        answer = client.get(f"/api/jobs/{job_id}").get_json()
        return answer if answer["status"] != "running" else None

    return wait_until(finished, f"upload job {job_id}")


def test_an_upload_job_says_which_files_are_stored_but_not_yet_searchable(core, app, client):
    names = [f"รายงานผลการดำเนินงาน-{n}.txt" for n in range(3)]
    job = upload(client, [(report(n), name) for n, name in enumerate(names)])
    assert job["status"] == "finished", job
    assert [f["status"] for f in job["files"]] == ["ingested"] * 3
    assert [f["warnings"] for f in job["files"]] == [[NOT_YET_SEARCHABLE]] * 3
    assert all(f["document_id"] for f in job["files"])

    # the job's page, as the uploader sees it once signed in
    add_user(core, "uploader", "admin", PASSWORD, None)
    browser = app.test_client()
    assert log_in(browser, "uploader").status_code == 302
    page = browser.get(f"/upload/jobs/{job['job_id']}")
    assert page.status_code == 200
    assert page.text.count("เก็บไฟล์แล้วแต่ยังค้นหาไม่ได้") == 3
    assert page.text.count("stored, but not yet searchable") == 3

    # space freed: the next upload indexes them too, and the first job no longer says so
    subprocess.run(["mount", "-o", "remount,size=400m", str(core.index_disk)], check=True)
    later = upload(client, [("บันทึกข้อความ เรื่อง ส่งรายงาน".encode(), "บันทึก.txt")])
    assert later["files"][0]["warnings"] == []
    again = client.get(f"/api/jobs/{job['job_id']}").get_json()
    assert [f["warnings"] for f in again["files"]] == [[]] * 3
    found = search_ids(client, "รายงานผลการดำเนินงาน")
    assert {f["document_id"] for f in job["files"]} <= found
