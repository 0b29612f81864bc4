"""Keep the search index in step with the database, which is the source of truth.

A document's ``indexed_version`` is the index version it was last written with. NULL (never
indexed, or a crash between the database commit and the index write) or an old version
means "needs indexing"; ``reindex(if_needed=True)`` repairs exactly those.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from indexer import provenance as ev
from indexer.core import Khlang
from indexer.workers import worker_pool
from schemas.config import Settings
from schemas.models import Document, DocumentLink, Event, InventoryItem

BATCH = 500


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
    return {
        "id": document.id,
        "title": document.title,
        "filename": document.filename,
        "text": document.text or "",
        "category": document.category,
        "kind": document.kind,
        "fiscal_year": document.fiscal_year
        or next((i.project.fiscal_year for i in items if i.project), None),
        "date": document.document_date or document.created_at.date(),
        "provinces": _unique(
            [i.province.name for i in items if i.province] + meta.get("provinces", [])
        ),
        "projects": _unique(
            [i.project.name for i in items if i.project] + meta.get("projects", [])
        ),
        "agencies": _unique([i.agency.name for i in items if i.agency] + [letter.get("office")]),
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


def index_documents(core: Khlang, document_ids: list[int], *, agent: str) -> int:
    """Write these documents to the index, then mark them indexed, with an event each."""
    written = 0
    version = core.index.schema_version
    for chunk in _batches(sorted(set(document_ids)), BATCH):
        with core.sessions() as session:
            documents = session.scalars(select(Document).where(Document.id.in_(chunk))).all()
            items = _linked_items(session, chunk)
            payload = [document_for_index(d, items.get(d.id, [])) for d in documents]
        core.index.add_documents(payload)
        with core.transaction() as session:
            session.execute(
                update(Document).where(Document.id.in_(chunk)).values(indexed_version=version)
            )
            for document_id in chunk:
                session.add(
                    Event(
                        document_id=document_id,
                        event_type=ev.INDEXED,
                        agent=agent,
                        tool=f"whoosh index {version}",
                        detail={},
                    )
                )
        written += len(payload)
    return written


_worker_core: Khlang | None = None  # in an IndexingProcess worker


def _open_core(settings: Settings) -> None:
    global _worker_core
    _worker_core = Khlang(settings)


def _index_in_worker(document_ids: list[int], agent: str) -> float:
    started = time.perf_counter()
    index_documents(_worker_core, document_ids, agent=agent)
    return time.perf_counter() - started


class IndexingProcess:
    """Runs ``index_documents`` in a worker process, so that a large ingestion goes on
    storing and recording files while the previous batch is indexed (indexing was half of
    the ingestor's own CPU time).

    One batch at a time: ``submit`` first waits for the batch before, so memory stays
    bounded and an indexing error is raised in the ingestor at the next batch or at
    ``close``. Crash safety is that of ``index_documents``: documents are marked indexed
    only once written, so a job killed with its worker leaves the rest to
    ``reindex --if-needed``. The worker dies with the job's process.
    """

    def __init__(self, settings: Settings):
        self.pool = worker_pool(1, _open_core, (settings,))
        self._running: Future | None = None

    def submit(self, document_ids: list[int], *, agent: str) -> float:
        """Start indexing these documents; returns the seconds the previous batch took."""
        spent = self.wait()
        self._running = self.pool.submit(_index_in_worker, document_ids, agent)
        return spent

    @property
    def idle(self) -> bool:
        return self._running is None or self._running.done()

    def wait(self) -> float:
        """Wait for the batch being indexed; returns the seconds it took in the worker."""
        running, self._running = self._running, None
        return running.result() if running is not None else 0.0

    def close(self) -> float:
        try:
            return self.wait()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def stale_document_ids(core: Khlang) -> list[int]:
    version = core.index.schema_version
    with core.sessions() as session:
        return list(
            session.scalars(
                select(Document.id).where(
                    or_(Document.indexed_version.is_(None), Document.indexed_version != version)
                )
            )
        )


def document_count(core: Khlang) -> int:
    with core.sessions() as session:
        return session.scalar(select(func.count(Document.id))) or 0


@contextmanager
def _reindex_lock(core: Khlang, wait: bool):
    """One reindex at a time per data directory: several gunicorn workers start together,
    and only one of them should repair or rebuild the index."""
    path = core.settings.data_dir / "reindex.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    index = core.index
    rebuild_all = not if_needed or index.needs_rebuild() or not index.is_healthy()
    if rebuild_all:
        total = document_count(core)
        done = 0

        def stream() -> Iterator[dict]:
            nonlocal done
            with core.sessions() as session:
                ids = list(session.scalars(select(Document.id).order_by(Document.id)))
            for chunk in _batches(ids, BATCH):
                with core.sessions() as session:
                    documents = session.scalars(select(Document).where(Document.id.in_(chunk)))
                    items = _linked_items(session, chunk)
                    for document in documents:
                        yield document_for_index(document, items.get(document.id, []))
                        done += 1
                        if progress:
                            progress(done, total)

        index.rebuild(stream(), procs=procs)
        with core.transaction() as session:
            session.execute(update(Document).values(indexed_version=index.schema_version))
        return {"mode": "full", "documents": total}
    stale = stale_document_ids(core)
    # Documents in the index that the database no longer knows would be phantoms.
    known = set()
    with core.sessions() as session:
        known = set(session.scalars(select(Document.id)))
    for phantom in index.indexed_ids() - known:
        index.delete_document(phantom)
    written = 0
    for chunk in _batches(stale, BATCH):
        written += index_documents(core, chunk, agent=agent)
        if progress:
            progress(written, len(stale))
    return {"mode": "if-needed", "documents": written}
