"""Reading the live generation: each thread's searcher and sidecar, the tables shared by
every thread for one index state, and reads that turn damage into :class:`IndexDamaged`.

Readers are never blocked by writers: Whoosh readers see the last committed generation of
segments, SQLite readers the last committed transaction (WAL).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

from whoosh.reading import ReaderClosed

from . import sidecar as sc
from .damage import is_damage
from .errors import IndexBusy, IndexDamaged
from .generations import storage
from .ranking import StateTables, state_key
from .weighting import RsjIdfBM25F


class _Readers(threading.local):
    """One thread's Whoosh searcher and sidecar connection, and the generation they read."""

    gen: str | None = None
    searcher: Any = None
    side: sc.Sidecar | None = None


class ReaderPool:
    """The reading part of :class:`indexer.search.index.SearchIndex` (its attributes are
    set there)."""

    def _reading(self, read: Callable[[], Any]) -> Any:
        """Run a read of the live generation. A read error means damage the quick health
        check missed: the generation is marked damaged and :class:`IndexDamaged` raised,
        rather than every search failing with a traceback. An error from a generation
        that was swapped out meanwhile is retried once on the new one."""
        for attempt in (1, 2):
            gen = self._read_current()
            try:
                return read()
            except ReaderClosed:
                # closed under this read (close() from another thread): fresh readers
                self._reset_thread_readers()
                if attempt == 1:
                    continue
                raise IndexBusy("search readers closed twice in a row") from None
            except Exception as exc:
                if not is_damage(exc):
                    raise
                self._reset_thread_readers()
                if attempt == 1 and self._read_current() != gen:
                    continue
                if gen is not None:
                    self._mark_damaged(gen, exc)
                raise IndexDamaged(f"search index {gen} unreadable: {exc!r}") from exc
        raise AssertionError("unreachable")

    def _answering(self, read: Callable[[], Any]) -> Any:
        """Run a search (see :meth:`_reading`), refused with :class:`IndexDamaged` when the
        live generation is known not to hold what the database says it does
        (:meth:`unavailable`): its answer would look like "nothing found"."""
        reason = self.unavailable()
        if reason is not None:
            raise IndexDamaged(f"search index unavailable: {reason}")
        return self._reading(read)

    def _reset_thread_readers(self) -> None:
        local = self._local
        self._drop(local.searcher)
        self._drop(local.side)
        local.searcher = local.side = None
        local.gen = None
        with self._lock:
            self._close()

    def _close(self) -> None:
        """Forget the live generation. Other threads' readers are not closed under them:
        each thread replaces its own when it sees the generation change (their files stay
        readable after a cleanup: POSIX unlink semantics)."""
        self._ix = None
        self._gen = None
        self._cache = None

    def close(self) -> None:
        """Close every thread's readers (call when no search is running)."""
        with self._lock:
            self._close()
            readers = list(self._open_readers)
            self._open_readers = weakref.WeakSet()
        for r in readers:
            with contextlib.suppress(Exception):
                r.close()
        self._local = _Readers()
        self._matcher.close()

    def _index(self):
        """The Whoosh index of the live generation (reopened when CURRENT changes)."""
        gen = self._read_current()
        if gen is None:
            raise FileNotFoundError(f"no search index in {self.index_dir}; call open_or_create()")
        if gen != self._gen or self._ix is None:
            self._close()
            self._ix = storage(self.index_dir / gen).open_index()
            self._gen = gen
        return self._ix

    def _drop(self, reader) -> None:
        if reader is not None:
            with self._lock:
                self._open_readers.discard(reader)
            with contextlib.suppress(Exception):
                reader.close()

    def _thread_readers(self) -> _Readers:
        """This thread's searcher and sidecar, on the live generation and up to date."""
        with self._lock:
            ix = self._index()
            gen = self._gen
        local = self._local
        if local.gen != gen:
            self._drop(local.searcher)
            self._drop(local.side)
            local.searcher = local.side = None
        if local.side is None:
            local.side = sc.Sidecar(self.index_dir / str(gen) / sc.FILE_NAME, self.lock_timeout)
            local.gen = gen
            with self._lock:
                self._open_readers.add(local.side)
        if local.searcher is not None and not local.searcher.up_to_date():
            # Not Searcher.refresh(): it reuses segment readers whose deletions have changed
            # (a deleted/updated document stays visible) and fails on an EmptyReader. A
            # fresh searcher costs a few file opens.
            self._drop(local.searcher)
            local.searcher = None
        if local.searcher is None:
            local.searcher = ix.searcher(weighting=RsjIdfBM25F)
            with self._lock:
                self._open_readers.add(local.searcher)
        return local

    def _get_searcher(self):
        return self._thread_readers().searcher

    def _sidecar(self) -> sc.Sidecar:
        """The sidecar of the searcher this thread's read began with. Not refreshed here:
        a refresh in the middle of a search, after another process committed, closed the
        searcher the search still held (ReaderClosed under load); the next read refreshes
        both together."""
        side = self._local.side
        return side if side is not None else self._thread_readers().side

    def indexed_ids(self) -> set[int]:
        """Ids in the index: live Whoosh documents, and any id the sidecar still holds (a
        write interrupted between the two), so that reconciliation can delete phantoms."""

        def read() -> set[int]:
            local = self._thread_readers()
            return self.searchable_ids() | local.side.ids()

        return self._reading(read)

    def searchable_ids(self) -> set[int]:
        """Ids a search can return (search maps its matches through Whoosh's ids)."""

        def read() -> set[int]:
            tables = self._tables(self._get_searcher())
            return set(tables.ids[tables.live].tolist())

        return self._reading(read)

    def doc_count(self) -> int:
        return self._reading(lambda: self._get_searcher().doc_count())

    def warm(self) -> None:
        """Build the tables shared by every search of the current index state (ids, facet
        values), which the first search of a process otherwise waits for: ~1.5 s at 100k
        documents."""
        self._reading(lambda: self._tables(self._get_searcher()))

    def _tables(self, searcher) -> StateTables:
        """The shared tables of the index state ``searcher`` reads (built by the first
        thread that needs them; a thread still on an older state builds its own)."""
        key = state_key(searcher)
        tables = self._cache
        if tables is not None and tables.key == key:
            return tables
        with self._cache_lock:
            tables = self._cache
            if tables is not None and tables.key == key:
                return tables
            tables = StateTables(searcher)
            if self._newer_than_kept(key):
                self._cache = tables
            return tables

    def _newer_than_kept(self, key: tuple) -> bool:
        """Whether tables of index state ``key`` should replace the shared ones: states of
        the live generation replace those of any other (a rebuilt generation starts its
        commit count again at 1), and within a generation the later commit wins."""
        current = self._cache
        if current is None:
            return True
        live = str(self.index_dir / self._gen) if self._gen else None
        if key[0] != current.key[0]:
            return key[0] == live
        return (key[1] or 0) >= (current.key[1] or 0)
