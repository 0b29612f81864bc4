"""Ingestion: every file that arrives is checked, staged, identified, extracted, classified,
stored and recorded, one file at a time, so one bad file never stops the batch.

The order matters for safety. A file is first copied into a staging file inside the store
(hashing it on the way). Only when it is known to be sound does the staged copy become an
object (atomic rename), and only then is the database transaction that creates the document,
its submission and all its events committed. A crash at any point leaves either nothing
acknowledged, or an object with no document yet (reported by ``khlang verify`` as orphan and
adopted by the next ingestion of the same bytes), never a document without its events.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from archive import FileTooLarge, Staged
from indexer.core import Khlang
from indexer.extract import Extraction
from indexer.ingest.bundles import Processed, bundle_mime_or_none, expand_sources
from indexer.ingest.identify import libmagic_version
from indexer.ingest.indexing import IndexingProcess, index_documents
from indexer.ingest.prepare import Prefetcher, Prepared, prepare
from indexer.ingest.sources import (
    DUPLICATE,
    INGESTED,
    REJECTED,
    WITHOUT_TEXT,
    FileResult,
    Source,
    message,
    unexpected_error,
)
from indexer.inventory.items import resolve_item_code
from indexer.inventory.links import is_container, link_document
from indexer.inventory.suggest import auto_link_suggestions
from indexer.preserve import searchable
from indexer.preserve.replication import record_replication
from indexer.records import provenance as ev
from indexer.records.documents import letter_key
from indexer.runtime.diskspace import NO_SPACE, NOT_YET_SEARCHABLE, is_no_space
from indexer.runtime.workers import worker_context
from schemas.models import Batch, Document, InventoryItem, Submission, utcnow

log = logging.getLogger(__name__)


def _receive_error(exc: OSError) -> str:
    """Why a file could not be received: a full store is the operator's to fix, not the file's."""
    if is_no_space(exc):
        return NO_SPACE
    return message("unreadable", reason=exc.strerror)


# How long "there is no inventory" is believed before the database is asked again.
INVENTORY_RECHECK = 5.0  # seconds

# Below this many files, starting worker processes costs more than it saves.
PREFETCH_MIN_FILES = 16
# An idle indexing process gets batches from this size on, not only full ones (index_every):
# the last batch of a job, indexed while nothing else runs, is then small. Whoosh spends
# ~15% more CPU a document in batches of 50 than of 200, but a busy indexing process is
# never idle, so its batches grow back to full ones when CPU is short.
INDEX_WHEN_IDLE = 50
# Documents left unindexed by earlier runs that one run indexes first (the rest, the next).
CATCH_UP_PER_RUN = 2000


# Statements run for every file, built once: values given as parameters, so that SQLAlchemy
# reuses their compiled form (values built into a statement were coerced and hashed into
# its cache key on every call: a millisecond a file of the ingestor's CPU).
_INSERT_DOCUMENT = insert(Document.__table__).returning(Document.id)
_INSERT_SUBMISSION = insert(Submission.__table__).returning(Submission.id)
_DOCUMENT_BY_SHA256 = select(Document.id).where(Document.sha256 == bindparam("sha256"))

# Titles office programs write into file properties by default; they name nothing.
GENERIC_TITLES = re.compile(
    r"^(word document|microsoft word.*|untitled.*|document\d*|presentation\d*|"
    r"powerpoint presentation|book\d*|sheet\d*|slide \d+|เอกสาร\d*|ไม่มีชื่อ.*)$",
    re.IGNORECASE,
)


def derive_title(extraction: Extraction, understood_title: str | None, name: str) -> str:
    """The letter's subject or heading, else a real property title, else the first line."""
    for candidate in (understood_title, extraction.title):
        if candidate and candidate.strip() and not GENERIC_TITLES.match(candidate.strip()):
            return candidate.strip()[:500]
    for line in extraction.text.splitlines():
        line = line.strip(" *#\t")
        if len(line) >= 4:
            return line[:200]
    return name


