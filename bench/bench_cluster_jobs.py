"""Cluster mode's jobs (RabbitMQ, `khlang worker`, PostgreSQL): files a second through the
broker with one and two workers, beside the local runner on the same files, and how long
a file held by a SIGKILLed worker waits before another worker has finished it. Figures
only, printed.

The database named is emptied (its public schema dropped): give one of its own.

    .venv/bin/python -m bench.bench_cluster_jobs --files 200 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/khlang_bench
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from indexer.core import Khlang
from indexer.ingest import RUNNERS
from schemas.config import Settings
from schemas.models import Batch, JobFile

BROKER = os.environ.get("KHLANG_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
KHLANG = str(Path(sys.executable).parent / "khlang")


def _fresh(url: str, data_dir: Path) -> Khlang:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    core = Khlang(Settings.load(data_dir, url))
    core.init()
    return core


def _letters(folder: Path, count: int, tag: str) -> list[str]:
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"หนังสือ-{number:05d}.txt").write_text(
            f"หนังสือราชการ {tag} ฉบับที่ {number}\nเรื่อง ขอเชิญประชุมคณะทำงานกลุ่มจังหวัด "
            f"ครั้งที่ {number % 12 + 1} ณ ศาลากลางจังหวัดเชียงใหม่\n" * 4,
            encoding="utf-8",
        )
    return [str(folder)]


def _worker(core: Khlang, queue: str, log: Path, **env) -> subprocess.Popen:
    """A `khlang worker` (one file at a time), started and ready."""
    environment = {
        **os.environ,
        "KHLANG_BROKER_URL": BROKER,
        "KHLANG_QUEUE": queue,
        "KHLANG_DATA_DIR": str(core.settings.data_dir),
        "KHLANG_DATABASE_URL": core.settings.database_url,
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [KHLANG, "worker", "--concurrency", "1"],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    while " ready." not in log.read_text(errors="replace"):
        time.sleep(0.1)
    return process


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _drop_queue(queue: str) -> None:
    from kombu import Connection

    with Connection(BROKER) as connection:
        connection.default_channel.queue_delete(queue)


def _rate(label: str, files: int, seconds: float) -> None:
    print(f"  {label:<34} {files:>5} files {seconds:7.1f} s  {files / seconds:7.1f} files/s")


def throughput(url: str, work: Path, files: int) -> None:
    core = _fresh(url, work / "local")
    paths = _letters(work / "local-in", files, "local")
    started = time.perf_counter()
    RUNNERS["local"](core).run(paths, agent="bench")
    _rate("local runner (one process)", files, time.perf_counter() - started)
    core.dispose()
    for count in (1, 2):
        core = _fresh(url, work / f"broker-{count}")
        queue = f"khlang-bench-{uuid.uuid4().hex[:8]}"
        os.environ["KHLANG_BROKER_URL"], os.environ["KHLANG_QUEUE"] = BROKER, queue
        workers = [_worker(core, queue, work / f"w{count}-{n}.log") for n in range(count)]
        paths = _letters(work / f"broker-{count}-in", files, f"broker{count}")
        started = time.perf_counter()
        RUNNERS["broker"](core).run(paths, agent="bench")
        _rate(f"broker, {count} worker(s) x 1 file", files, time.perf_counter() - started)
        for process in workers:
            _kill(process)
        _drop_queue(queue)
        core.dispose()


def redelivery(url: str, work: Path, tries: int) -> None:
    """A worker held inside a file is SIGKILLed; seconds until the other worker has
    finished that file (the job then finished)."""
    waits = []
    for attempt in range(tries):
        core = _fresh(url, work / f"kill-{attempt}")
        queue = f"khlang-bench-{uuid.uuid4().hex[:8]}"
        os.environ["KHLANG_BROKER_URL"], os.environ["KHLANG_QUEUE"] = BROKER, queue
        log = work / f"held-{attempt}.log"
        held = _worker(core, queue, log, KHLANG_HOLD_AT="stored:*:600")
        paths = _letters(work / f"kill-{attempt}-in", 1, "kill")
        job_id = RUNNERS["broker"](core).start(paths, agent="bench")
        while "holding" not in log.read_text(errors="replace"):
            time.sleep(0.05)
        other = _worker(core, queue, work / f"other-{attempt}.log")
        started = time.perf_counter()
        _kill(held)
        while True:
            with core.sessions() as session:
                if session.get(Batch, job_id).status != "running":
                    done = session.scalar(select(func.count()).select_from(JobFile))
                    break
            time.sleep(0.02)
        waits.append(time.perf_counter() - started)
        assert done == 1
        _kill(other)
        _drop_queue(queue)
        core.dispose()
    shown = ", ".join(f"{w:.2f}" for w in waits)
    print(f"  SIGKILL -> file finished by the other worker: {shown} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("KHLANG_BENCH_DATABASE_URL"),
        help="PostgreSQL database to use (emptied); default KHLANG_BENCH_DATABASE_URL",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        print("-- bench_cluster_jobs: needs --database-url (or KHLANG_BENCH_DATABASE_URL)")
        return
    with tempfile.TemporaryDirectory(prefix="khlang-cluster-bench-") as folder:
        work = Path(folder)
        print(f"jobs of {args.files} Thai letters (TXT), RabbitMQ at {BROKER.split('@')[-1]}")
        throughput(args.database_url, work, args.files)
        redelivery(args.database_url, work, args.kills)


if __name__ == "__main__":
    main()
