"""One file's way through the pipeline, as ordered steps (``FileIngest.run``).

The order matters for safety. A file is first copied into a staging file inside the store
(hashing it on the way). Only when it is known to be sound does the staged copy become an
object (atomic rename), and only then is the database transaction that creates the document,
its submission and all its events committed. A crash at any point leaves either nothing
acknowledged, or an object with no document yet (reported by ``khlang verify`` as orphan and
adopted by the next ingestion of the same bytes), never a document without its events.

A step that settles the file early raises a ``StopFile``: ``Rejected`` (the file is
refused, with its reason in Thai and English) or ``AlreadyStored`` (its bytes are a
document already: the arrival is recorded as a duplicate). Anything else a step raises is
a bug or a broken environment: ``Ingestor.ingest_one`` turns it into this file's
rejection, so one file never stops the batch.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from archive import FileTooLarge, Staged
from indexer.extract import Extraction, ocr_pages
from indexer.ingest import events
from indexer.ingest.prepare import Prepared, prepare
from indexer.ingest.sources import (
    DUPLICATE,
    INGESTED,
    WITHOUT_TEXT,
    FileResult,
    Source,
    message,
)
from indexer.inventory.links import is_container, link_document
from indexer.preserve import searchable
from indexer.preserve.replication import record_replication
from indexer.records import provenance as ev
from indexer.records.documents import letter_key
from indexer.runtime.diskspace import NO_SPACE, is_no_space
from indexer.runtime.holds import hold_at
from schemas.models import Document, InventoryItem, Submission

if TYPE_CHECKING:
    from indexer.ingest.pipeline import Ingestor

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


def _receive_error(exc: OSError) -> str:
    """Why a file could not be received: a full store is the operator's to fix, not the file's."""
    if is_no_space(exc):
        return NO_SPACE
    return message("unreadable", reason=exc.strerror)


class StopFile(Exception):
    """A step settled the file before the last step."""


class Rejected(StopFile):
    """The file is refused: ``reason`` (Thai and English) is recorded with it."""

    def __init__(self, reason: str, sha256: str | None = None):
        super().__init__(reason)
        self.reason, self.sha256 = reason, sha256


class AlreadyStored(StopFile):
    """The file's bytes are the document ``document_id`` already."""

    def __init__(self, document_id: int):
        super().__init__(document_id)
        self.document_id = document_id


