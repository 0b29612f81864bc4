"""Cluster mode's jobs for real: `khlang ingest` with a broker set queues real Thai files
(DOCX, PDF, TXT) on RabbitMQ, `khlang worker` processes ingest them into PostgreSQL, and
a worker SIGKILLed in the middle of a file (held, by the documented KHLANG_HOLD_AT
setting, right after its object is stored and before its document is recorded) costs
nothing: another worker finishes that file, nothing is lost or stored twice, the job row
ends finished with the right counters and `khlang verify` is clean. The worker that
finishes it is started from the Procfile's own `worker:` line, and stops gracefully on
SIGTERM in the middle of a file: the file is finished first."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from indexer.ingest import LocalJobRunner, job_runner
from schemas.models import Batch, Document, Event, JobFile, Submission
from service.cli import main
from tests.broker_workers import BROKER, KHLANG, Workers
from tests.conftest import PG_URL, make_core
from tests.test_journey_kinds import docx_file, text_pdf
from tests.test_procfile import procfile_command
from tests.waiting import wait_until

needs_postgresql = pytest.mark.skipif(
    not PG_URL, reason="cluster mode runs on PostgreSQL: KHLANG_TEST_DATABASE_URL is not set"
)

SLOW = "00-รายงานผลการดำเนินงานช้า.docx"  # the file the first worker is killed in
HOLD = "stored:*ช้า*:{seconds}"


def delivery(folder):
    """Real Thai files of three kinds, each made by the library that writes it."""
    folder.mkdir()
    docx_file(folder / SLOW, "โครงการส่งเสริมการปลูกลำไยนอกฤดู")
    text_pdf(folder / "01-หนังสือราชการ.pdf", "การจัดงานเทศกาลสับปะรดภูแล")
    for number in range(2, 5):
        (folder / f"{number:02d}-บันทึกข้อความ.txt").write_text(
            f"บันทึกข้อความ ฉบับที่ {number}\nเรื่อง การประชุมคณะทำงานกลุ่มจังหวัดภาคเหนือตอนบน\n",
            encoding="utf-8",
        )
    return sorted(folder.iterdir())


def files_done(core) -> int:
    with core.sessions() as session:
        return session.scalar(
            select(func.count()).select_from(JobFile).where(JobFile.state == "done")
        )


@needs_postgresql
def test_a_worker_killed_in_a_file_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    core = make_core(tmp_path / "data", "postgresql")
    assert len(delivery(tmp_path / "ส่งมอบ")) == 5
    workers = Workers(core.settings, tmp_path, monkeypatch)
    ingest = None
    try:
        workers.start("a", KHLANG_HOLD_AT=HOLD.format(seconds=600))
        ingest = subprocess.Popen(
            [KHLANG, "ingest", "--submitted-by", "dsss", str(tmp_path / "ส่งมอบ")],
            env=workers.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        workers.wait_for_log("a", "holding")
        # Worker a is between storing the object and recording its document.
        sha = hashlib.sha256((tmp_path / "ส่งมอบ" / SLOW).read_bytes()).hexdigest()
        assert core.store.exists(sha)
        with core.sessions() as session:
            assert session.scalar(select(Document.id).where(Document.sha256 == sha)) is None

        # b, as the Procfile starts a worker, holds the file a few seconds too: long enough
        # to be stopped (SIGTERM) in the middle of it.
        workers.start(
            "b",
            command=["bash", "-c", "exec " + procfile_command("worker")],
            WORKER_CONCURRENCY="1",
            KHLANG_HOLD_AT=HOLD.format(seconds=2),
        )
        wait_until(lambda: files_done(core) == 4, "worker b to do the other four files")
        workers.kill("a")
        workers.wait_for_log("b", "holding")
        assert workers.stop("b") == 0, workers.log("b")

        out, err = ingest.communicate(timeout=120)
        assert ingest.returncode == 0, err
        assert "5 files: 5 ingested, 0 duplicate" in err
        assert sum(line.startswith("นำเข้าแล้ว") for line in out.splitlines()) == 5
    finally:
        if ingest is not None and ingest.poll() is None:
            ingest.kill()
        workers.close()

    with core.sessions() as session:
        (batch,) = session.scalars(select(Batch)).all()
        assert batch.status == "finished" and batch.done == batch.total == 5
        assert batch.detail["counts"] == {"ingested": 5}
        documents = session.scalars(select(Document.sha256)).all()
        assert len(documents) == len(set(documents)) == 5
        assert Counter(session.scalars(select(Submission.status))) == {"ingested": 5}
        stored = session.scalar(
            select(func.count()).select_from(Event).where(Event.event_type == "stored")
        )
        assert stored == 5
        assert set(session.scalars(select(JobFile.state))) == {"done"}
    assert "job 1 file 0: done" in workers.log("b")
    assert core.search_backend.search("ลำไยนอกฤดู", limit=5).total == 1
    assert not (core.settings.data_dir / "spool" / "job-1").exists()
    monkeypatch.setenv("KHLANG_DATABASE_URL", core.settings.database_url)
    verify = CliRunner().invoke(main, ["--data-dir", str(core.settings.data_dir), "verify"])
    assert verify.exit_code == 0, verify.output
    assert "orphan" not in verify.output
    core.dispose()


def test_without_a_broker_the_local_runner_stays_and_no_worker_starts(core, monkeypatch):
    monkeypatch.delenv("KHLANG_BROKER_URL", raising=False)
    assert isinstance(job_runner(core), LocalJobRunner)
    done = subprocess.run(
        [KHLANG, "--data-dir", str(core.settings.data_dir), "worker"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "KHLANG_BROKER_URL"},
        timeout=60,
    )
    assert done.returncode == 2
    assert "KHLANG_BROKER_URL is not set" in done.stderr


def test_with_a_broker_set_jobs_go_to_the_broker(core, monkeypatch):
    from indexer.ingest.broker_runner import BrokerJobRunner

    monkeypatch.setenv("KHLANG_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    assert isinstance(job_runner(core), BrokerJobRunner)


def test_a_job_its_server_never_queued_is_queued_when_asked_for(core, tmp_path, monkeypatch):
    """A job recorded by a server (on another host) that died before sending its files'
    messages: asking for its status on any server queues them once it has waited the
    grace period; before that, it is left to its server."""
    from indexer.ingest import broker_jobs
    from indexer.ingest.broker_runner import ENQUEUE_GRACE_SECONDS, BrokerJobRunner

    workers = Workers(core.settings, tmp_path, monkeypatch)  # the queue; no worker yet
    try:
        runner = BrokerJobRunner(core)
        folder = tmp_path / "ส่งมอบ"
        folder.mkdir()
        for number in range(3):
            (folder / f"บันทึก-{number}.txt").write_text(f"บันทึกข้อความ ฉบับที่ {number}\n")
        job_id, numbers = broker_jobs.create_job(core, [str(folder)], agent="dsss")

        def recorded(seconds_ago: float) -> None:
            with core.transaction() as session:
                batch = session.get(Batch, job_id)
                detail = {**batch.detail, "host": "another-host"}
                batch.detail = {**detail, "recorded_at": time.time() - seconds_ago}

        recorded(1)
        assert runner.status(job_id)["status"] == "running"
        assert waiting_messages(workers.queue) == 0
        recorded(ENQUEUE_GRACE_SECONDS + 1)
        assert runner.status(job_id)["status"] == "running"
        assert waiting_messages(workers.queue) == len(numbers) == 3
        with core.sessions() as session:
            assert session.get(Batch, job_id).detail["enqueued"] is True
        runner.status(job_id)
        assert waiting_messages(workers.queue) == 3  # queued once
    finally:
        workers.close()


def waiting_messages(queue: str) -> int:
    """Messages in the queue (declared as Celery declares it, when it is not there yet)."""
    from kombu import Connection

    with Connection(BROKER) as connection:
        channel = connection.default_channel
        return channel.queue_declare(queue, durable=True, auto_delete=False).message_count


@needs_postgresql
def test_a_message_whose_job_was_lost_in_a_failover_is_dropped_not_retried(tmp_path, monkeypatch):
    """Messages queued for rows the database no longer holds (a job recorded only on a
    primary that was lost, or a database emptied): a worker acknowledges each once, logs
    why (the job, the file, where its file is kept), and never asks for it again. One
    job is gone whole; of another, one file's row is gone and its other file is ingested."""
    from sqlalchemy import delete

    from indexer.ingest.broker_runner import OCR_PAGE, BrokerJobRunner

    core = make_core(tmp_path / "data", "postgresql")
    workers = Workers(core.settings, tmp_path, monkeypatch)  # the queue; no worker yet
    try:
        runner = BrokerJobRunner(core)
        paths = []
        for name in ("หาย-หนังสือ.txt", "คง-รายงาน.txt", "หาย-บันทึก.txt"):
            (tmp_path / name).write_text(f"{name} การประชุมกลุ่มจังหวัด\n", encoding="utf-8")
            paths.append(str(tmp_path / name))
        lost_job = runner.start(paths[:1], agent="dsss")
        kept_job = runner.start(paths[1:], agent="dsss")
        # and a page message of the lost job, as a scan's page would be sent
        runner.app.send_task(OCR_PAGE, args=[lost_job, 0, 1], queue=workers.queue)
        assert waiting_messages(workers.queue) == 4
        with core.transaction() as session:  # what the promoted standby never received
            session.execute(delete(JobFile).where(JobFile.batch_id == lost_job))
            session.execute(delete(Event).where(Event.batch_id == lost_job))
            session.execute(delete(Batch).where(Batch.id == lost_job))
            session.execute(
                delete(JobFile).where(JobFile.batch_id == kept_job, JobFile.number == 1)
            )

        workers.start("a")
        wait_until(lambda: workers.log("a").count(": gone") == 3, lambda: workers.log("a"))
        wait_until(lambda: f"job {kept_job} file 0: done" in workers.log("a"), "file 0")
        workers.stop("a")
        # the worker's channel closed: a message it held unacknowledged is back by now
        wait_until(lambda: not consumers(workers.queue), "the worker's channel to close")
        assert waiting_messages(workers.queue) == 0, workers.log("a")
    finally:
        workers.close()

    log = workers.log("a")
    assert "Retry in" not in log
    spool = core.settings.data_dir / "spool"
    for job_id, number, reason in [
        (lost_job, 0, "the job's row is not there"),
        (kept_job, 1, "the job is there, the file's row is not"),
    ]:
        kept = spool / f"job-{job_id}" / f"{number:05d}.txt"
        assert kept.exists()  # kept for the operator, not removed with the message
        assert (
            f"(job {job_id} file {number} is not in the database ({reason}): lost with the "
            "old primary in a failover" in log
        ), log
        assert f"ingest it again with khlang ingest {kept}" in log
        assert f"งาน {job_id} ไฟล์ที่ {number} ไม่อยู่ในฐานข้อมูล" in log
    assert f"job {lost_job} file 0 page 1 is not in the database" in log
    with core.sessions() as session:
        batch = session.get(Batch, kept_job)
        assert batch.status == "finished" and batch.detail["counts"] == {"ingested": 1}
    core.dispose()


