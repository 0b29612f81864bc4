"""The broker runner (cluster mode): jobs run by ``khlang worker`` processes, on any
machine, through a message broker. Chosen by ``job_runner(core)`` when ``KHLANG_BROKER_URL``
is set (RabbitMQ, ``amqp://user:password@host:5672//``); without it nothing here is loaded.

The queue library is Celery, with late acknowledgement (``task_acks_late``), a task
whose worker was lost rejected back to the queue (``task_reject_on_worker_lost``) and one
message taken at a time (``worker_prefetch_multiplier=1``): a worker killed in the middle
of a file leaves its message unacknowledged, and RabbitMQ gives it to another worker
within seconds. There is one message per file, and one per page of a scan read by OCR
(``broker_pages``), so a lost worker costs one file's (or one page's) work; what a
message does is idempotent (``broker_jobs.handle_file``, ``handle_page``). Re-indexing and fixity
runs can be queued too (``send_maintenance``), each as one message a worker runs whole. Progress stays in
Khlang's own job table, so ``GET /api/jobs/<id>`` and the job pages read it unchanged.

Settings (read from the environment when a runner or worker starts):

    KHLANG_BROKER_URL   the broker; set, it makes this the runner (web workers then only
                        queue jobs, never ingest)
    KHLANG_QUEUE        the queue's name (default "khlang"): installations, or tests,
                        sharing a broker keep apart by it
    KHLANG_SPOOL_DIR    the folder every worker reads a job's files from (broker_jobs)
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import socket
import time
from pathlib import Path

from celery import Celery
from sqlalchemy import select

from indexer.core import Khlang
from indexer.ingest import broker_jobs
from indexer.ingest.jobs import (
    _interrupted,
    claim_interrupted,
    job_signature,
    owner_gone,
    read_status,
    remove_stale_upload_folders,
)
from indexer.ingest.sources import FileResult
from indexer.runtime.holds import hold_at
from schemas.config import ConfigError, Settings, setting
from schemas.models import Batch, JobFile, Submission

log = logging.getLogger(__name__)

BROKER_SETTING = "KHLANG_BROKER_URL"
QUEUE_SETTING = "KHLANG_QUEUE"
DEFAULT_QUEUE = "khlang"
INGEST_FILE = "khlang.ingest_file"
# One page of a scan read by OCR (broker_pages): a scan's pages go to several workers.
OCR_PAGE = "khlang.ocr_page"
# Maintenance a worker runs whole: `khlang reindex --queue`, `khlang verify --queue`.
REINDEX = "khlang.reindex"
VERIFY = "khlang.verify"
# RabbitMQ closes a channel whose message stays unacknowledged longer than its
# consumer_timeout (30 min by default): a queued fixity run stops starting new checks
# before that (the next run goes on from the least recently checked).
QUEUED_VERIFY_SECONDS = 25 * 60
# How often a caller waiting for a job (``khlang ingest``) reads its progress.
POLL_SECONDS = 0.2
# ...and after how long without a file done it asks whether any worker is running.
QUIET_WARNING_SECONDS = 60
# A failing message (the database unreachable, say) is tried again this many times, after
# waits growing up to RETRY_MAX_SECONDS; each file's own problems are its rejection, not this.
RETRIES = 10
RETRY_MAX_SECONDS = 120
# A job recorded this long ago and still not queued lost its receiving server (sending a
# job's messages takes seconds): any server then queues it.
ENQUEUE_GRACE_SECONDS = 300
# A file another delivery is working on is asked for again after this (then doubling).
# A message whose job or file is not in the database ("gone") is dropped, not retried.
BUSY_RETRY_SECONDS = 1


def broker_url() -> str | None:
    return setting(BROKER_SETTING).strip() or None


def queue_name() -> str:
    return setting(QUEUE_SETTING).strip() or DEFAULT_QUEUE


@functools.cache
def celery_app(url: str, queue: str) -> Celery:
    """The Celery application for a broker and queue, with Khlang's task."""
    app = Celery("khlang", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=True,
    )
    # a file's and a page's messages are retried alike: backing off, a bounded number of times
    per_file = dict(
        bind=True,
        autoretry_for=(Exception,),
        retry_backoff=True,
        retry_backoff_max=RETRY_MAX_SECONDS,
        max_retries=RETRIES,
    )
    app.task(name=INGEST_FILE, **per_file)(_ingest_file)
    app.task(name=OCR_PAGE, **per_file)(_ocr_page)
    app.task(name=REINDEX, autoretry_for=(Exception,), max_retries=3)(_reindex)
    app.task(name=VERIFY, autoretry_for=(Exception,), max_retries=3)(_verify)
    return app