def _unpacked_detail(source: Source) -> dict:
    return {
        "tool": source.bundle_tool,
        "bundle_document_id": source.bundle_document_id,
        "bundle_sha256": source.bundle_sha256,
        "path_in_bundle": source.bundle_path,
    }


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
        self.index_enabled = index
        self.index_every = index_every
        self._pending_index: list[int] = []
        self._index_deferred = False  # the disk filled up while indexing (see flush_index)
        # Results an interrupted run of the same job already recorded, by
        # (source path, path in bundle): a resumed job skips them (see indexer.ingest.jobs).
        self.skip: dict[tuple, FileResult] = {}
        # Documents of those results that the interrupted run had not yet indexed.
        self.index_on_skip: set[int] = set()
        # Seconds spent per stage over the batch, for `make bench` (cheap enough to keep on).
        self.timings: dict[str, float] = {}
        # Worker processes that prepare (identify, extract, understand) files ahead, and
        # one that writes the search index meanwhile (large batches only).
        self.workers = workers
        self._prefetcher: Prefetcher | None = None
        self._indexing: IndexingProcess | None = None
        self._counted_at = 0.0
        # see _suggest_links
        self._no_inventory_since = float("-inf")
        self._passed_over: list[int] = []
        self._progress: Callable[[FileResult], None] | None = None
        if item_code:
            with core.sessions() as session:
                # as typed ('inv-๒๕๖๒-k7m2qx'); LookupError when unknown or retired
                self.item_code = resolve_item_code(session, item_code)
        self.batch_id = batch_id or self._new_batch()

    def _new_batch(self) -> int:
        with self.core.transaction() as session:
            batch = Batch(agent=self.agent, source=self.source, item_code=self.item_code)
            batch.detail = {"pid": os.getpid()}
            session.add(batch)
            session.flush()
            return batch.id

    # --- batch level --------------------------------------------------------------------

    def run(
        self,
        items: Iterable[Source | FileResult],
        progress: Callable[[FileResult], None] | None = None,
    ) -> list[FileResult]:
        items = list(items)
        self._progress = progress
        results: list[FileResult] = []
        try:
            self._catch_up_unindexed()
            self._run_items(items, results, progress)
            self._say_not_yet_searchable(results)
        except Exception as exc:
            # Each file's outcome is already committed; the job's row must say the job
            # failed rather than stay "running" for ever.
            log.exception("ingestion job %s failed", self.batch_id)
            self.fail(exc, results)
            raise
        self.finish(results)
        return results

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
        if self.index_enabled:
            self._indexing = IndexingProcess(self.core.settings, context)
        self._prefetcher = Prefetcher(
            plain, self.workers, self.core.store, self.core.settings.max_file_size, context
        )

    def _run_items(self, items: list, results: list[FileResult], progress) -> None:
        try:
            # Which files are bundles, asked once (libmagic on every ZIP-based office file):
            # both choosing what to prefetch and unpacking need it.
            bundle_mimes = [
                bundle_mime_or_none(i) if isinstance(i, Source) else None for i in items
            ]
            self._start_workers(items, bundle_mimes)
            for item in expand_sources(self, items, bundle_mimes):
                if isinstance(item, Processed):
                    result = item.result
                elif isinstance(item, FileResult):
                    self._record_rejection(item)
                    result = item
                else:
                    result = self.ingest_one(item)
                results.append(result)
                self._flush_index_when_due()
                self._count_done(len(results))
                if progress:
                    progress(result)
        finally:
            if self._prefetcher is not None:
                self._prefetcher.close()
                self._prefetcher = None
            self._suggest_passed_over()
            try:
                self.flush_index()
            finally:
                if self._indexing is not None:
                    with self._stage("index"), self._deferred_when_disk_full():
                        self._add_index_work(self._indexing.close())
                    self._indexing = None

    def _count_done(self, done: int) -> None:
        """Keep the job's counter roughly current (at most once a second: a transaction per
        file cost more than small files take to ingest). Each file's own outcome is already
        committed; the counter is only for progress displays."""
        now = time.monotonic()
        if now - self._counted_at < 1.0:
            return
        self._counted_at = now
        with self.core.transaction() as session:
            session.get(Batch, self.batch_id).done = done

    def add_to_total(self, count: int) -> None:
        """A bundle was opened: its members join the job's expected total."""
        with self.core.transaction() as session:
            session.get(Batch, self.batch_id).total += count
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
        with self.core.transaction() as session:
            batch = session.get(Batch, self.batch_id)
            batch.status = status
            batch.done = len(results)
            batch.finished_at = utcnow()
            batch.total = max(batch.total, len(results))
            counts: dict[str, int] = {}
            for result in results:
                counts[result.status] = counts.get(result.status, 0) + 1
            batch.detail = {**(batch.detail or {}), "counts": counts}
            if self._index_deferred:
                # the job's status then says which of its files are not yet searchable
                batch.detail = {**batch.detail, "index_deferred": True}
            if error:
                batch.detail = {**batch.detail, "error": error}

    @contextmanager
    def _stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    # --- one file -----------------------------------------------------------------------

    def ingest_one(self, source: Source) -> FileResult:
        """Ingest one file. Whatever goes wrong becomes this file's rejection with its
        reason, so that one file can never stop the batch."""
        self._tell_progress("start", source.display_path)
        try:
            return self._ingest_one(source)
        except Exception as exc:
            if is_no_space(exc):  # the operator's to fix, not a bug: no traceback
                log.error("ingesting %s failed: disk full (%s)", source.display_path, exc)
            else:
                log.exception("ingesting %s failed", source.display_path)
            return self._reject(source, unexpected_error(exc))

    def _ingest_one(self, source: Source) -> FileResult:
        previous = self.skip.get((source.source_path, source.bundle_path))
        if previous is not None:
            if previous.document_id in self.index_on_skip:
                self.index_on_skip.discard(previous.document_id)
                self._queue_index(previous.document_id)
            return previous
        problem = self._precheck(source)
        ready = self._prefetcher.take(source) if self._prefetcher is not None else None
        if problem:
            self._drop(ready)
            return self._reject(source, problem)
        if ready is not None:
            self._add_work_timings(ready)
            staged = ready.staged
        else:
            try:
                staged = self._receive(source)
            except FileTooLarge:
                limit = f"{self.core.settings.max_file_size:,}"
                return self._reject(source, message("too-large", limit=limit))
            except OSError as exc:
                return self._reject(source, _receive_error(exc))
        try:
            existing = self._existing_document_id(staged.sha256)
            if existing is not None:
                return self._record_duplicate(existing, staged, source)
            return self._ingest_new(staged, source, ready)
        finally:
            self.core.store.discard(staged)  # no-op once committed (the file has moved)

    def _receive(self, source: Source) -> Staged:
        with self._stage("receive"):
            return self.core.store.stage_file(
                source.local_path, max_size=self.core.settings.max_file_size
            )

    def _drop(self, ready: Prepared | None) -> None:
        """A prefetched file the ingestor refuses after all: its staged copy goes."""
        if ready is not None and ready.staged is not None:
            self.core.store.discard(ready.staged)

    def _add_work_timings(self, prepared: Prepared) -> None:
        for stage, seconds in prepared.timings.items():
            self.timings[f"{stage} (work)"] = self.timings.get(f"{stage} (work)", 0.0) + seconds

    def _precheck(self, source: Source) -> str | None:
        path = source.local_path
        try:
            info = path.stat()
        except OSError as exc:
            return message("unreadable", reason=exc.strerror)
        if not path.is_file():
            return message("not-a-file")
        if info.st_size == 0:
            return message("zero-byte")
        if info.st_size > self.core.settings.max_file_size:
            return message("too-large", limit=f"{self.core.settings.max_file_size:,}")
        if not os.access(path, os.R_OK):
            return message("unreadable", reason="permission denied")
        return None

    def _existing_document_id(self, sha256: str) -> int | None:
        with self.core.engine.connect() as connection:
            return connection.execute(_DOCUMENT_BY_SHA256, {"sha256": sha256}).scalar()

    def _submission_values(
        self, source: Source, status: str, sha256: str | None, error: str | None = None
    ) -> dict:
        return {
            "batch_id": self.batch_id,
            "submitted_by": self.agent,
            "original_name": source.original_name,
            "bundle_path": source.bundle_path,
            "source_path": source.source_path,
            "status": status,
            "sha256": sha256,
            # why a file was stored without text: the job's status shows it, as the CLI does
            "error": error,
        }

    def _new_submission(self, source: Source, status: str, sha256: str | None) -> Submission:
        return Submission(**self._submission_values(source, status, sha256))

    def _reject(self, source: Source, error: str, sha256: str | None = None) -> FileResult:
        """Refuse one file with its reason; recorded, and the batch goes on."""
        name = source.bundle_path or source.original_name
        result = FileResult(
            source.display_path, REJECTED, sha256=sha256, error=error, filename=name
        )
        self._record_rejection(result, source)
        return result

    def _record_rejection(self, result: FileResult, source: Source | None = None) -> None:
        try:
            self._write_rejection(result, source)
        except Exception as exc:
            # The result still reaches the caller; only its record is lost.
            if is_no_space(exc):
                log.error("could not record the rejection of %s: disk full", result.path)
            else:
                log.exception("could not record the rejection of %s", result.path)

    def _write_rejection(self, result: FileResult, source: Source | None) -> None:
        with self.core.transaction() as session:
            submission = Submission(
                batch_id=self.batch_id,
                submitted_by=self.agent,
                original_name=(source.original_name if source else result.filename) or result.path,
                bundle_path=source.bundle_path if source else None,
                source_path=source.source_path if source else result.path,
                status=REJECTED,
                error=result.error,
                sha256=result.sha256,
            )
            session.add(submission)
            session.flush()
            ev.record(
                session,
                ev.REJECTED,
                agent=self.agent,
                submission=submission,
                batch_id=self.batch_id,
                outcome="failure",
                path=result.path,
                reason=result.error,
            )

    def _record_duplicate(self, document_id: int, staged: Staged, source: Source) -> FileResult:
        # The bytes may be known while the object went missing (restored from a backup of
        # the database, say) or went bad on disk: the arrival, whose hash was checked as it
        # was staged, then heals the store.
        state = self.core.store.check(staged.sha256)
        healed = state != "ok"
        if healed:
            self.core.store.replace(staged)
        with self.core.transaction() as session:
            document = session.get(Document, document_id)
            submission = self._new_submission(source, DUPLICATE, staged.sha256)
            submission.document = document
            session.add(submission)
            session.flush()
            ev.record(
                session,
                ev.RECEIVED,
                agent=self.agent,
                document=document,
                submission=submission,
                batch_id=self.batch_id,
                outcome="duplicate",
                original_name=source.original_name,
                bundle_path=source.bundle_path,
                bundle_sha256=source.bundle_sha256,
                source_path=source.source_path,
                restored_object=healed,
            )
            if healed:
                self._record_repair(session, document, submission, staged, state)
            if source.bundle_document_id:
                self._record_unpacked(session, document, submission, source)
            self._link_requested(session, document)
            name = document.filename
        return FileResult(source.display_path, DUPLICATE, document_id, staged.sha256, filename=name)

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
        if document_id not in self._pending_index:
            self._queue_index(document_id)

    def _record_repair(self, session, document, submission, staged: Staged, state: str) -> None:
        lost = "หาย" if state == "missing" else "เสียหาย"
        ev.record(
            session,
            ev.STORED,
            outcome="repaired",
            tool="khlang object store",
            sha256=staged.sha256,
            size=staged.size,
            replaced=state,
            message=f"ไฟล์ต้นฉบับ{lost} จึงใช้สำเนาที่ได้รับใหม่ซึ่งตรวจค่า sha256 แล้วแทน "
            f"(the stored object was {state}; replaced by this verified copy)",
            agent=self.agent,
            document=document,
            submission=submission,
        )

    def _record_unpacked(self, session, document, submission, source: Source) -> None:
        ev.record(
            session,
            ev.UNPACKED_FROM,
            agent=self.agent,
            document=document,
            submission=submission,
            **_unpacked_detail(source),
        )

    def _link_requested(self, session, document: Document) -> None:
        if not self.item_code or is_container(document):
            return  # a bundle's members are linked, each on its own
        item = session.scalar(select(InventoryItem).where(InventoryItem.code == self.item_code))
        link_document(session, document, item, agent=self.agent, method="manual")

    def _ingest_new(self, staged: Staged, source: Source, ready: Prepared | None) -> FileResult:
        name = source.bundle_path or source.original_name
        prepared = ready
        if prepared is None:
            with self._stage("prepare"):
                prepared = prepare(staged.path, source.original_name, name)
            self._add_work_timings(prepared)
        if prepared.error is not None:
            return self._reject(source, prepared.error, staged.sha256)
        identification = prepared.identification
        extraction = prepared.extraction
        understanding = prepared.understanding
        with self._stage("store"):
            stored = self.core.store.commit(staged)
            derived = searchable.make_copy(self.core, stored.path, extraction.ocr_layers)
        status = INGESTED if extraction.text.strip() else WITHOUT_TEXT
        error = extraction.no_text_reason if status == WITHOUT_TEXT else None
        metadata = dict(understanding.metadata) if understanding else {"kind": "other"}
        if extraction.metadata:
            metadata["technical"] = extraction.metadata
        document = dict(
            sha256=stored.sha256,
            size=stored.size,
            mime=identification.mime,
            category=identification.category,
            kind=understanding.kind if understanding else "other",
            title=derive_title(extraction, understanding and understanding.title, name),
            filename=name,
            text=extraction.text,
            text_status="extracted" if status == INGESTED else "none",
            metadata=metadata,
            fiscal_year=understanding.fiscal_year if understanding else None,
            document_date=understanding.document_date if understanding else None,
            letter_number=letter_key((metadata.get("letter") or {}).get("number_normalized")),
        )
        try:
            # Core statements, not ORM objects: this runs once for every file of a bulk
            # ingestion, and the ORM's unit of work was most of the ingestor's own CPU.
            with self._stage("commit"), self.core.transaction() as session:
                document_id = session.execute(_INSERT_DOCUMENT, document).scalar_one()
                values = self._submission_values(source, status, stored.sha256, error)
                submission_id = session.execute(
                    _INSERT_SUBMISSION, {"document_id": document_id, **values}
                ).scalar_one()
                ev.record_rows(
                    session,
                    self._new_event_rows(
                        document_id,
                        submission_id,
                        source,
                        identification,
                        stored,
                        extraction,
                        understanding,
                    )
                    + (
                        [
                            searchable.event_row(
                                derived,
                                agent=self.agent,
                                document_id=document_id,
                                submission_id=submission_id,
                            )
                        ]
                        if derived
                        else []
                    ),
                )
                if self.item_code:
                    self._link_requested(session, session.get(Document, document_id))
        except IntegrityError:
            # Another process stored the same bytes a moment ago: this is a duplicate.
            existing = self._existing_document_id(stored.sha256)
            if existing is None:
                raise
            return self._record_duplicate(existing, staged, source)
        if self.core.replica is not None:
            # The second copy is made and read back before the file counts as done; an
            # unreachable replica leaves it "pending" for `khlang replicate`.
            with self._stage("replicate"):
                record_replication(
                    self.core, document_id, stored.sha256, agent=self.agent, batch_id=self.batch_id
                )
        if not self.item_code and status == INGESTED:
            self._suggest_links(document_id)
        self._queue_index(document_id)
        warnings = [identification.warning] if identification.warning else []
        warnings += extraction.warnings
        return FileResult(
            source.display_path, status, document_id, stored.sha256, error, name, warnings
        )

    def _new_event_rows(
        self,
        document_id: int,
        submission_id: int,
        source: Source,
        identification,
        stored,
        extraction,
        understanding,
    ) -> list[dict]:
        """The provenance of a new document: received, (unpacked-from), identified,
        (format-warning), stored, extracted, (ocr-skipped), classified (indexed follows)."""
        common = {"agent": self.agent, "document_id": document_id, "submission_id": submission_id}
        rows = [
            ev.row(
                ev.RECEIVED,
                batch_id=self.batch_id,
                original_name=source.original_name,
                bundle_path=source.bundle_path,
                source_path=source.source_path,
                size=stored.size,
                **common,
            )
        ]
        if source.bundle_document_id:
            rows.append(ev.row(ev.UNPACKED_FROM, **_unpacked_detail(source), **common))
        rows.append(
            ev.row(
                ev.IDENTIFIED,
                tool=libmagic_version(),
                mime=identification.mime,
                category=identification.category,
                description=identification.description,
                **common,
            )
        )
        if identification.warning:
            rows.append(
                ev.row(
                    ev.FORMAT_WARNING,
                    outcome="warning",
                    tool=libmagic_version(),
                    message=identification.warning,
                    extension_mime=identification.extension_mime,
                    **common,
                )
            )
        rows.append(
            ev.row(
                ev.STORED,
                tool="khlang object store",
                sha256=stored.sha256,
                size=stored.size,
                object_created=stored.created,
                **common,
            )
        )
        rows.append(
            ev.row(
                ev.EXTRACTED,
                outcome="success" if extraction.text.strip() else "no-text",
                tool=", ".join(extraction.tools) or None,
                method=extraction.method,
                repairs=extraction.repairs,
                fallbacks=extraction.fallbacks,
                warnings=extraction.warnings,
                pages=extraction.pages,
                characters=len(extraction.text),
                reason=extraction.no_text_reason,
                **common,
            )
        )
        if extraction.ocr_skipped:
            rows.append(
                ev.row(
                    ev.OCR_SKIPPED,
                    outcome="warning",
                    tool="tesseract",
                    reason=extraction.ocr_skipped,
                    **common,
                )
            )
        # Every document says how its kind was decided, also when there was nothing to read.
        if understanding is not None:
            kind, evidence = understanding.kind, understanding.kind_evidence
        elif extraction.method == "bundle-listing":
            kind, evidence = "other", ["ไฟล์รวม: จำแนกแต่ละไฟล์ข้างใน (a bundle: each member is)"]
        else:
            kind, evidence = "other", ["ไม่มีข้อความให้จำแนก (no text to classify)"]
        rows.append(
            ev.row(
                ev.CLASSIFIED,
                tool="khlang rules",
                kind=kind,
                evidence=evidence,
                fiscal_year=understanding.fiscal_year if understanding else None,
                **common,
            )
        )
        return rows

    def _suggest_links(self, document_id: int) -> bool:
        """Link a new document to the inventory items its text clearly names (staff confirm
        or change it later); True when it linked some. A suggestion must never fail an
        ingestion, so errors are logged, not raised: the document and its events are
        already committed.

        Most bulk ingestions run with no inventory at all: the answer "there is none" is
        kept for a few seconds instead of asked for every file, and the documents passed
        over meanwhile get their suggestions at the end of the batch if one arrived."""
        now = time.monotonic()
        if now - self._no_inventory_since < INVENTORY_RECHECK:
            self._passed_over.append(document_id)
            return False
        try:
            with self._stage("link"):
                linked = auto_link_suggestions(self.core, document_id)
        except Exception:
            log.exception("link suggestion failed for document %s", document_id)
            return False
        if linked is None:  # no inventory
            self._no_inventory_since = now
            self._passed_over.append(document_id)
            return False
        return bool(linked)

    def _suggest_passed_over(self) -> None:
        """Suggestions for the documents passed over while there was no inventory, if one
        arrived during the batch; a linked document is indexed again (with its item)."""
        passed, self._passed_over = self._passed_over, []
        for document_id in passed:
            self._no_inventory_since = float("-inf")  # ask again: the first answer stops it
            if self._suggest_links(document_id):
                self._queue_index(document_id)
            elif self._passed_over:  # still no inventory
                self._passed_over = []
                return

    # --- search index -------------------------------------------------------------------

    def _queue_index(self, document_id: int) -> None:
        if self.index_enabled:
            self._pending_index.append(document_id)

    def _flush_index_when_due(self) -> None:
        """Between files, not inside one: an indexing error concerns the whole batch
        queued, and must fail the job, not become the rejection of the file at hand."""
        pending = len(self._pending_index)
        if pending >= self.index_every or (
            pending >= INDEX_WHEN_IDLE and self._indexing is not None and self._indexing.idle
        ):
            self.flush_index()

    def flush_index(self) -> None:
        """Write queued documents to the search index in one commit (Whoosh commits are
        expensive; a crash before this leaves them marked unindexed for reindex --if-needed),
        in the indexing process when there is one (then only its previous batch is
        waited for)."""
        if not self._pending_index:
            return
        ids, self._pending_index = self._pending_index, []
        with self._stage("index"), self._deferred_when_disk_full():
            if self._indexing is not None:
                self._add_index_work(self._indexing.submit(ids, agent=self.agent))
            else:
                index_documents(self.core, ids, agent=self.agent)

    @contextmanager
    def _deferred_when_disk_full(self):
        """A full disk while indexing does not end the job: what is stored stays stored
        and marked unindexed, each such file says so (``_say_not_yet_searchable``), and
        the next ingest or service start indexes them (``_catch_up_unindexed``)."""
        try:
            yield
        except Exception as exc:
            if not is_no_space(exc):
                raise
            log.error("search index write failed, disk full: %r; indexing deferred", exc)
            self.index_enabled = False  # the rest of this run would fail the same way
            self._pending_index = []
            self._index_deferred = True

    def _say_not_yet_searchable(self, results: list[FileResult]) -> None:
        ids = {r.document_id for r in results if r.document_id is not None}
        if not self._index_deferred or not ids:
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

    def _catch_up_unindexed(self) -> None:
        """Queue documents an earlier run stored but could not index (a full disk, a killed
        process), a bounded number per run, so that they become searchable without a
        manual ``reindex``."""
        if not self.index_enabled:
            return
        with self.core.sessions() as session:
            left = session.scalars(
                select(Document.id)
                .where(Document.indexed_version.is_(None))
                .order_by(Document.id)
                .limit(CATCH_UP_PER_RUN)
            ).all()
        self._pending_index.extend(left)

    def _add_index_work(self, seconds: float) -> None:
        self.timings["index (work)"] = self.timings.get("index (work)", 0.0) + seconds
