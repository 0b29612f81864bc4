"""Several app servers, on loopback: two gunicorn servers as the Procfile runs them, on
different ports and data directories, sharing PostgreSQL, the objects folder and the
spool (standing for NFS), with a `khlang worker` on RabbitMQ. An upload through server A
is ingested by the worker and seen through server B (its job, its original); server A
killed right after receiving an upload, before its files were queued, does not lose the
job: server B, starting, queues them and the job completes. Re-indexing and a fixity run
queued from the command line are run by the worker too.

Search through B of what A received needs a shared search backend: every process here
runs with ``KHLANG_SEARCH_BACKEND=postgres``, the index in the shared database."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from schemas.models import Batch, Document, FixityRun, JobFile
from service.auth import create_token
from service.cli import main
from tests import live_server
from tests.broker_workers import Workers
from tests.conftest import PG_URL, make_core
from tests.test_demo import procfile_web_command
from tests.test_journey_kinds import docx_file
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="cluster mode runs on PostgreSQL: KHLANG_TEST_DATABASE_URL is not set"
)


def app_server(workers: Workers, data_dir: Path, log_path: Path, **env):
    """gunicorn from the Procfile's web line, one worker: (process, base URL)."""
    port = live_server.free_port()
    environment = {
        **workers.env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "KHLANG_DATA_DIR": str(data_dir),
        "KHLANG_SECURE_COOKIES": "0",
        "WEB_CONCURRENCY": "1",
        "PORT": str(port),
        **env,
    }
    command = procfile_web_command().replace("0.0.0.0:", "127.0.0.1:")
    process = live_server.start(["bash", "-c", "exec " + command], environment, port, log_path)
    return process, f"http://127.0.0.1:{port}"


def finished(base: str, token: str, job_id: int):
    status, job = live_server.get_json(f"{base}/api/jobs/{job_id}", token)
    return job if status == 200 and job["status"] != "running" else None


def test_an_upload_through_one_server_is_seen_through_another(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    monkeypatch.setenv("KHLANG_SEARCH_BACKEND", "postgres")
    monkeypatch.setenv("KHLANG_OBJECT_STORE", str(shared / "objects"))
    monkeypatch.setenv("KHLANG_SPOOL_DIR", str(shared / "spool"))
    core = make_core(tmp_path / "a", "postgresql")
    token = create_token(core, "cluster", "admin")
    workers = Workers(core.settings, tmp_path, monkeypatch)
    workers.start("worker", concurrency=2)
    first = tmp_path / "บันทึกการประชุม.docx"
    docx_file(first, "การส่งเสริมการท่องเที่ยวชุมชน")
    bundle = tmp_path / "ส่งมอบงาน.zip"  # a bundle is one message: it and its members
    with zipfile.ZipFile(bundle, "w") as archive:
        for number in range(2):
            archive.writestr(
                f"รายงาน/ผลการดำเนินงาน-{number}.txt", f"รายงานผล ไตรมาสที่ {number + 1}\n"
            )
    second = tmp_path / "นัดหมาย-ประชุม.txt"
    second.write_text("หนังสือนัดหมายการประชุมคณะกรรมการจังหวัด ครั้งที่ ๓\n", encoding="utf-8")
    # Server A holds an upload of the second file after recording it, before queueing it.
    server_a, base_a = app_server(
        workers, tmp_path / "a", tmp_path / "a.log", KHLANG_HOLD_AT="enqueue:นัดหมาย*:600"
    )
    server_b = None
    try:
        status, answer = live_server.post_files(f"{base_a}/api/uploads", token, [first, bundle])
        assert status == 202, answer
        job = wait_until(lambda: finished(base_a, token, answer["job_id"]), "the first job")
        assert job["status"] == "finished" and job["counts"] == {"ingested": 4}, job
        assert job["done"] == job["total"] == 4

        sending = threading.Thread(
            target=lambda: _quietly(
                live_server.post_files, f"{base_a}/api/uploads", token, [second]
            )
        )
        sending.start()
        wait_until(lambda: "holding" in (tmp_path / "a.log").read_text(), "server A to hold")
        with core.sessions() as session:
            held = session.scalars(select(Batch).order_by(Batch.id.desc())).first()
            assert held.status == "running" and not held.detail["enqueued"]
            assert session.scalars(select(JobFile.state).where(JobFile.batch_id == held.id)).all()
        os.killpg(server_a.pid, signal.SIGKILL)
        server_a.wait()
        sending.join()

        # Server B, another data directory, starts: it queues what A could not.
        server_b, base_b = app_server(workers, tmp_path / "b", tmp_path / "b.log")
        job = wait_until(lambda: finished(base_b, token, held.id), "the held job, through B")
        assert job["status"] == "finished" and job["counts"] == {"ingested": 1}, job
        document_id = job["files"][0]["document_id"]
        status, _, body = live_server.request(f"{base_b}/api/documents/{document_id}/file", token)
        assert status == 200 and body == second.read_bytes()
        status, first_job = live_server.get_json(f"{base_b}/api/jobs/{answer['job_id']}", token)
        assert first_job["status"] == "finished"
        queued_maintenance(core, monkeypatch, document_id)
        # what the worker indexed for A's upload is found through B: one shared index
        status, found = live_server.get_json(f"{base_b}/api/search?q={quote('ท่องเที่ยวชุมชน')}", token)
        assert status == 200 and found["total"] == 1, found
        assert found["hits"][0]["filename"] == first.name
    finally:
        if server_a.poll() is None:
            live_server.stop(server_a)
        if server_b is not None:
            live_server.stop(server_b)
        workers.close()
        core.dispose()


def _quietly(post, *args) -> None:
    """The upload whose server is killed under it: its connection breaks."""
    with contextlib.suppress(OSError):
        post(*args)


def queued_maintenance(core, monkeypatch, document_id: int) -> None:
    """`khlang reindex --queue --if-needed` and `khlang verify --queue` hand their runs to
    the worker: a document made stale is indexed again, and a fixity run is recorded."""
    with core.transaction() as session:
        session.get(Document, document_id).indexed_version = None
    monkeypatch.setenv("KHLANG_DATABASE_URL", core.settings.database_url)
    for command in (["reindex", "--queue", "--if-needed"], ["verify", "--queue"]):
        done = CliRunner().invoke(main, ["--data-dir", str(core.settings.data_dir), *command])
        assert done.exit_code == 0 and "queued for a worker" in done.output, done.output

    def indexed() -> bool:
        with core.sessions() as session:
            return session.get(Document, document_id).indexed_version is not None

    def checked():
        with core.sessions() as session:
            return session.scalars(select(FixityRun)).first()

    wait_until(indexed, "the queued reindex")
    run = wait_until(checked, "the queued fixity run")
    assert run.ok and run.complete and run.checked == 5, run.report