@functools.cache
def _worker_core(pid: int) -> Khlang:
    """The worker process's own core (each pool process opens its own connections)."""
    return Khlang(Settings.load())


def _reindex(if_needed: bool, agent: str) -> dict:
    from indexer.ingest.indexing import reindex

    result = reindex(_worker_core(os.getpid()), if_needed=if_needed, agent=agent)
    log.info("reindex (%s): %s documents", result["mode"], result["documents"])
    return {"mode": result["mode"], "documents": result["documents"]}


def _verify(agent: str, max_objects: int | None, max_seconds: float | None) -> bool:
    """A fixity run; its report is recorded as every run's is (``FixityRun``)."""
    from indexer.preserve.fixity import verify

    core = _worker_core(os.getpid())
    report = verify(core, agent=agent, max_objects=max_objects, max_seconds=max_seconds)
    log.info("verify: %s checked of %s, ok=%s", report["checked"], report["total"], report["ok"])
    return report["ok"]


def send_maintenance(what: str, **arguments) -> str:
    """Queue a re-indexing ("reindex": if_needed, agent) or a fixity run ("verify": agent,
    max_objects, max_seconds) for a worker; the message's id."""
    url = broker_url()
    if not url:
        raise ConfigError(f"{BROKER_SETTING} ไม่ได้ตั้งค่า (not set): nothing to queue on")
    queue = queue_name()
    name = {"reindex": REINDEX, "verify": VERIFY}[what]
    if what == "verify":
        given = arguments.get("max_seconds") or QUEUED_VERIFY_SECONDS
        arguments["max_seconds"] = min(given, QUEUED_VERIFY_SECONDS)
    return celery_app(url, queue).send_task(name, kwargs=arguments, queue=queue).id


def _ingest_file(task, job_id: int, number: int) -> str:
    core = _worker_core(os.getpid())
    outcome = broker_jobs.handle_file(core, job_id, number)
    log.info("job %s file %s: %s", job_id, number, outcome)
    if outcome == "busy":
        _busy(task)
    if outcome == "pages":  # a scan (or a bundle's scans): its pages first, one message
        # each (sent again if this worker dies before its message is acknowledged: a page
        # is read once). A file's own page names no member: a worker of the version
        # before members, still running in a rolling upgrade, reads it as it did.
        _send_from(task, [(OCR_PAGE, [job_id, number, page, *([member] if member else [])])
                          for member, page in broker_jobs.pages_to_send(core, job_id, number)])  # fmt: skip
    return outcome


def _ocr_page(task, job_id: int, number: int, page: int, member: int = 0) -> str:
    """A page of file ``number`` (``member``: 0, the file's own page, which its message
    does not name; or the N-th member of the file, a bundle)."""
    outcome = broker_jobs.handle_page(_worker_core(os.getpid()), job_id, number, page, member)
    of = f" member {member}" if member else ""
    log.info("job %s file %s%s page %s: %s", job_id, number, of, page, outcome)
    if outcome == "busy":
        _busy(task)
    if outcome == "last":  # every page is read: the file is ingested with them
        _send_from(task, [(INGEST_FILE, [job_id, number])])
    return outcome


def _busy(task) -> None:
    """Another delivery holds the file or page. It may be a worker that just died, whose
    database connection the server has not yet closed: ask again shortly (the holder, if
    alive, finishes it, and the next try finds it done)."""
    wait = min(BUSY_RETRY_SECONDS * 2**task.request.retries, RETRY_MAX_SECONDS)
    raise task.retry(countdown=wait, max_retries=None)


def _send_from(task, messages: list[tuple[str, list]]) -> None:
    """Messages sent by a task, to its own queue."""
    queue = task.app.conf.task_default_queue
    with task.app.producer_or_acquire() as producer:
        for name, args in messages:
            task.app.send_task(name, args=args, queue=queue, producer=producer)