class FileIngest:
    """One file of the ingestor's batch: what ``run`` learns on the way (the staged copy,
    the prepared text, the stored object, the new document) is kept on the instance, so
    each step is a small method that reads what the steps before it left."""

    def __init__(self, ingestor: Ingestor, source: Source):
        self.ingestor = ingestor
        self.core = ingestor.core
        self.timings = ingestor.timings
        self.source = source
        self.name = source.bundle_path or source.original_name
        self.ready: Prepared | None = None  # prepared ahead by a worker process
        self.staged: Staged | None = None
        self.prepared: Prepared | None = None
        self.stored = None
        self.derived = None  # the searchable copy of a scan, if one was made
        self.document_id: int | None = None
        self.status: str | None = None
        self.error: str | None = None

    def run(self) -> FileResult:
        previous = self.recorded_before()
        if previous is not None:
            return previous
        try:
            self.receive()
            try:
                self.check_not_stored()
                self.prepare()
                self.store()
                hold_at("stored", self.name)  # KHLANG_HOLD_AT: crash tests only
                self.record()
                self.replicate()
                self.suggest_links()
                self.ingestor.index.queue(self.document_id)
                return self.result()
            except AlreadyStored as known:
                return self.record_duplicate(known.document_id)
            finally:
                self.core.store.discard(self.staged)  # no-op once committed (the file moved)
        except Rejected as refused:
            return self.ingestor.reject(self.source, refused.reason, refused.sha256)

    # --- the steps, in order --------------------------------------------------------------

    def recorded_before(self) -> FileResult | None:
        """What an interrupted run of this job recorded of the file (a resumed job skips
        it, indexing it if that run had not yet)."""
        ingestor = self.ingestor
        previous = ingestor.skip.get((self.source.source_path, self.source.bundle_path))
        if previous is not None and previous.document_id in ingestor.index_on_skip:
            ingestor.index_on_skip.discard(previous.document_id)
            ingestor.index.queue(previous.document_id)
        return previous

    def receive(self) -> None:
        """Stage the file's bytes in the store, hashed on the way: a worker process did it
        ahead of time for a prefetched file. Rejected: unreadable, empty, too large."""
        problem = self._precheck()
        prefetcher = self.ingestor.prefetcher
        self.ready = prefetcher.take(self.source) if prefetcher is not None else None
        if problem:
            if self.ready is not None and self.ready.staged is not None:
                self.core.store.discard(self.ready.staged)  # refused after all
            raise Rejected(problem)
        if self.ready is not None:
            self.timings.add_work(self.ready.timings)
            self.staged = self.ready.staged
            return
        limit = self.core.settings.max_file_size
        try:
            with self.timings.stage("receive"):
                self.staged = self.core.store.stage_file(self.source.local_path, max_size=limit)
        except FileTooLarge:
            raise Rejected(message("too-large", limit=f"{limit:,}")) from None
        except OSError as exc:
            raise Rejected(_receive_error(exc)) from None

    def _precheck(self) -> str | None:
        path = self.source.local_path
        limit = self.core.settings.max_file_size
        try:
            info = path.stat()
        except OSError as exc:
            return message("unreadable", reason=exc.strerror)
        if not path.is_file():
            return message("not-a-file")
        if info.st_size == 0:
            return message("zero-byte")
        if info.st_size > limit:
            return message("too-large", limit=f"{limit:,}")
        if not os.access(path, os.R_OK):
            return message("unreadable", reason="permission denied")
        return None

    def check_not_stored(self) -> None:
        existing = self._existing_document_id(self.staged.sha256)
        if existing is not None:
            raise AlreadyStored(existing)

    def prepare(self) -> None:
        """Identify, extract and understand (done by a worker for a prefetched file).
        Rejected: the bytes are not a sound file of their type."""
        self.prepared = self.ready
        if self.prepared is None:
            batch = self.ingestor.batch
            shown = False

            def reading(read: int, total: int) -> None:
                nonlocal shown
                shown = True
                batch.show_ocr_pages(self.name, read, total)

            try:
                watch = reading if self.ingestor.show_ocr_pages else None
                with self.timings.stage("prepare"), ocr_pages.watching(watch):
                    self.prepared = prepare(self.staged.path, self.source.original_name, self.name)
            finally:
                if shown:
                    batch.show_ocr_pages(None)
            self.timings.add_work(self.prepared.timings)
        if self.prepared.error is not None:
            raise Rejected(self.prepared.error, self.staged.sha256)

    def store(self) -> None:
        """The staged copy becomes an object; a scan gets its searchable copy beside it."""
        with self.timings.stage("store"):
            self.stored = self.core.store.commit(self.staged)
            ocr_layers = self.prepared.extraction.ocr_layers
            mime = self.prepared.identification.mime
            self.derived = searchable.make_copy(self.core, self.stored.path, ocr_layers, mime)

    def record(self) -> None:
        """The document, its submission and its events, in one transaction. AlreadyStored:
        another process stored the same bytes a moment ago."""
        ingestor, stored = self.ingestor, self.stored
        extraction = self.prepared.extraction
        self.status = INGESTED if extraction.text.strip() else WITHOUT_TEXT
        self.error = extraction.no_text_reason if self.status == WITHOUT_TEXT else None
        try:
            # Core statements, not ORM objects: this runs once for every file of a bulk
            # ingestion, and the ORM's unit of work was most of the ingestor's own CPU.
            with self.timings.stage("commit"), self.core.transaction() as session:
                document_id = session.execute(_INSERT_DOCUMENT, self._document()).scalar_one()
                values = events.submission_values(
                    self.source,
                    self.status,
                    stored.sha256,
                    self.error,
                    agent=ingestor.agent,
                    batch_id=ingestor.batch_id,
                )
                submission_id = session.execute(
                    _INSERT_SUBMISSION, {"document_id": document_id, **values}
                ).scalar_one()
                rows = events.new_document_rows(
                    agent=ingestor.agent,
                    batch_id=ingestor.batch_id,
                    document_id=document_id,
                    submission_id=submission_id,
                    source=self.source,
                    identification=self.prepared.identification,
                    stored=stored,
                    extraction=extraction,
                    understanding=self.prepared.understanding,
                )
                if self.derived:
                    rows.append(
                        searchable.event_row(
                            self.derived,
                            agent=ingestor.agent,
                            document_id=document_id,
                            submission_id=submission_id,
                        )
                    )
                ev.record_rows(session, rows)
                if ingestor.item_code:
                    self._link_requested(session, session.get(Document, document_id))
        except IntegrityError:
            existing = self._existing_document_id(stored.sha256)
            if existing is None:
                raise
            raise AlreadyStored(existing) from None
        self.document_id = document_id

    def _document(self) -> dict:
        """The new document's row."""
        extraction = self.prepared.extraction
        understanding = self.prepared.understanding
        identification = self.prepared.identification
        metadata = dict(understanding.metadata) if understanding else {"kind": "other"}
        if extraction.metadata:
            metadata["technical"] = extraction.metadata
        return dict(
            sha256=self.stored.sha256,
            size=self.stored.size,
            mime=identification.mime,
            category=identification.category,
            kind=understanding.kind if understanding else "other",
            title=derive_title(extraction, understanding and understanding.title, self.name),
            filename=self.name,
            text=extraction.text,
            text_status="extracted" if self.status == INGESTED else "none",
            metadata=metadata,
            fiscal_year=understanding.fiscal_year if understanding else None,
            document_date=understanding.document_date if understanding else None,
            letter_number=letter_key((metadata.get("letter") or {}).get("number_normalized")),
        )

    def replicate(self) -> None:
        """The second copy is made and read back before the file counts as done; an
        unreachable replica leaves it "pending" for `khlang replicate`."""
        if self.core.replica is None:
            return
        with self.timings.stage("replicate"):
            record_replication(
                self.core,
                self.document_id,
                self.stored.sha256,
                agent=self.ingestor.agent,
                batch_id=self.ingestor.batch_id,
            )

    def suggest_links(self) -> None:
        """Items the text clearly names, unless the file was delivered for a given item."""
        if not self.ingestor.item_code and self.status == INGESTED:
            self.ingestor.suggester.suggest(self.document_id)

    def result(self) -> FileResult:
        identification, extraction = self.prepared.identification, self.prepared.extraction
        warnings = [identification.warning] if identification.warning else []
        warnings += extraction.warnings
        return FileResult(
            self.source.display_path,
            self.status,
            self.document_id,
            self.stored.sha256,
            self.error,
            self.name,
            warnings,
        )

    # --- a duplicate --------------------------------------------------------------------

    def record_duplicate(self, document_id: int) -> FileResult:
        # The bytes may be known while the object went missing (restored from a backup of
        # the database, say) or went bad on disk: the arrival, whose hash was checked as it
        # was staged, then heals the store.
        ingestor, staged, source = self.ingestor, self.staged, self.source
        state = self.core.store.check(staged.sha256)
        healed = state != "ok"
        if healed:
            self.core.store.replace(staged)
        with self.core.transaction() as session:
            document = session.get(Document, document_id)
            values = events.submission_values(
                source, DUPLICATE, staged.sha256, agent=ingestor.agent, batch_id=ingestor.batch_id
            )
            submission = Submission(**values)
            submission.document = document
            session.add(submission)
            session.flush()
            events.record_duplicate(
                session,
                document,
                submission,
                source,
                staged,
                agent=ingestor.agent,
                batch_id=ingestor.batch_id,
                repaired=state if healed else None,
            )
            self._link_requested(session, document)
            name = document.filename
        return FileResult(source.display_path, DUPLICATE, document_id, staged.sha256, filename=name)

    # --- shared by the steps ----------------------------------------------------------------

    def _existing_document_id(self, sha256: str) -> int | None:
        with self.core.engine.connect() as connection:
            return connection.execute(_DOCUMENT_BY_SHA256, {"sha256": sha256}).scalar()

    def _link_requested(self, session, document: Document) -> None:
        """The item the file was delivered for (``khlang ingest --item``, the upload form)."""
        item_code = self.ingestor.item_code
        if not item_code or is_container(document):
            return  # a bundle's members are linked, each on its own
        item = session.scalar(select(InventoryItem).where(InventoryItem.code == item_code))
        link_document(session, document, item, agent=self.ingestor.agent, method="manual")
