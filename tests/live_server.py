"""A real gunicorn on a free loopback port, and plain-urllib HTTP to it, for the tests
that show the service as it is deployed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import urllib.request
import uuid
from pathlib import Path

from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict, port: int, log_path: Path) -> subprocess.Popen:
    """Run ``command`` (a gunicorn command line) and wait until /healthz answers."""
    log = log_path.open("w")
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    try:
        wait_until(
            healthy,
            lambda: "gunicorn to answer /healthz:\n" + log_path.read_text()[-3000:],
            limit=90,
            every=0.2,
        )
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (they share its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def request(url: str, token: str | None = None, body: bytes | None = None, headers=None):
    """(status, headers, body bytes) of one request."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    call = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=60) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()


def get_json(url: str, token: str | None = None):
    status, _, body = request(url, token)
    return status, json.loads(body)


def post_files(url: str, token: str, files: list[Path]):
    """POST ``files`` as multipart/form-data field "files"; (status, JSON answer)."""
    body, content_type = multipart(files)
    status, _, body = request(url, token, body, {"Content-Type": content_type})
    return status, json.loads(body)


def multipart(files: list[Path], field: str = "files") -> tuple[bytes, str]:
    """``files`` as a multipart/form-data body (field ``field``) and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for path in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        parts.append(path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
