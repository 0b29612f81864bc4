"""`khlang worker` processes for tests, on the RabbitMQ this machine and CI run at
127.0.0.1:5672 (``KHLANG_TEST_BROKER_URL`` names another). Each test gets a fresh queue
(``KHLANG_QUEUE``), so tests never see each other's messages, and the queue is deleted
after it (``KHLANG_TEST_QUEUE_PREFIX`` begins its name: runs sharing a broker can tell
their queues apart). A test needing the broker is skipped, with the reason, where it does not answer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.waiting import wait_until

BROKER = os.environ.get("KHLANG_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
QUEUE_PREFIX = os.environ.get("KHLANG_TEST_QUEUE_PREFIX", "khlang-test")
KHLANG = str(Path(sys.executable).parent / "khlang")


def broker_problem() -> str | None:
    """Why the broker cannot be used here; None when it answers."""
    address = urlsplit(BROKER)
    try:
        socket.create_connection((address.hostname, address.port or 5672), timeout=2).close()
    except OSError as exc:
        return f"RabbitMQ at {address.hostname}:{address.port or 5672} does not answer: {exc}"
    return None


def need_broker() -> None:
    problem = broker_problem()
    if problem:
        pytest.skip(problem)


class Workers:
    """Workers of one test's queue, over one data directory and database; the test's own
    process is pointed at the same broker and queue (``monkeypatch``)."""

    def __init__(self, settings, tmp_path: Path, monkeypatch, **env):
        need_broker()
        self.queue = f"{QUEUE_PREFIX}-{uuid.uuid4().hex[:12]}"
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "KHLANG_BROKER_URL": BROKER,
            "KHLANG_QUEUE": self.queue,
            "KHLANG_DATA_DIR": str(settings.data_dir),
            "KHLANG_DATABASE_URL": settings.database_url,
            **env,
        }
        self.env.pop("KHLANG_HOLD_AT", None)
        for name in ("KHLANG_BROKER_URL", "KHLANG_QUEUE", "KHLANG_SPOOL_DIR"):
            if name in self.env:
                monkeypatch.setenv(name, self.env[name])
        self.running: dict[str, subprocess.Popen] = {}

    def start(
        self, name: str, concurrency: int = 1, command: list[str] | None = None, **env
    ) -> subprocess.Popen:
        """`khlang worker` (or ``command``, a worker's command line) in its own process
        group: killing the group is losing the machine it runs on."""
        log = (self.tmp_path / f"worker-{name}.log").open("wb")
        process = subprocess.Popen(
            command or [KHLANG, "worker", "--concurrency", str(concurrency)],
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.tmp_path / f"worker-{name}.log").read_text(errors="replace")

    def wait_for_log(self, name: str, text: str) -> None:
        wait_until(lambda: text in self.log(name), lambda: f"{text!r} in {self.log(name)}")

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its pool's processes at once."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self, name: str) -> int:
        """SIGTERM: the worker finishes what it holds and exits; its exit status."""
        process = self.running.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)

    def close(self) -> None:
        """Workers still running are killed (a graceful stop waits for the pool: seconds a
        test need not spend), and the test's queue deleted."""
        for name in list(self.running):
            with contextlib.suppress(ProcessLookupError):
                self.kill(name)
        from kombu import Connection

        with Connection(BROKER) as connection:
            connection.default_channel.queue_delete(self.queue)
        from indexer.ingest.broker_runner import celery_app

        celery_app(BROKER, self.queue).close()
