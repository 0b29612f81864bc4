"""The JobRunner seam: where a job of files runs, how its progress is read, and how it is
resumed after a crash. Callers (the upload API, ``khlang ingest``, the service's start-up)
go through ``job_runner(core)`` and these four methods only:

    runner = job_runner(core)
    job_id = runner.start(paths, agent=..., cleanup=upload_dir)  # returns at once
    runner.status(job_id)                                         # counts and files so far
    results = runner.run(paths, agent=..., progress=bar)          # waits for the end
    runner.resume_interrupted()                                   # jobs whose process died

Today's runner, ``LocalJobRunner``, runs a job inside the process that received it (a
thread for an upload; worker processes prepare the files of a large CLI batch) and resumes
a job whose process is gone from what it recorded (``indexer.ingest.jobs``). A runner that
hands jobs to a broker (``broker_runner.BrokerJobRunner``, cluster mode) implements the
same methods, joins ``RUNNERS`` and is chosen in ``job_runner`` when ``KHLANG_BROKER_URL``
is set; tests/test_job_runner.py runs against every runner in ``RUNNERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from indexer.core import Khlang
from indexer.ingest import jobs
from indexer.ingest.sources import FileResult
from schemas.config import setting


class JobRunner(Protocol):
    """Runs ingestion jobs. A job is a ``Batch`` row: its id, status and files are what
    ``status`` reports, whichever runner ran it."""

    def start(
        self,
        paths: Sequence[str],
        *,
        agent: str,
        item_code: str | None = None,
        source: str = "upload",
        cleanup: Path | None = None,
    ) -> int:
        """Start ingesting ``paths`` as a new job and return its id at once. ``cleanup``
        is the folder holding the files: kept until the job is over (a resumed job reads
        them again), then removed. LookupError when ``item_code`` names no active item."""
        ...

    def run(
        self,
        paths: Sequence[str],
        *,
        agent: str,
        item_code: str | None = None,
        progress: Callable[[FileResult], None] | None = None,
        source: str = "cli",
        timings: dict[str, float] | None = None,
        workers: int = 1,
    ) -> list[FileResult]:
        """Ingest ``paths`` as one job and wait for it, calling ``progress`` with each
        file's result (and, when it has them, ``progress.set_total``, ``.start`` and
        ``.add_total``). The same input again resumes a killed run of the same job."""
        ...

    def status(self, job_id: int) -> dict | None:
        """The job's status, counts, total and per-file results so far; None when there is
        no such job."""
        ...

    def resume_interrupted(self) -> list[int]:
        """Resume the started jobs whose process died; the ids of those resumed."""
        ...


class LocalJobRunner:
    """Jobs run in this process: ``indexer.ingest.jobs`` does the work."""

    def __init__(self, core: Khlang):
        self.core = core

    def start(self, paths, *, agent, item_code=None, source="upload", cleanup=None) -> int:
        return jobs.start_background_job(
            self.core, paths, agent=agent, item_code=item_code, source=source, cleanup=cleanup
        )

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
        return jobs.run_ingest_job(
            self.core,
            paths,
            agent=agent,
            item_code=item_code,
            progress=progress,
            source=source,
            timings=timings,
            workers=workers,
        )

    def status(self, job_id: int) -> dict | None:
        # An upload job whose process died is resumed here: asking is what a waiting user does.
        return jobs.job_status(self.core, job_id)

    def resume_interrupted(self) -> list[int]:
        return jobs.resume_interrupted_uploads(self.core)


def broker_runner(core: Khlang) -> JobRunner:
    """Jobs on a message broker, run by `khlang worker` (cluster mode; broker_runner)."""
    from indexer.ingest.broker_runner import BrokerJobRunner  # Celery only when used

    return BrokerJobRunner(core)


# Every runner there is, by name: the interface tests run against each.
RUNNERS: dict[str, Callable[[Khlang], JobRunner]] = {
    "local": LocalJobRunner,
    "broker": broker_runner,
}


def job_runner(core: Khlang) -> JobRunner:
    """The runner this installation's jobs go through: on the broker when
    ``KHLANG_BROKER_URL`` is set (cluster mode), else in this process (the default)."""
    if setting("KHLANG_BROKER_URL").strip():
        return broker_runner(core)
    return LocalJobRunner(core)
