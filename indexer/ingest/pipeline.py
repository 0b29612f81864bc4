"""The ingestor: one batch (job) of files, each checked, staged, identified, extracted,
classified, stored and recorded one at a time, so one bad file never stops the batch.

    Ingestor.run          the batch: worker processes, files in order, the job's row
    steps.FileIngest      one file's way, step by step (receive, prepare, store, record, ...)
    events                the submission and provenance events each outcome leaves
    batches               the job's row, its counters and stage timings
    index_queue           new documents written to the search index in batches
    suggesting            inventory links suggested for new documents

``jobs`` runs an Ingestor as a job that survives being killed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from indexer.core import Khlang
from indexer.ingest import events
from indexer.ingest.batches import BatchRecord, Timings
from indexer.ingest.bundles import Processed, bundle_mime_or_none, expand_sources
from indexer.ingest.index_queue import IndexQueue
from indexer.ingest.indexing import IndexingProcess
from indexer.ingest.prepare import Prefetcher
from indexer.ingest.sources import REJECTED, FileResult, Source, unexpected_error
from indexer.ingest.steps import FileIngest
from indexer.ingest.suggesting import LinkSuggester
from indexer.inventory.items import resolve_item_code
from indexer.runtime.diskspace import is_no_space
from indexer.runtime.workers import worker_context
from schemas.models import Document

log = logging.getLogger(__name__)

# Below this many files, starting worker processes costs more than it saves.
PREFETCH_MIN_FILES = 16


class Ingestor:
    """Ingest files for one batch (job), recording a submission and events for each."""

    def __init__(
        self,
        core: Khlang,
        *,
        agent: str,
        item_code: str | None = None,
        batch_id: int | None = None,
        source: str = "cli",
        index: bool = True,
        index_every: int = 200,
        workers: int = 1,
    ):
        self.core = core
        self.agent = agent
        self.item_code = item_code
        self.source = source
        # Results an interrupted run of the same job already recorded, by
        # (source path, path in bundle): a resumed job skips them (see indexer.ingest.jobs).
        self.skip: dict[tuple, FileResult] = {}
        # Documents of those results that the interrupted run had not yet indexed.
        self.index_on_skip: set[int] = set()
        self.timings = Timings()
        self.index = IndexQueue(
            core, agent=agent, timings=self.timings, enabled=index, every=index_every
        )
        self.suggester = LinkSuggester(core, self.timings)
        # Worker processes that prepare (identify, extract, understand) files ahead, and
        # one that writes the search index meanwhile (large batches only).
        self.workers = workers
        self.prefetcher: Prefetcher | None = None
        self._progress: Callable[[FileResult], None] | None = None
        # The job's row shows the pages of the scan being read ("page 3/12"). Off on a
        # broker: there workers share the row, and the pages' own rows say it (job_pages).
        self.show_ocr_pages = True
        if item_code:
            with core.sessions() as session:
                # as typed ('inv-๒๕๖๒-k7m2qx'); LookupError when unknown or retired
                self.item_code = resolve_item_code(session, item_code)
        self.batch = BatchRecord(
            core, agent=agent, source=source, item_code=self.item_code, batch_id=batch_id
        )
        self.batch_id = self.batch.id

    # --- the batch ----------------------------------------------------------------------

    def run(
        self,
        items: Iterable[Source | FileResult],
        progress: Callable[[FileResult], None] | None = None,
    ) -> list[FileResult]:
        items = list(items)
        self._progress = progress
        results: list[FileResult] = []
        try:
            self.index.catch_up()
            self._run_items(items, results, progress)
            self.index.say_not_yet_searchable(results)
        except Exception as exc:
            # Each file's outcome is already committed; the job's row must say the job
            # failed rather than stay "running" for ever.
            log.exception("ingestion job %s failed", self.batch_id)
            self.fail(exc, results)
            raise
        self.finish(results)
        return results

    def _run_items(self, items: list, results: list[FileResult], progress) -> None:
        try:
            # Which files are bundles, asked once (libmagic on every ZIP-based office file):
            # both choosing what to prefetch and unpacking need it.
            bundle_mimes = [
                bundle_mime_or_none(i) if isinstance(i, Source) else None for i in items
            ]
            self._start_workers(items, bundle_mimes)
            for result in self.outcomes(items, bundle_mimes):
                results.append(result)
                self.index.flush_when_due()
                self.batch.count_done(len(results))
                if progress:
                    progress(result)
        finally:
            if self.prefetcher is not None:
                self.prefetcher.close()
                self.prefetcher = None
            self.suggester.suggest_passed_over(self.index.queue)
            self.index.close()

    def outcomes(self, items: list, bundle_mimes: list[str | None]) -> Iterator[FileResult]:
        """Each file's outcome in turn (a bundle's, then its members'), recorded: the
        batch's loop here, and one file of a job on a broker (indexer.ingest.broker_jobs)."""
        for item in expand_sources(self, items, bundle_mimes):
            if isinstance(item, Processed):
                yield item.result
            elif isinstance(item, FileResult):
                self._record_rejection(item)
                yield item
            else:
                yield self.ingest_one(item)

    def _start_workers(self, items: list, bundle_mimes: list[str | None]) -> None:
        """Worker processes for a large batch: plain files received and prepared ahead (not
        bundles, whose members exist only while they are unpacked, nor what an interrupted
        run of this job recorded), and one process writing the search index."""
        plain = [
            i
            for i, mime in zip(items, bundle_mimes, strict=True)
            if isinstance(i, Source)
            and (i.source_path, i.bundle_path) not in self.skip
            and mime is None
        ]
        if self.workers <= 1 or len(plain) < PREFETCH_MIN_FILES:
            return
        # the indexing process first: the prepare pool runs threads once started
        context = worker_context()
        if self.index.enabled:
            self.index.process = IndexingProcess(self.core.settings, context)
        self.prefetcher = Prefetcher(
            plain, self.workers, self.core.store, self.core.settings.max_file_size, context
        )

    def add_to_total(self, count: int) -> None:
        """A bundle was opened: its members join the job's expected total."""
        self.batch.add_to_total(count)
        self._tell_progress("add_total", count)

    def _tell_progress(self, event: str, value) -> None:
        """A progress display may also want to know which file is being worked on
        (``start``) and that a bundle added files (``add_total``)."""
        method = getattr(self._progress, event, None)
        if method is not None:
            method(value)

    def fail(self, exc: Exception, results: list[FileResult]) -> None:
        """Mark the job failed with the reason (each file's own outcome is committed)."""
        try:
            self.finish(results, status="failed", error=repr(exc))
        except Exception:
            log.exception("could not mark job %s failed", self.batch_id)

    def finish(self, results: list[FileResult], status: str = "finished", error=None) -> None:
        self.batch.finish(results, status, error, index_deferred=self.index.deferred)

    # --- one file -----------------------------------------------------------------------

    def ingest_one(self, source: Source) -> FileResult:
        """Ingest one file. Whatever goes wrong becomes this file's rejection with its
        reason, so that one file can never stop the batch."""
        self._tell_progress("start", source.display_path)
        try:
            return FileIngest(self, source).run()
        except Exception as exc:
            if is_no_space(exc):  # the operator's to fix, not a bug: no traceback
                log.error("ingesting %s failed: disk full (%s)", source.display_path, exc)
            else:
                log.exception("ingesting %s failed", source.display_path)
            return self.reject(source, unexpected_error(exc))

    def reject(self, source: Source, error: str, sha256: str | None = None) -> FileResult:
        """Refuse one file with its reason; recorded, and the batch goes on."""
        name = source.bundle_path or source.original_name
        result = FileResult(
            source.display_path, REJECTED, sha256=sha256, error=error, filename=name
        )
        self._record_rejection(result, source)
        return result

    def _record_rejection(self, result: FileResult, source: Source | None = None) -> None:
        try:
            events.write_rejection(
                self.core, result, source, agent=self.agent, batch_id=self.batch_id
            )
        except Exception as exc:
            # The result still reaches the caller; only its record is lost.
            if is_no_space(exc):
                log.error("could not record the rejection of %s: disk full", result.path)
            else:
                log.exception("could not record the rejection of %s", result.path)

    def drop_from_listing(self, document_id: int, names: list[str]) -> None:
        """Take the members refused from a bundle's listing (its text), and index it anew."""
        refused = set(names)
        with self.core.transaction() as session:
            bundle = session.get(Document, document_id)
            lines = (bundle.text or "").splitlines()
            kept = [line for line in lines if line not in refused]
            if len(kept) == len(lines):
                return
            bundle.text = "\n".join(kept)
            bundle.indexed_version = None  # stale until written again
        if document_id not in self.index:
            self.index.queue(document_id)