def consumers(queue: str) -> int:
    from kombu import Connection

    with Connection(BROKER) as connection:
        channel = connection.default_channel
        return channel.queue_declare(queue, durable=True, auto_delete=False).consumer_count


def test_a_new_job_never_takes_a_lost_jobs_spool_file_of_the_same_id(core, tmp_path, caplog):
    """A database emptied (or a failover that lost the last jobs) hands a job id out again
    while the lost job's files are still in the spool: the new job's own file is placed,
    and the earlier one is moved aside with a logged reason, not ingested in its stead."""
    from indexer.ingest import broker_jobs

    with core.sessions() as session:
        next_id = (session.scalar(select(func.max(Batch.id))) or 0) + 1
    earlier = broker_jobs.spool_folder(core.settings, next_id)
    earlier.mkdir(parents=True)
    (earlier / "00000.txt").write_text("ไฟล์ของงานที่สูญหาย\n", encoding="utf-8")
    letter = tmp_path / "หนังสือใหม่.txt"
    letter.write_text("หนังสือเชิญประชุมฉบับใหม่\n", encoding="utf-8")

    job_id, numbers = broker_jobs.create_job(core, [str(letter)], agent="dsss")

    assert (job_id, numbers) == (next_id, [0])
    placed = broker_jobs.spool_folder(core.settings, job_id) / "00000.txt"
    assert placed.read_text(encoding="utf-8") == "หนังสือเชิญประชุมฉบับใหม่\n"
    (aside,) = earlier.parent.glob(f"job-{job_id}-lost-*")
    assert (aside / "00000.txt").read_text(encoding="utf-8") == "ไฟล์ของงานที่สูญหาย\n"
    assert f"moved to {aside}" in caplog.text and "ย้ายไปไว้ที่" in caplog.text