class BrokerJobRunner:
    """Jobs queued on the broker, one message per file, run by ``khlang worker``."""

    def __init__(self, core: Khlang, url: str | None = None, queue: str | None = None):
        self.core = core
        self.url = url or broker_url()
        if not self.url:
            raise ConfigError(
                f"{BROKER_SETTING} ไม่ได้ตั้งค่า (not set): the broker runner needs a broker"
            )
        self.queue = queue or queue_name()

    @property
    def app(self) -> Celery:
        return celery_app(self.url, self.queue)

    def _send(self, job_id: int, numbers: list[int]) -> None:
        """One message per file, then the job marked as wholly queued."""
        if numbers:
            with self.app.producer_or_acquire() as producer:
                for number in numbers:
                    self.app.send_task(
                        INGEST_FILE, args=[job_id, number], queue=self.queue, producer=producer
                    )
        broker_jobs.mark_enqueued(self.core, job_id)

    def start(self, paths, *, agent, item_code=None, source="upload", cleanup=None) -> int:
        job_id, numbers = broker_jobs.create_job(
            self.core, paths, agent=agent, item_code=item_code, source=source
        )
        if paths:  # KHLANG_HOLD_AT: crash tests only (a receiving server killed here)
            hold_at("enqueue", Path(paths[0]).name)
        # The files are in the spool now: the upload's own folder is not needed.
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        self._send(job_id, numbers)
        return job_id

    def run(
        self,
        paths,
        *,
        agent,
        item_code=None,
        progress=None,
        source="cli",
        timings=None,
        workers=1,
    ) -> list[FileResult]:
        """Queue the job (or take over a killed run of the same input) and follow it in
        the job table until it is over. ``workers`` and ``timings`` are the local runner's:
        here ``khlang worker`` processes do the work."""
        signature = job_signature(paths, item_code, agent)
        job_id = self._take_over(signature=signature)
        if job_id is None:
            job_id, numbers = broker_jobs.create_job(
                self.core,
                paths,
                agent=agent,
                item_code=item_code,
                source=source,
                signature=signature,
            )
            self._send(job_id, numbers)
        return self._follow(job_id, paths, progress)

    def _follow(self, job_id: int, paths, progress) -> list[FileResult]:
        """Each file's result as the workers record it, until the job is over."""
        shown = self._display_paths(job_id)
        results: list[FileResult] = []
        last = 0
        total = None
        moved, warned = time.monotonic(), False
        while True:
            with self.core.sessions() as session:
                batch = session.get(Batch, job_id)
                over = batch.status != "running"
                if total != batch.total and hasattr(progress, "set_total"):
                    total = batch.total
                    progress.set_total(total)
                new = session.scalars(
                    select(Submission)
                    .where(Submission.batch_id == job_id, Submission.id > last)
                    .order_by(Submission.id)
                ).all()
                for s in new:
                    results.append(_result(s, shown))
                    last = s.id
                    if progress is not None:
                        progress(results[-1])
            if over:
                return results
            if new:
                moved = time.monotonic()
            elif not warned and time.monotonic() - moved > QUIET_WARNING_SECONDS:
                warned = True
                log.warning(
                    "งาน %s ไม่คืบหน้ามา %d วินาที มี khlang worker ทำงานกับคิว %r อยู่หรือไม่ "
                    "(job %s: nothing done for %d s; is a khlang worker running on queue %r?)",
                    *(job_id, QUIET_WARNING_SECONDS, self.queue) * 2,
                )
            time.sleep(POLL_SECONDS)

    def _display_paths(self, job_id: int) -> dict[str, str]:
        with self.core.sessions() as session:
            specs = session.scalars(select(JobFile.source).where(JobFile.batch_id == job_id))
            return {spec["source_path"]: spec["display_path"] for spec in specs}

    def status(self, job_id: int) -> dict | None:
        # A lost worker's message is given to another worker by the broker. What asking
        # can still do is queue a job whose receiving server died before queueing it:
        # a waiting user's page polls here, on whichever server.
        with self.core.sessions() as session:
            batch = session.get(Batch, job_id)
            if batch is not None and batch.status == "running" and _stranded(batch.detail):
                self._send(job_id, broker_jobs.queued_files(self.core, job_id))
        return read_status(self.core, job_id)

    def resume_interrupted(self) -> list[int]:
        """Jobs whose receiving process died before their files were all queued, and jobs
        the local runner began whose process died: their files are queued (again)."""
        resumed = []
        with self.core.sessions() as session:
            running = session.scalars(select(Batch).where(Batch.status == "running")).all()
        for batch in running:
            # On another host: its receiving process cannot be checked, only timed out.
            if (batch.detail or {}).get("host") != socket.gethostname() and _stranded(batch.detail):
                self._send(batch.id, broker_jobs.queued_files(self.core, batch.id))
                resumed.append(batch.id)
        for batch in _interrupted(self.core):
            detail = batch.detail or {}
            if detail.get("runner") == "broker" and detail.get("enqueued"):
                continue
            if detail.get("runner") != "broker" and "paths" not in detail:
                continue  # a CLI run of the local runner: resumed by running it again
            if self._take_over(batch_id=batch.id) is not None:
                resumed.append(batch.id)
        # upload folders of requests that died before their job was recorded
        remove_stale_upload_folders(self.core)
        return resumed

    def _take_over(self, *, batch_id: int | None = None, signature: str | None = None):
        """Claim an interrupted job (by id, or the newest of an input's ``signature``) and
        queue its files not yet done; its id, or None when there is none to take."""
        if batch_id is None:
            found = [
                b.id
                for b in _interrupted(self.core, signature=signature)
                if (b.detail or {}).get("runner") == "broker"
            ]
            batch_id = found[0] if found else None
        if batch_id is None or not claim_interrupted(self.core, batch_id):
            return None
        with self.core.sessions() as session:
            detail = dict(session.get(Batch, batch_id).detail or {})
        if detail.get("runner") == "broker":
            numbers = broker_jobs.queued_files(self.core, batch_id)
        else:
            log.warning("job %s of a process that died goes to the broker's workers", batch_id)
            try:
                numbers = broker_jobs.adopt_job(self.core, batch_id, detail["paths"])
            except LookupError:  # the inventory item was deleted meanwhile
                with self.core.transaction() as session:
                    batch = session.get(Batch, batch_id)
                    batch.status = "failed"
                    batch.detail = {**detail, "error": f"inventory item {batch.item_code} gone"}
                return None
            if detail.get("upload_dir"):
                shutil.rmtree(detail["upload_dir"], ignore_errors=True)
        self._send(batch_id, numbers)
        return batch_id


