"""PostgreSQL servers a test runs itself: a streaming standby made with ``pg_basebackup``
(and, when the machine's server refuses replication connections, a temporary primary made
with ``initdb`` to make it of), in a temporary directory, as the ``postgres`` system user.

PostgreSQL's programs refuse root: run as root (as the tests here are), every program runs
through ``runuser -u postgres``; run as anyone else, as that user. Nothing of the machine's server is changed: a server that does not
allow replication (no ``replication`` line in pg_hba.conf, ``wal_level=minimal``, no WAL
senders) is left as it is, and :func:`replication_refusal` says why it was not used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests import live_server

PG_BIN = Path(os.environ.get("KHLANG_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
RUN_AS = "postgres"
START_LIMIT = 900  # seconds pg_ctl may wait for a server to accept connections
# What a hot standby must have at least as much of as its primary (else it will not start).
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _as_root() -> bool:
    """Root must hand PostgreSQL's programs to another user; anyone else runs them."""
    return os.geteuid() == 0


def unavailable() -> str | None:
    """Why this machine cannot run a server of its own, or None."""
    if not (PG_BIN / "pg_basebackup").exists():
        return f"no PostgreSQL programs in {PG_BIN} (set KHLANG_TEST_PG_BIN)"
    if not _as_root():
        return None
    if shutil.which("runuser") is None:
        return "runuser is missing: PostgreSQL's programs must run as a user other than root"
    try:
        import pwd

        pwd.getpwnam(RUN_AS)
    except KeyError:
        return f"no {RUN_AS!r} system user to run PostgreSQL's programs as"
    return None


def as_postgres(args: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", RUN_AS, "--", *args] if _as_root() else args,
        capture_output=True,
        text=True,
        cwd="/",
        **options,
    )


def _checked(args: list[str], what: str, **options) -> subprocess.CompletedProcess:
    done = as_postgres(args, **options)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def scratch_directory() -> Path:
    """A temporary directory the postgres user owns (pytest's are root's, mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="khlang-pg-", dir="/tmp"))
    _give(folder)
    return folder


def _give(path: Path) -> None:
    if _as_root():
        shutil.chown(path, RUN_AS, RUN_AS)


def replication_refusal(host: str, port: int) -> str | None:
    """Why the server at ``host:port`` cannot be copied into a standby from here (its own
    words: ``wal_level`` too low, no WAL senders, no replication line in pg_hba.conf), or
    None when it can."""
    levels = as_postgres(
        [
            str(PG_BIN / "psql"),
            f"host={host} port={port} user=postgres dbname=postgres",
            "-Atc",
            "SELECT current_setting('wal_level'), current_setting('max_wal_senders')",
        ],
        timeout=60,
    )
    if levels.returncode != 0:
        return (levels.stderr or levels.stdout).strip()
    wal_level, senders = levels.stdout.strip().split("|")
    if wal_level == "minimal" or int(senders) == 0:
        return f"wal_level={wal_level}, max_wal_senders={senders}: no WAL for a standby"
    done = as_postgres(
        [
            str(PG_BIN / "psql"),
            f"host={host} port={port} user=postgres replication=true dbname=replication",
            "-c",
            "IDENTIFY_SYSTEM",
        ],
        timeout=60,
    )
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()


@dataclass
class Server:
    """A PostgreSQL server this test started, on a loopback port."""

    data_dir: Path
    port: int

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.data_dir.parent}"
        )
        _checked(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_LIMIT),
                "start",
            ],
            f"starting the server in {self.data_dir} (log: {self.log})",
            timeout=START_LIMIT + 60,
        )

    def running(self) -> bool:
        status = as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "status"])
        return status.returncode == 0

    def stop(self) -> None:
        if self.data_dir.exists() and self.running():
            _checked(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                f"stopping the server in {self.data_dir}",
                timeout=300,
            )


def temporary_primary(root: Path) -> Server:
    """A new cluster (``initdb``, trust on loopback; initdb's pg_hba.conf lets local
    replication connections in), started."""
    server = Server(root / "primary", live_server.free_port())
    _checked(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(server.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        "initdb of a temporary primary",
        timeout=300,
    )
    server.start()
    return server


@dataclass
class Standby(Server):
    seconds_to_copy: float = 0.0  # how long pg_basebackup took


def standby_of(host: str, port: int, root: Path, primary_settings: dict[str, str]) -> Standby:
    """A streaming standby of ``host:port`` (``pg_basebackup -R``: standby.signal and
    primary_conninfo), started and accepting connections. ``primary_settings``: the
    primary's values of :data:`MATCHED_SETTINGS`."""
    standby = Standby(root / "standby", live_server.free_port())
    started = time.monotonic()
    _checked(
        [
            str(PG_BIN / "pg_basebackup"),
            f"--dbname=host={host} port={port} user=postgres",
            "-D",
            str(standby.data_dir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ],
        f"pg_basebackup of {host}:{port}",
        timeout=3600,
    )
    standby.seconds_to_copy = time.monotonic() - started
    # A packaged (Debian) server keeps its configuration outside its data directory, so
    # the copy may have none: the standby gets its own, trusting loopback only.
    conf = standby.data_dir / "postgresql.conf"
    if not conf.exists():
        lines = ["hot_standby = on"] + [f"{k} = {v}" for k, v in primary_settings.items()]
        conf.write_text("\n".join(lines) + "\n")
        _give(conf)
    hba = standby.data_dir / "pg_hba.conf"
    if not hba.exists():
        hba.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        _give(hba)
    standby.start()
    return standby
