"""Keep the search index in step with the database, which is the source of truth.

A document's ``indexed_version`` is the index version it was last written with. NULL (never
indexed, or a crash between the database commit and the index write) or an old version
means "needs indexing"; ``reindex(if_needed=True)`` repairs exactly those.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.context import BaseContext

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from indexer.core import Khlang
from indexer.records import provenance as ev
from indexer.runtime.locks import file_lock
from indexer.runtime.workers import start_worker
from schemas.config import Settings
from schemas.models import Document, DocumentLink, Event, InventoryItem

log = logging.getLogger(__name__)

BATCH = 500

# Events that change what the index holds of a document (or record that a writer indexed
# it): a rebuild catches up documents with one of them since it began.
INDEX_CHANGES = (ev.INDEXED, ev.LINKED, ev.UNLINKED, ev.PUBLICATION)


def _linked_items(session: Session, document_ids: list[int]) -> dict[int, list[InventoryItem]]:
    rows = session.execute(
        select(DocumentLink.document_id, InventoryItem)
        .join(InventoryItem, InventoryItem.id == DocumentLink.item_id)
        .where(DocumentLink.document_id.in_(document_ids), DocumentLink.active.is_(True))
        .options(
            selectinload(InventoryItem.project),
            selectinload(InventoryItem.agency),
            selectinload(InventoryItem.province),
            selectinload(InventoryItem.activity),
        )
    )
    items: dict[int, list[InventoryItem]] = {}
    for document_id, item in rows:
        items.setdefault(document_id, []).append(item)
    return items


def _unique(values: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


def document_for_index(document: Document, items: list[InventoryItem]) -> dict:
    """The fields the search index holds for one document."""
    meta = document.meta or {}
    letter = meta.get("letter") or {}
    extra = [
        letter.get("subject"),
        letter.get("office"),
        letter.get("addressee"),
        letter.get("signatory"),
        letter.get("number"),
        letter.get("number_normalized"),
    ]
    extra += [item.title for item in items]
    extra += [item.activity.name for item in items if item.activity]
    extra += document.tags or []  # staff's tags find the document (notes stay internal)
    return {
        "id": document.id,
        "title": document.title,
        "filename": document.filename,
        "text": document.text or "",
        "category": document.category,
        "kind": document.kind,
        "fiscal_year": document.fiscal_year
        or next((i.project.fiscal_year for i in items if i.project), None),
        # Undated documents have no date (they sort last by date); when they came in is
        # shown apart, as ``received``.
        "date": document.document_date,
        "received": document.created_at.date() if document.created_at else None,
        "provinces": _unique(
            [i.province.name for i in items if i.province] + meta.get("provinces", [])
        ),
        "projects": _unique(
            [i.project.name for i in items if i.project] + meta.get("projects", [])
        ),
        # host agencies: the inventory's; a letter's sending office is the sender facet
        "agencies": _unique([i.agency.name for i in items if i.agency]),
        "publication": document.publication,
        "mime": document.mime,
        "letter_number": letter.get("number_normalized"),
        # Issue 7's facets and filters: who sent a letter, how urgent, whether it sets a date.
        "sender": letter.get("office"),
        "urgency": letter.get("urgency"),
        "has_deadline": bool(meta.get("deadlines")),
        "metadata_text": "\n".join(v for v in extra if v),
    }


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@contextmanager
def index_write_lock(core: Khlang, *, exclusive: bool = False):
    """Writers hold it shared from their index write to marking the documents indexed; a
    full rebuild takes it exclusively to catch up what they wrote meanwhile and swap.

    So a rebuild never sees a write half done (in the old generation but not yet marked),
    and nothing written during a rebuild is lost with the old generation. flock locks
    belong to an open file, so a process that already holds it must not take it again
    (a second open blocks): the rebuild's catch-up writes without it."""
    with file_lock(core.settings.data_dir / "index-write.lock", shared=not exclusive):
        yield


def _index_payload(core: Khlang, document_ids: list[int]) -> list[dict]:
    with core.sessions() as session:
        documents = session.scalars(select(Document).where(Document.id.in_(document_ids))).all()
        items = _linked_items(session, document_ids)
        return [document_for_index(d, items.get(d.id, [])) for d in documents]


def _marking(document_ids: list[int], version: str, *, unchanged_after: int | None = None):
    """The UPDATE that marks these documents indexed with ``version``; with
    ``unchanged_after``, not those with an index-changing event after that event id (one
    statement, so no change can slip in between the check and the mark)."""
    statement = update(Document).where(Document.id.in_(document_ids))
    if unchanged_after is not None:
        later = (
            select(Event.id)
            .where(
                Event.document_id == Document.id,
                Event.id > unchanged_after,
                Event.event_type.in_(INDEX_CHANGES),
            )
            .exists()
        )
        statement = statement.where(~later)
    return statement.values(indexed_version=version)