def _stranded(detail: dict | None) -> bool:
    """A broker's job recorded but not queued, whose receiving process is gone, or which
    has waited ENQUEUE_GRACE_SECONDS (its server may be on another host). Queueing its
    files twice is harmless: a file is ingested once whatever its messages."""
    detail = detail or {}
    if detail.get("runner") != "broker" or detail.get("enqueued") or "recorded_at" not in detail:
        return False
    return owner_gone(detail) or time.time() - detail["recorded_at"] > ENQUEUE_GRACE_SECONDS


def _result(s: Submission, shown: dict[str, str]) -> FileResult:
    """A recorded outcome as the caller's FileResult, named by the path the caller gave."""
    path = shown.get(s.source_path) or s.source_path or s.original_name
    if s.bundle_path:
        path = f"{path}/{s.bundle_path}"
    return FileResult(
        path, s.status, s.document_id, s.sha256, s.error, s.bundle_path or s.original_name
    )


def run_worker(settings: Settings, *, concurrency: int, queue: str | None = None) -> None:
    """Consume Khlang's queue until stopped (SIGTERM: the files at hand are finished first,
    then the worker exits; their messages are acknowledged only when done)."""
    url = broker_url()
    if not url:
        raise ConfigError(f"{BROKER_SETTING} ไม่ได้ตั้งค่า (not set): a worker needs a broker")
    queue = queue or queue_name()
    # The pool's processes open this data directory and database whatever their caller's.
    os.environ["KHLANG_DATA_DIR"] = str(settings.data_dir)
    os.environ["KHLANG_DATABASE_URL"] = settings.database_url
    app = celery_app(url, queue)
    worker = app.Worker(
        queues=[queue],
        concurrency=concurrency,
        pool="prefork",
        loglevel="INFO",
        hostname=f"khlang-{os.getpid()}@{socket.gethostname()}",
        without_gossip=True,
        without_mingle=True,
        optimization="fair",
    )
    worker.start()
    raise SystemExit(worker.exitcode or 0)
