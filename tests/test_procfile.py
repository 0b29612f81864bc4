"""The Procfile's gunicorn, for real: a worker recycled by --max-requests (memory hygiene)
finishes the upload job it is running before it exits, instead of dying in the middle of
it (a job is resumed after a crash, but a routine recycling should not be one)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

from sqlalchemy import select

from schemas.models import Batch, Submission
from service.auth import create_token
from tests import live_server
from tests.conftest import make_core
from tests.test_demo import REPO, procfile_web_command
from tests.waiting import wait_until

MAX_REQUESTS = 4
FILES_IN_ZIP = 150  # a job of a few seconds: the worker retires long before it ends


def zip_of_notes(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for number in range(FILES_IN_ZIP):
            text = f"บันทึกข้อความที่ {number} เรื่อง การประชุมคณะทำงานจังหวัดเชียงใหม่\n" * 20
            bundle.writestr(f"บันทึก/บันทึก-{number:03d}.txt", text)
    return path


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state != "Z"


def test_a_recycled_worker_finishes_its_upload_job_first(tmp_path):
    data_dir = tmp_path / "data"
    core = make_core(data_dir)
    token = create_token(core, "procfile", "admin")
    port = live_server.free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "KHLANG_DATA_DIR": str(data_dir),
        "KHLANG_SECURE_COOKIES": "0",
        "WEB_CONCURRENCY": "1",  # one worker: every request goes to the one with the job
        "PORT": str(port),
        "MAX_REQUESTS": str(MAX_REQUESTS),
        "MAX_REQUESTS_JITTER": "0",
    }
    env.pop("KHLANG_DATABASE_URL", None)
    # Loopback only in tests; everything else exactly as the Procfile says.
    command = procfile_web_command().replace("0.0.0.0:", "127.0.0.1:")
    log_path = tmp_path / "gunicorn.log"
    server = live_server.start(["bash", "-c", "exec " + command], env, port, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        bundle = zip_of_notes(tmp_path / "บันทึกการประชุม.zip")
        status, answer = live_server.post_files(f"{base}/api/uploads", token, [bundle])
        assert status == 202, answer
        job_id = answer["job_id"]
        with core.sessions() as session:
            worker = session.get(Batch, job_id).detail["pid"]
        # Enough requests for the worker that took the upload to reach --max-requests.
        for _ in range(MAX_REQUESTS):
            assert live_server.get_json(f"{base}/api/me", token)[0] == 200
        wait_until(
            lambda: not running(worker),
            lambda: "the recycled worker to exit: " + log_path.read_text()[-3000:],
            limit=180,
            every=0.2,
        )
        # The worker is gone, and the job it was running is complete.
        status, job = live_server.get_json(f"{base}/api/jobs/{job_id}", token)
        assert job["status"] == "finished", job
        log = log_path.read_text()
        assert f"worker {worker} finishes khlang-job-{job_id} before exiting" in log, log[-3000:]
        with core.sessions() as session:
            statuses = session.scalars(
                select(Submission.status).where(Submission.batch_id == job_id)
            ).all()
        assert len(statuses) == FILES_IN_ZIP + 1 and set(statuses) == {"ingested"}
    finally:
        live_server.stop(server)
        core.dispose()


def procfile_command(process: str) -> str:
    """The Procfile's command line for one process type ("web", "worker")."""
    lines = (REPO / "Procfile").read_text().splitlines()
    [line] = [line for line in lines if line.startswith(f"{process}:")]
    return line.removeprefix(f"{process}:").strip()


def test_the_procfile_runs_web_servers_and_cluster_workers():
    """Cluster mode's worker runs `khlang worker` (tests/test_cluster_jobs.py starts one
    from this very line); the web line is the one the test above runs."""
    assert procfile_command("web") == procfile_web_command()
    worker = procfile_command("worker")
    assert worker.startswith("khlang worker --concurrency ")
    assert "${WORKER_CONCURRENCY:-" in worker