def _mark_indexed(
    core: Khlang, document_ids: list[int], *, agent: str, unchanged_after: int | None = None
) -> None:
    """Record that these documents are in the index as it is now, with an event each."""
    backend = core.search_backend
    version = backend.version
    with core.transaction() as session:
        session.execute(_marking(document_ids, version, unchanged_after=unchanged_after))
        tool = f"{backend.name} index {version}"
        ev.record_rows(
            session,
            [ev.row(ev.INDEXED, agent=agent, document_id=d, tool=tool) for d in document_ids],
        )


def index_documents(core: Khlang, document_ids: list[int], *, agent: str) -> int:
    """Write these documents to the index, then mark them indexed, with an event each."""
    written = 0
    for chunk in _batches(sorted(set(document_ids)), BATCH):
        with index_write_lock(core):
            payload = _index_payload(core, chunk)
            core.search_backend.index(payload)
            _mark_indexed(core, [d["id"] for d in payload], agent=agent)
        written += len(payload)
    return written


def reindex_quietly(core: Khlang, document_ids: list[int], *, agent: str) -> None:
    """Index documents whose index entry an edit made stale (a link, an item, publication)
    now; if that fails they stay marked for `reindex --if-needed` (also run at start-up),
    and the edit itself has succeeded."""
    if not document_ids:
        return
    try:
        index_documents(core, document_ids, agent=agent)
    except Exception:
        log.exception("re-indexing documents %s failed", document_ids[:20])


def _indexing_loop(conn, settings: Settings, parent_pid: int) -> None:
    """The indexing process: index each batch of ids it is sent until it is sent None,
    answering each with ("done", seconds) or ("failed", the exception)."""
    start_worker(parent_pid)
    core = Khlang(settings)
    try:
        while (request := conn.recv()) is not None:
            document_ids, agent = request
            started = time.perf_counter()
            try:
                index_documents(core, document_ids, agent=agent)
            except Exception as exc:
                conn.send(("failed", _sendable(exc)))
            else:
                conn.send(("done", time.perf_counter() - started))
    except EOFError:  # the pipe closed: a spawned process's job ended (a forked one also
        pass  # holds the job's end; the parent-death signal ends it instead, see workers)
    finally:
        core.dispose()


