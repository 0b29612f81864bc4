"""Writing documents to a generation, and filling a fresh one (rebuild).

Writers take Whoosh's file lock on the live generation, waiting up to ``lock_timeout``
seconds (several processes -- gunicorn workers, the CLI -- can call add_documents at once;
they take turns), and write the sidecar while they hold it (sidecar first: a sidecar row
without a Whoosh document is never visible, search maps ids through Whoosh).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable, Iterable
from typing import Any

from whoosh.writing import LockError

from indexer.runtime.workers import rebuild_procs

from . import sidecar as sc
from .codec import merge_small
from .errors import IndexBusy
from .generations import storage, write_codec
from .schema import index_forms

log = logging.getLogger(__name__)


def _cancel(writer) -> None:
    """Give up a Whoosh write and its writer lock. Whoosh's ``cancel`` first closes the new
    segment's files; on a full disk that fails too, and the lock stayed held until the
    process ended: in the web service every later upload job waited for it, then failed."""
    try:
        writer.cancel()
    except Exception as exc:
        log.error("search index write given up uncleanly: %r", exc)
    finally:
        lock = getattr(writer, "writelock", None)
        if not writer.is_closed and lock is not None:
            lock.release()
            writer.is_closed = True


class IndexWriting:
    """The writing part of :class:`indexer.search.index.SearchIndex` (its attributes are
    set there)."""

    def _writer(self, ix):
        try:
            return ix.writer(timeout=self.lock_timeout, delay=0.05, codec=write_codec())
        except LockError:
            raise IndexBusy(f"index writer lock not free after {self.lock_timeout}s") from None

    def _write(self, batch: list[dict], delete_ids: Iterable[int] = ()) -> None:
        with self._lock:
            ix = self._index()
            gen = str(self._gen)
        self._write_to(gen, batch, delete_ids, ix=ix)

    def _write_to(
        self, gen: str, batch: list[dict], delete_ids: Iterable[int] = (), *, ix=None
    ) -> None:
        """Write to generation ``gen``: sidecar, then Whoosh, under Whoosh's writer lock."""
        if ix is None:
            ix = storage(self.index_dir / gen).open_index()
        latest = {int(doc["id"]): doc for doc in batch}  # the last version of each id wins
        forms = {i: index_forms(doc) for i, doc in latest.items()}
        prepared = [(fields, (i, side_text)) for i, (fields, side_text) in forms.items()]
        delete_ids = [int(i) for i in delete_ids]
        w = self._writer(ix)
        try:
            side = sc.Sidecar(self.index_dir / gen / sc.FILE_NAME, self.lock_timeout)
            try:
                with side.writer() as sw:
                    sw.add([row for _f, row in prepared])
                    sw.delete(delete_ids)
            finally:
                side.close()
            for fields, _row in prepared:
                w.update_document(**fields)
            for doc_id in delete_ids:
                w.delete_by_term("id", str(doc_id))
            w.commit(mergetype=merge_small)
        except BaseException:
            _cancel(w)
            raise

    def add_documents(self, docs: Iterable[dict], batch_size: int = 200) -> int:
        """Add or replace documents (by ``id``), committing every ``batch_size`` documents so
        memory stays bounded. Returns the number written."""
        n = 0
        batch: list[dict] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                self._write(batch)
                n += len(batch)
                batch = []
        if batch:
            self._write(batch)
            n += len(batch)
        return n

    def delete_document(self, doc_id: int) -> None:
        self.delete_documents([doc_id])

    def delete_documents(self, doc_ids: Iterable[int]) -> None:
        """Remove documents by id, in one commit; ids not in the index are ignored."""
        ids = [int(i) for i in doc_ids]
        if ids:
            self._write([], delete_ids=ids)

    def rebuild(
        self,
        docs_iter: Iterable[dict],
        progress: Callable[[int], Any] | None = None,
        *,
        limitmb: int = 256,
        procs: int | None = None,
    ) -> int:
        """Index ``docs_iter`` into a fresh generation, then atomically make it live.

        Searches keep using the old generation until the swap. Writes that other processes
        make to the old generation meanwhile are not carried over here: the database-aware
        caller (:func:`indexer.ingest.indexing.reindex`) builds with :meth:`build_generation`,
        catches those up under its write lock, then calls :meth:`swap_in`.
        ``progress(n_done)`` is called every 100 documents and at the end."""
        gen, n = self.build_generation(docs_iter, progress, limitmb=limitmb, procs=procs)
        self.swap_in(gen)
        return n

    def build_generation(
        self,
        docs_iter: Iterable[dict],
        progress: Callable[[int], Any] | None = None,
        *,
        limitmb: int = 256,
        procs: int | None = None,
    ) -> tuple[str, int]:
        """Fill a fresh generation with ``docs_iter`` (not yet live); returns its name and
        the number of documents read.

        ``procs``: Whoosh writer processes (default: 2 on a multi-core machine when this
        process may fork, see :func:`indexer.runtime.workers.worker_context`, else 1). This process
        prepares documents and fills the sidecar meanwhile; each writer process gets
        ``limitmb / procs`` of buffer."""
        if procs is None:
            procs = rebuild_procs()
        with self._admin_lock():
            gen = self._new_generation()
        path = self.index_dir / gen
        ix = storage(path).open_index()
        if procs > 1:
            from whoosh.multiproc import MpWriter

            w = MpWriter(
                ix,
                procs=procs,
                batchsize=50,
                multisegment=True,
                limitmb=max(32, limitmb // procs),
                codec=write_codec(),
            )
        else:
            w = ix.writer(limitmb=limitmb, codec=write_codec())
        con = sc.connect(path / sc.FILE_NAME, self.lock_timeout, bulk=True)
        side = sc.SidecarWriter(con)
        n = 0
        try:
            seen: set[int] = set()
            again: dict[int, dict] = {}  # ids seen twice: the last version, written after
            rows: list[tuple[int, str]] = []
            con.execute("BEGIN")
            for doc in docs_iter:
                doc_id = int(doc["id"])
                n += 1
                if progress is not None and n % 100 == 0:
                    progress(n)
                if doc_id in seen:
                    again[doc_id] = doc
                    continue
                seen.add(doc_id)
                fields, side_text = index_forms(doc)
                w.add_document(**fields)
                rows.append((doc_id, side_text))
                if len(rows) >= 200:
                    side.add(rows, fresh=True)
                    rows = []
            side.add(rows, fresh=True)
            con.execute("COMMIT")
            w.commit()
            con.execute("PRAGMA journal_mode=WAL")
            con.close()
            if again:
                self._write_to(gen, list(again.values()))
        except BaseException:
            with contextlib.suppress(Exception):
                w.cancel()
            with contextlib.suppress(Exception):
                con.close()
            shutil.rmtree(path, ignore_errors=True)
            raise
        if progress is not None:
            progress(n)
        return gen, n

    def add_to_generation(self, gen: str, docs: list[dict]) -> None:
        """Add or replace documents in a generation that is not live yet."""
        for start in range(0, len(docs), 200):
            self._write_to(gen, docs[start : start + 200])
