"""Batch bookkeeping: the job's row (``Batch``), its counters, and where its time went.

Each file's own outcome is committed by the per-file flow; the job's row only says what
the job as a whole is doing (running, finished, failed), how far it got, and what a
progress display or ``khlang job`` shows of it.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager

from sqlalchemy import update

from indexer.core import Khlang
from indexer.ingest.sources import FileResult
from indexer.runtime.diskspace import is_no_space
from schemas.models import Batch, utcnow

log = logging.getLogger(__name__)


@contextmanager
def _unless_disk_full(what: str):
    """The job row's bookkeeping gives way to a full disk: each file's outcome is already
    committed (or its rejection says "no space"), and the row is mended by the next run of
    the same job, or by the service's resume. A traceback here would hide the reason (a
    SQLite write-ahead log with no room to grow fails exactly these small commits)."""
    try:
        yield
    except Exception as exc:
        if not is_no_space(exc):
            raise
        log.error("the job's %s was not recorded: disk full (%s)", what, exc)


class Timings(dict[str, float]):
    """Seconds spent per stage over the batch, for ``make bench`` (cheap enough to keep
    on): ``stage`` times this process's own work, ``add_work`` adds what a worker process
    reports (under "<stage> (work)")."""

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - started

    def add_work(self, timings: dict[str, float]) -> None:
        for stage, seconds in timings.items():
            self.add(f"{stage} (work)", seconds)

    def add(self, name: str, seconds: float) -> None:
        self[name] = self.get(name, 0.0) + seconds


class BatchRecord:
    """The job's row: created (or, for a resumed job, found) when the ingestor starts."""

    def __init__(
        self,
        core: Khlang,
        *,
        agent: str,
        source: str,
        item_code: str | None,
        batch_id: int | None = None,
    ):
        self.core = core
        self.id = batch_id or self._new(agent, source, item_code)
        self._counted_at = 0.0

    def _new(self, agent: str, source: str, item_code: str | None) -> int:
        with self.core.transaction() as session:
            batch = Batch(agent=agent, source=source, item_code=item_code)
            batch.detail = {"pid": os.getpid()}
            session.add(batch)
            session.flush()
            return batch.id

    def count_done(self, done: int) -> None:
        """Keep the job's counter roughly current (at most once a second: a transaction per
        file cost more than small files take to ingest). Each file's own outcome is already
        committed; the counter is only for progress displays."""
        now = time.monotonic()
        if now - self._counted_at < 1.0:
            return
        self._counted_at = now
        with _unless_disk_full("progress"), self.core.transaction() as session:
            session.get(Batch, self.id).done = done

    def show_ocr_pages(self, name: str | None, read: int = 0, total: int = 0) -> None:
        """The file whose pages are being read by OCR and how many are read (None: no
        file now), for the job's status ("page 3/12"). A page takes seconds: one small
        transaction each is nothing beside it."""
        current = {"path": name, "read": read, "pages": total} if name else None
        with _unless_disk_full("progress"), self.core.transaction() as session:
            batch = session.get(Batch, self.id)
            batch.detail = {**(batch.detail or {}), "ocr_pages": current}

    def add_to_total(self, count: int) -> None:
        """A bundle was opened: its members join the job's expected total."""
        # One UPDATE, not read-then-write: on a broker, several workers open bundles of
        # the same job at once.
        with self.core.transaction() as session:
            session.execute(
                update(Batch).where(Batch.id == self.id).values(total=Batch.total + count)
            )

    def finish(
        self,
        results: list[FileResult],
        status: str = "finished",
        error: str | None = None,
        *,
        index_deferred: bool = False,
    ) -> None:
        with _unless_disk_full("end"), self.core.transaction() as session:
            batch = session.get(Batch, self.id)
            batch.status = status
            batch.done = len(results)
            batch.finished_at = utcnow()
            batch.total = max(batch.total, len(results))
            counts: dict[str, int] = {}
            for result in results:
                counts[result.status] = counts.get(result.status, 0) + 1
            batch.detail = {**(batch.detail or {}), "counts": counts}
            if index_deferred:
                # the job's status then says which of its files are not yet searchable
                batch.detail = {**batch.detail, "index_deferred": True}
            if error:
                batch.detail = {**batch.detail, "error": error}