def _sendable(exc: Exception) -> Exception:
    """The exception itself when it pickles, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class IndexingProcessDied(RuntimeError):
    pass


class IndexingProcess:
    """Runs ``index_documents`` in a process of its own, so that a large ingestion goes on
    storing and recording files while the previous batch is indexed (indexing was half of
    the ingestor's own CPU time).

    One batch at a time: ``submit`` first waits for the batch before, so memory stays
    bounded and an indexing error is raised in the ingestor at the next batch or at
    ``close``. Crash safety is that of ``index_documents``: documents are marked indexed
    only once written, so a job killed with its process leaves the rest to
    ``reindex --if-needed``. The process dies with the job's process.

    A plain process and a pipe rather than a one-process pool: a pool runs threads in this
    process, and the prepare workers started after it could then not be forked (see
    :mod:`indexer.runtime.workers`).
    """

    def __init__(self, settings: Settings, context: BaseContext):
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_indexing_loop, args=(child, settings, os.getpid()), daemon=True
        )
        self._process.start()
        child.close()
        self._busy = False

    def submit(self, document_ids: list[int], *, agent: str) -> float:
        """Start indexing these documents; returns the seconds the previous batch took."""
        spent = self.wait()
        self._conn.send((document_ids, agent))
        self._busy = True
        return spent

    @property
    def idle(self) -> bool:
        return not self._busy or self._conn.poll()

    def wait(self) -> float:
        """Wait for the batch being indexed; returns the seconds it took in the process."""
        if not self._busy:
            return 0.0
        self._busy = False
        try:
            outcome, value = self._conn.recv()
        except EOFError:
            self._process.join()
            raise IndexingProcessDied(
                f"the indexing process ended (exit code {self._process.exitcode})"
            ) from None
        if outcome == "failed":
            raise value
        return value

    def close(self) -> float:
        try:
            return self.wait()
        finally:
            with contextlib.suppress(OSError):
                self._conn.send(None)
            self._conn.close()
            self._process.join()


def stale_document_ids(core: Khlang) -> list[int]:
    version = core.search_backend.version
    with core.sessions() as session:
        return list(
            session.scalars(
                select(Document.id).where(
                    or_(Document.indexed_version.is_(None), Document.indexed_version != version)
                )
            )
        )


@contextmanager
def _reindex_lock(core: Khlang, wait: bool):
    """One reindex at a time per data directory: several gunicorn workers start together,
    and only one of them should repair or rebuild the index."""
    with file_lock(core.settings.data_dir / "reindex.lock", wait=wait) as held:
        yield held


def reindex(
    core: Khlang,
    *,
    if_needed: bool = False,
    agent: str,
    progress: Callable[[int, int], None] | None = None,
    wait: bool = True,
    procs: int | None = None,
) -> dict:
    """Rebuild the index from the database (all, or only what is missing or stale).

    A full rebuild writes a fresh index beside the live one and swaps it in, so searches
    keep answering meanwhile. Memory stays bounded: documents stream in batches. With
    ``wait=False`` it returns at once when another process is already reindexing.
    ``procs`` caps the writer processes of a full rebuild (the web service passes 1: a
    gunicorn worker must not fork index writers).
    """
    with _reindex_lock(core, wait) as acquired:
        if not acquired:
            return {"mode": "skipped", "documents": 0}
        return _reindex(core, if_needed=if_needed, agent=agent, progress=progress, procs=procs)


def _reindex(core, *, if_needed, agent, progress, procs) -> dict:
    backend = core.search_backend
    # needs_rebuild: another version built it, or it is missing, damaged or unreadable
    if not if_needed or backend.check().needs_rebuild:
        return _rebuild(core, agent=agent, progress=progress, procs=procs)
    with core.sessions() as session:
        known = set(session.scalars(select(Document.id)))
    searchable = backend.ids()
    missing = known - searchable
    # An index that lacks most of the database (recreated empty after damage by another
    # process, or replaced): rebuilding is faster than adding documents one batch at a time.
    if len(missing) > max(BATCH, len(known) // 2):
        return _rebuild(core, agent=agent, progress=progress, procs=procs)
    # Documents in the index that the database no longer knows would be phantoms.
    phantoms = backend.held_ids() - known
    if phantoms:
        backend.delete(sorted(phantoms))
    todo = sorted(set(stale_document_ids(core)) | missing)
    written = 0
    for chunk in _batches(todo, BATCH):
        written += index_documents(core, chunk, agent=agent)
        if progress:
            progress(written, len(todo))
    return {"mode": "if-needed", "documents": written}


def _last_event_id(core: Khlang) -> int:
    with core.sessions() as session:
        return session.scalar(select(func.max(Event.id))) or 0


def _rebuild(core: Khlang, *, agent: str, progress, procs) -> dict:
    """Build a fresh generation from a snapshot of the database, then, holding the write
    lock exclusively, add what changed meanwhile and swap it in.

    Changed meanwhile = documents not in the snapshot, and documents with an event that
    changes what the index holds (indexed, linked, unlinked, publication) since the
    snapshot began: every such change leaves its event. A document marked for reindexing
    before that (its NULL indexed_version) is read as it is and needs nothing more. Event
    ids rather than times: they need no clock, and the id taken under the exclusive lock
    is below every later writer's event."""
    backend = core.search_backend
    with index_write_lock(core, exclusive=True):
        # no writer is between its index write and its marking now
        events_before = _last_event_id(core)
    with core.sessions() as session:
        snapshot = list(session.scalars(select(Document.id).order_by(Document.id)))
    total = len(snapshot)
    done = 0

    def stream() -> Iterator[dict]:
        nonlocal done
        for chunk in _batches(snapshot, BATCH):
            for doc in _index_payload(core, chunk):
                yield doc
                done += 1
                if progress:
                    progress(done, total)

    staged = backend.stage(stream(), procs=procs)
    with index_write_lock(core, exclusive=True):
        events_at_catch_up = _last_event_id(core)
        catch_up = _changed_since(core, set(snapshot), events_before)
        for chunk in _batches(sorted(catch_up), BATCH):
            staged.add(_index_payload(core, chunk))
        staged.go_live()
        # Marked only after the swap: a crash before it leaves them for --if-needed. A
        # document changed since the catch-up read (a link, say: not under this lock)
        # keeps its mark, so that it is indexed again.
        for chunk in _batches(sorted(catch_up), BATCH):
            _mark_indexed(core, chunk, agent=agent, unchanged_after=events_at_catch_up)
        rest = sorted(set(snapshot) - catch_up)
        with core.transaction() as session:
            for chunk in _batches(rest, BATCH):
                session.execute(
                    _marking(chunk, backend.version, unchanged_after=events_at_catch_up)
                )
    return {"mode": "full", "documents": total + len(set(catch_up) - set(snapshot))}


def _changed_since(core: Khlang, snapshot: set[int], events_before: int) -> set[int]:
    """The documents a rebuild from ``snapshot`` may hold stale or lack (see _rebuild)."""
    with core.sessions() as session:
        current = set(session.scalars(select(Document.id)))
        changed = set(
            session.scalars(
                select(Event.document_id)
                .where(Event.event_type.in_(INDEX_CHANGES), Event.id > events_before)
                .distinct()
            )
        )
    return (current - snapshot) | (changed & current)
