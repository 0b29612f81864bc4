"""The batch's way into the search index: new documents are queued and written in batches
(Whoosh commits are expensive), by this process or by the batch's indexing process.

The database stays the source of truth: a document not written yet is marked unindexed,
so a crash or a full disk leaves it for the next run (``catch_up``) or
``khlang reindex --if-needed``, never lost.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from sqlalchemy import select

from indexer.core import Khlang
from indexer.ingest.batches import Timings
from indexer.ingest.indexing import IndexingProcess, index_documents
from indexer.ingest.sources import FileResult
from indexer.runtime.diskspace import NOT_YET_SEARCHABLE, is_no_space
from schemas.models import Document

log = logging.getLogger(__name__)

# An idle indexing process gets batches from this size on, not only full ones (index_every):
# the last batch of a job, indexed while nothing else runs, is then small. Whoosh spends
# ~15% more CPU a document in batches of 50 than of 200, but a busy indexing process is
# never idle, so its batches grow back to full ones when CPU is short.
INDEX_WHEN_IDLE = 50
# Documents left unindexed by earlier runs that one run indexes first (the rest, the next).
CATCH_UP_PER_RUN = 2000


class IndexQueue:
    """Documents of the batch waiting to be written to the search index."""

    def __init__(self, core: Khlang, *, agent: str, timings: Timings, enabled: bool, every: int):
        self.core = core
        self.agent = agent
        self.timings = timings
        self.enabled = enabled
        self.every = every
        self.deferred = False  # the disk filled up while indexing (see _deferred_when_disk_full)
        # the batch's indexing process (large batches only, see Ingestor._start_workers)
        self.process: IndexingProcess | None = None
        self._pending: list[int] = []

    def __contains__(self, document_id: int) -> bool:
        return document_id in self._pending

    def queue(self, document_id: int) -> None:
        if self.enabled:
            self._pending.append(document_id)

    def flush_when_due(self) -> None:
        """Between files, not inside one: an indexing error concerns the whole batch
        queued, and must fail the job, not become the rejection of the file at hand."""
        pending = len(self._pending)
        if pending >= self.every or (
            pending >= INDEX_WHEN_IDLE and self.process is not None and self.process.idle
        ):
            self.flush()

    def flush(self) -> None:
        """Write queued documents to the search index in one commit (a crash before this
        leaves them marked unindexed for reindex --if-needed), in the indexing process when
        there is one (then only its previous batch is waited for)."""
        if not self._pending:
            return
        ids, self._pending = self._pending, []
        with self.timings.stage("index"), self._deferred_when_disk_full():
            if self.process is not None:
                self.timings.add("index (work)", self.process.submit(ids, agent=self.agent))
            else:
                index_documents(self.core, ids, agent=self.agent)

    def close(self) -> None:
        """At the end of the batch: write what is queued, then wait for the indexing
        process to finish its work and stop."""
        try:
            self.flush()
        finally:
            if self.process is not None:
                with self.timings.stage("index"), self._deferred_when_disk_full():
                    self.timings.add("index (work)", self.process.close())
                self.process = None

    @contextmanager
    def _deferred_when_disk_full(self):
        """A full disk while indexing does not end the job: what is stored stays stored
        and marked unindexed, each such file says so (``say_not_yet_searchable``), and
        the next ingest or service start indexes them (``catch_up``)."""
        try:
            yield
        except Exception as exc:
            if not is_no_space(exc):
                raise
            log.error("search index write failed, disk full: %r; indexing deferred", exc)
            self.enabled = False  # the rest of this run would fail the same way
            self._pending = []
            self.deferred = True

    def say_not_yet_searchable(self, results: list[FileResult]) -> None:
        ids = {r.document_id for r in results if r.document_id is not None}
        if not self.deferred or not ids:
            return
        with self.core.sessions() as session:
            unindexed = set(
                session.scalars(
                    select(Document.id).where(
                        Document.id.in_(ids), Document.indexed_version.is_(None)
                    )
                )
            )
        for result in results:
            if result.document_id in unindexed and NOT_YET_SEARCHABLE not in result.warnings:
                result.warnings.append(NOT_YET_SEARCHABLE)

    def catch_up(self) -> None:
        """Queue documents an earlier run stored but could not index (a full disk, a killed
        process), a bounded number per run, so that they become searchable without a
        manual ``reindex``."""
        if not self.enabled:
            return
        with self.core.sessions() as session:
            left = session.scalars(
                select(Document.id)
                .where(Document.indexed_version.is_(None))
                .order_by(Document.id)
                .limit(CATCH_UP_PER_RUN)
            ).all()
        self._pending.extend(left)
