"""The Procfile's gunicorn, for real: a worker recycled by --max-requests (memory hygiene)
finishes the upload job it is running before it exits, instead of killing it."""

from __future__ import annotations

import io
import json
import os
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from sqlalchemy import select

from schemas.models import Batch, Submission
from service.auth import create_token
from tests.conftest import make_core
from tests.live_server import ROOT, free_port, start, stop

MAX_REQUESTS = 4
FILES_IN_ZIP = 150  # a job of a few seconds: the worker retires long before it ends


def procfile_command(port: int) -> str:
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    # Loopback only in tests; everything else exactly as the Procfile says.
    return line.removeprefix("web:").strip().replace("0.0.0.0:", "127.0.0.1:")


def zip_of_notes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        for number in range(FILES_IN_ZIP):
            text = f"บันทึกข้อความที่ {number} เรื่อง การประชุมคณะทำงานจังหวัดเชียงใหม่\n" * 20
            bundle.writestr(f"บันทึก/บันทึก-{number:03d}.txt", text)
    return out.getvalue()


def multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "khlang-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: application/zip\r\n\r\n'
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def call(base: str, path: str, token: str, body: bytes | None = None, content_type=None):
    request = urllib.request.Request(f"{base}{path}", data=body)
    request.add_header("Authorization", f"Bearer {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=180) as response:
        return json.loads(response.read())


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
    port = free_port()
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
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = start(["bash", "-c", "exec " + procfile_command(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                call(base, "/api/me", token)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        body, content_type = multipart("files", "บันทึกการประชุม.zip", zip_of_notes())
        job_id = call(base, "/api/uploads", token, body, content_type)["job_id"]
        with core.sessions() as session:
            worker = session.get(Batch, job_id).detail["pid"]
        # Enough requests for the worker that took the upload to reach --max-requests.
        for _ in range(MAX_REQUESTS):
            call(base, "/api/me", token)
        deadline = time.monotonic() + 180
        while running(worker):
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        # The worker is gone, and the job it was running is complete.
        assert call(base, f"/api/jobs/{job_id}", token)["status"] == "finished"
        log = log_path.read_text()
        assert f"worker {worker} finishes khlang-job-{job_id} before exiting" in log, log[-3000:]
        with core.sessions() as session:
            assert session.get(Batch, job_id).status == "finished"
            statuses = session.scalars(
                select(Submission.status).where(Submission.batch_id == job_id)
            ).all()
        assert len(statuses) == FILES_IN_ZIP + 1 and set(statuses) == {"ingested"}
    finally:
        stop(server)
        core.dispose()
