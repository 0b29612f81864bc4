"""SearchIndex: the index lifecycle and search primitives the service builds on.

Layout of ``index_dir``::

    CURRENT            name of the live generation (replaced atomically)
    .admin.lock        flock held while creating/swapping generations
    gen-<ns>-<pid>/    a Whoosh index (words, facets, stored fields) + units.sqlite (the
                       substring sidecar, :mod:`indexer.search.sidecar`) + khlang.json

Writers take Whoosh's file lock on the live generation, waiting up to ``lock_timeout``
seconds (several processes -- gunicorn workers, the CLI -- can call add_documents at once;
they take turns), and write the sidecar while they hold it (sidecar first: a sidecar row
without a Whoosh document is never visible, search maps ids through Whoosh). Readers are
never blocked: Whoosh readers see the last committed generation of segments, SQLite readers
the last committed transaction (WAL). ``rebuild()`` fills a fresh generation and then swaps
CURRENT, so searches keep working during a rebuild.

Search (relevance) works on sets of Whoosh docnums (NumPy masks, see
:mod:`indexer.search.ranking`). The default search ranks in tiers (phrase, all content
words, some: :mod:`indexer.search.tiers`). ``match="all"``: per chunk, the documents
containing it as a unit-aligned substring (sidecar), which include those that have it as
words; tier 1 = documents matching every chunk, tier 2 = the others; within a tier, documents with a word/phrase match come
first in Whoosh's BM25F order, then substring-only matches by BM25F over any of the chunk's
words (by the sidecar's bm25 when none of them is a known word). ``total`` and the facets
count the union, after filters and ``published_only``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import pickle
import shutil
import sqlite3
import struct
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as Q
from whoosh import scoring
from whoosh.filedb.filestore import FileStorage
from whoosh.index import IndexError as WhooshIndexError
from whoosh.query.compound import DefaultOr
from whoosh.reading import ReaderClosed
from whoosh.writing import LockError

from indexer.runtime.locks import file_lock
from indexer.runtime.workers import worker_context

from . import sidecar as sc
from . import tiers
from .caches import LockedLRU
from .codec import KhlangCodec, merge_small
from .dictionary import DEFAULT_DICTIONARY
from .query import (
    Clause,
    chunk_clause,
    normalize_filters,
    parse,
    repair_query,
)
from .ranking import StateTables, UnreadablePostings, flat_terms, state_key, top_by
from .schema import (
    build_schema,
    decompress,
    index_forms,
    schema_version,
)
from .snippet import make_snippet
from .weighting import RsjIdfBM25F

log = logging.getLogger(__name__)

META_FILE = "khlang.json"


def _codec():
    """Whoosh's W3 format, written by :class:`.codec.KhlangCodec`, without zlib on postings
    blocks (compressing each short postings list was a large share of commit time for ~10%
    of size)."""
    return KhlangCodec(compression=0)


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


def _storage(path: Path) -> FileStorage:
    """The Whoosh storage of one index generation, read with plain file reads.

    Whoosh's default (mmap) opens each part of a compound segment as a ``BufferFile``, whose
    ``BytesIO(memoryview)`` copies the whole part into memory: at 100k documents every
    reader (one per thread) held ~3.4 GB and the first search of a thread took 4 s. Plain
    reads go through the page cache, which all threads and workers share; measured warm
    search latency stayed the same."""
    return FileStorage(str(path), supports_mmap=False)


SUBSTRING_SCORE = 0.1  # score of a substring-only match (x its strength, 0..1)


RESULT_WINDOW = 50  # results ranked (and kept) per query: the first pages
CACHED_RESULTS = 4 * RESULT_WINDOW  # the deepest result kept for the next request


class _Ranked:
    """One query's result on one index state: its count, facets, suggestion and the first
    documents in order, with the hits built so far (stored fields and snippet)."""

    def __init__(
        self, total, page, facets, suggestion, *, complete: bool, tiers: list, whole: int = 0
    ):
        self.total = total
        self.whole = whole  # how many documents have the whole query (phrase or all words)
        self.page: list[tuple[int, float | None]] = page
        self.tiers = tiers  # per page entry: the tier it came from (tiers.TIERS), or None
        self.facets = facets
        self.suggestion = suggestion
        self.complete = complete  # the page holds every match
        self._hits: dict[int, dict] = {}

    def covers(self, want: int) -> bool:
        return self.complete or len(self.page) >= want

    def hit(self, n: int, build: Callable[[int, float | None], dict]) -> dict:
        got = self._hits.get(n)
        if got is None:
            docnum, score = self.page[n]
            got = self._hits[n] = build(docnum, score)
        return got


class _ResultCache:
    """Recent results, least recently used out first, like Solr's queryResultCache.

    Staff repeat popular searches and page through results, and each page would otherwise
    rank the whole query again (tens of ms for a common word at 100k documents). Keys carry
    the index state, so a commit makes every older entry unreachable; they age out."""

    def __init__(self, size: int = 256):
        self.size = size
        self._entries = LockedLRU(size)

    def get(self, state: tuple, key: tuple, want: int) -> _Ranked | None:
        ranked = self._entries.get((state, key))
        return ranked if ranked is not None and ranked.covers(want) else None

    def put(self, state: tuple, key: tuple, ranked: _Ranked) -> None:
        self._entries.put((state, key), ranked)

    def __len__(self) -> int:
        return len(self._entries)

    def values(self):
        return self._entries.values()


class _Readers(threading.local):
    """One thread's Whoosh searcher and sidecar connection, and the generation they read."""

    gen: str | None = None
    searcher: Any = None
    side: sc.Sidecar | None = None


class IndexBusy(RuntimeError):
    """The writer lock could not be taken within lock_timeout."""


class IndexDamaged(RuntimeError):
    """The live generation could not be read; it is marked damaged (``DAMAGED_FILE``), so
    that every process reports it and ``reindex --if-needed`` rebuilds it."""


# "default": the tiers of :mod:`indexer.search.tiers`; "all": every chunk of the query as a
# phrase first, then documents with some of them. "any" (the former "any of these words"
# mode) and "strict" (the former default) stay accepted for scripts that pass them.
MATCH_MODES = ("default", "all", "any", "strict")
_MODE_ALIASES = {"any": "default", "strict": "all"}
DAMAGED_FILE = "DAMAGED"  # in a generation: a search failed to read it (the reason inside)
# What reading damaged segments or a damaged sidecar raises (zlib, struct, pickle, EOF,
# Whoosh's own errors, SQLite's "malformed"/"not a database"); a bug elsewhere is not
# taken for damage.
_READ_ERRORS = (
    zlib.error,
    struct.error,
    pickle.UnpicklingError,
    EOFError,
    OSError,
    ValueError,
    IndexError,
    KeyError,
    sqlite3.DatabaseError,
    sc.SidecarError,
    WhooshIndexError,
    UnreadablePostings,
)


# Errors that a damaged file gives when read, but that a mistake in Khlang's own code
# gives too: damage only when they are raised while reading, inside these libraries.
_AMBIGUOUS_ERRORS = (ValueError, IndexError, KeyError)
_READERS = (f"{os.sep}whoosh{os.sep}", f"{os.sep}pickle.py", f"{os.sep}numpy{os.sep}")


def _raised_in_a_reader(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb.tb_frame, tb.tb_next
    return last is not None and any(part in last.f_code.co_filename for part in _READERS)


# The machine short of something (open files, memory), not the index damaged: rebuilding
# the index for every process would not help, and a later search may well succeed.
_RESOURCE_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EAGAIN, errno.EINTR}


def _is_damage(exc: BaseException) -> bool:
    if isinstance(exc, IndexBusy) or not isinstance(exc, _READ_ERRORS):
        return False
    if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
        return False
    if isinstance(exc, _AMBIGUOUS_ERRORS) and not _raised_in_a_reader(exc):
        return False  # a bug to fix, not a reason to rebuild the index for everyone
    # another connection writing or checkpointing is not damage
    return not (
        isinstance(exc, sqlite3.OperationalError)
        and any(w in str(exc) for w in ("locked", "busy", "interrupted"))
    )


class SearchIndex:
    def __init__(
        self,
        index_dir: Path | str,
        *,
        dictionary: str = DEFAULT_DICTIONARY,
        lock_timeout: float = 60.0,
    ):
        self.index_dir = Path(index_dir)
        self.dictionary = dictionary
        self.lock_timeout = lock_timeout
        self.recreated = False  # set by open_or_create() when it had to start empty
        self._lock = threading.RLock()
        self._gen: str | None = None
        self._ix: Any = None
        # Readers are per thread (a Whoosh searcher and an SQLite connection are not safe to
        # share); the tables derived from an index state are shared (``_cache``).
        self._local = _Readers()
        # every thread's open searchers and sidecars, for close() (weak: a thread that ends
        # takes its readers with it)
        self._open_readers: weakref.WeakSet = weakref.WeakSet()
        self._cache: StateTables | None = None
        self._cache_lock = threading.Lock()
        self._results = _ResultCache()
        self._matcher = sc.ParallelMatcher(timeout=lock_timeout)
        self._empty_gens: dict[str, bool] = {}  # generation -> created as a stand-in

    # --- versions ---------------------------------------------------------------------------

    @property
    def schema_version(self) -> str:
        return schema_version(self.dictionary)

    def _meta(self, gen: str | None = None) -> dict:
        gen = gen or self._read_current()
        if gen is None:
            return {}
        try:
            return json.loads((self.index_dir / gen / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def stored_schema_version(self) -> str | None:
        return self._meta().get("schema_version")

    def damaged(self) -> str | None:
        """Why the live generation is known to be damaged (a search failed to read it, in
        this or another process), or None."""
        gen = self._read_current()
        if gen is None:
            return None
        try:
            return (self.index_dir / gen / DAMAGED_FILE).read_text("utf-8") or "damaged"
        except OSError:
            return None

    def unavailable(self) -> str | None:
        """Why searches of the live generation cannot be trusted now, or None: there is
        none, a search found it damaged, or it was recreated empty (after damage, or in
        place of a lost index while the database says documents were indexed) and has not
        been rebuilt yet. Such an index must never answer "nothing found"."""
        gen = self._read_current()
        if gen is None:
            return "no live search index"
        reason = self.damaged()
        if reason is not None:
            return f"damaged: {reason}"
        if self._recreated_empty(gen):
            return "recreated empty after damage or loss; being rebuilt from the database"
        return None

    def _recreated_empty(self, gen: str) -> bool:
        # a generation's meta is written once, when it is created: asked once per process
        known = self._empty_gens.get(gen)
        if known is None:
            known = self._empty_gens[gen] = bool(self._meta(gen).get("recreated_empty"))
        return known

    def needs_rebuild(self) -> bool:
        """True when the index is missing, was recreated empty (by this or any process),
        is known to be damaged, or was built by another analyzer/dictionary/schema
        version."""
        meta = self._meta()
        return (
            self.recreated
            or bool(meta.get("recreated_empty"))
            or meta.get("schema_version") != self.schema_version
            or self.damaged() is not None
        )

    def _mark_damaged(self, gen: str, exc: BaseException) -> None:
        log.error("search index generation %s damaged: %r", gen, exc)
        with contextlib.suppress(OSError):  # a generation swapped out and removed meanwhile
            (self.index_dir / gen / DAMAGED_FILE).write_text(repr(exc)[:2000], "utf-8")

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
                if not _is_damage(exc):
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

    # --- generations ------------------------------------------------------------------------

    def _read_current(self) -> str | None:
        try:
            gen = (self.index_dir / "CURRENT").read_text("utf-8").strip()
        except OSError:
            return None
        return gen or None

    @contextlib.contextmanager
    def _admin_lock(self):
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.index_dir / ".admin.lock", timeout=self.lock_timeout) as held:
            if not held:
                raise IndexBusy("index administration lock busy")
            yield

    def _new_generation(self, *, recreated_empty: bool = False) -> str:
        gen = f"gen-{time.time_ns()}-{os.getpid()}"
        path = self.index_dir / gen
        path.mkdir(parents=True)
        try:
            _storage(path).create_index(build_schema(self.dictionary))
            sc.create(path / sc.FILE_NAME)
            meta = {"schema_version": self.schema_version, "created": time.time()}
            if recreated_empty:  # in the file: the other processes must know it too
                meta["recreated_empty"] = True
            (path / META_FILE).write_text(json.dumps(meta), "utf-8")
        except BaseException:  # a full disk, say: leave no half-made generation behind
            shutil.rmtree(path, ignore_errors=True)
            raise
        return gen

    def _swap(self, gen: str) -> None:
        tmp = self.index_dir / f"CURRENT.{os.getpid()}.tmp"
        try:
            tmp.write_text(gen, "utf-8")
        except BaseException:  # a full disk: CURRENT stays as it was
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, self.index_dir / "CURRENT")

    def _cleanup(self, keep: set[str]) -> None:
        """Remove generations other than ``keep`` (readers in other processes that still
        have old files open keep them until they close: POSIX unlink semantics)."""
        for child in self.index_dir.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

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
            self._ix = _storage(self.index_dir / gen).open_index()
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

    # --- lifecycle --------------------------------------------------------------------------

    def _healthy_gen(self, gen: str, deep: bool = False) -> bool:
        path = self.index_dir / gen
        try:
            json.loads((path / META_FILE).read_text("utf-8"))
            ix = _storage(path).open_index()
            with ix.searcher() as s:
                r = s.reader()
                n = r.doc_count_all()
                ids = list(r.lexicon("id"))
                if n and not ids:
                    return False
                for fname in ("title", "text", "province"):
                    for k, term in enumerate(r.lexicon(fname)):
                        list(r.postings(fname, term).all_ids())
                        if not deep and k >= 2:
                            break
                docnums = list(r.all_doc_ids())
                sample = docnums if deep else docnums[:1] + docnums[-1:]
                for d in sample:
                    decompress(r.stored_fields(d).get("body"))
                if docnums:  # one real query through every layer
                    s.search(Q.Term("id", ids[0]), limit=1)
            side = sc.Sidecar(path / sc.FILE_NAME)
            try:
                side.check(deep=deep)
            finally:
                side.close()
            return True
        except Exception as exc:  # any failure to read is "not healthy"...
            if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
                raise  # ...but a machine short of files or memory says nothing of the index
            log.warning("search index generation %s unreadable: %r", gen, exc)
            return False

    def is_healthy(self, deep: bool = False) -> bool:
        """Can the live generation be opened and read (and has no search found it
        damaged)? ``deep`` reads every postings list and stored document (slow on a large
        index)."""
        gen = self._read_current()
        return gen is not None and self.damaged() is None and self._healthy_gen(gen, deep=deep)

    def open_or_create(self, *, lost: Callable[[], bool] | None = None) -> SearchIndex:
        """Open the index, creating it if absent and recreating it (empty) if it cannot be
        read. Never fatal for a damaged index: afterwards ``recreated``/``needs_rebuild()``
        tell the caller to re-add documents.

        A recreated index is marked ``recreated_empty`` (searches refuse to answer from it,
        see :meth:`unavailable`, until a rebuild swaps in a full one); so is a new index
        when ``lost()`` says the database has documents it recorded as indexed (the index
        folder was deleted or lost)."""
        with self._lock, self._admin_lock():
            gen = self._read_current()
            if gen is None or not self._healthy_gen(gen):
                stand_in = gen is not None or (lost is not None and lost())
                if stand_in:
                    log.error("search index %s damaged or lost; recreating it empty", gen)
                self._close()
                new = self._new_generation(recreated_empty=stand_in)
                self._swap(new)
                self.recreated = True
                # only the damaged generation goes: another process may be building one
                if gen is not None:
                    shutil.rmtree(self.index_dir / gen, ignore_errors=True)
            self._index()
        return self

    # --- writing ----------------------------------------------------------------------------

    def _writer(self, ix):
        try:
            return ix.writer(timeout=self.lock_timeout, delay=0.05, codec=_codec())
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
            ix = _storage(self.index_dir / gen).open_index()
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
        self._write([], delete_ids=[doc_id])

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
            forks = worker_context().get_start_method() == "fork"
            procs = 2 if (os.cpu_count() or 1) >= 2 and forks else 1
        with self._admin_lock():
            gen = self._new_generation()
        path = self.index_dir / gen
        ix = _storage(path).open_index()
        if procs > 1:
            from whoosh.multiproc import MpWriter

            w = MpWriter(
                ix,
                procs=procs,
                batchsize=50,
                multisegment=True,
                limitmb=max(32, limitmb // procs),
                codec=_codec(),
            )
        else:
            w = ix.writer(limitmb=limitmb, codec=_codec())
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

    def swap_in(self, gen: str) -> None:
        """Make generation ``gen`` (from :meth:`build_generation`) the live one."""
        with self._lock, self._admin_lock():
            old = self._read_current()
            self._swap(gen)
            self._close()
            self.recreated = False
            self._cleanup(keep={gen} | ({old} if old else set()))
            self._index()

    # --- searching --------------------------------------------------------------------------

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

    def _clause_docs(self, tables: StateTables, clause: Clause) -> np.ndarray:
        """The documents containing the chunk.

        The sidecar answers alone: a whole-word or word-phrase match is also a unit-aligned
        substring match (nlpo3 cuts only at TCC boundaries, and words, phrases and the
        sidecar all skip the same separators), which the tests check on real text; Whoosh is
        asked only to rank the word matches among these documents."""
        return tables.mask_of(tables.sidecar_docs(self._sidecar(), clause.encoded, self._matcher))

    def _strength(self, tables: StateTables, clause: Clause) -> np.ndarray:
        """Every document's strength of substring match with the chunk (0 where there is
        none; see Sidecar.strengths)."""
        docnums, strengths = tables.sidecar_strengths(self._sidecar(), clause.encoded)
        dense = np.zeros(tables.size, dtype=np.float64)
        dense[docnums] = strengths
        return dense

    def _word_strength(self, s, tables: StateTables, clause: Clause, within) -> np.ndarray:
        """For documents that contain the chunk but not as its words together: how much
        of the chunk's words they have, as BM25F over any of the words, in (0, 1).

        FTS5's bm25 of the chunk would say how often it occurs, but costs a second full
        scan of the chunk's trigrams (18 ms a chunk at 100k documents, twice a match)."""
        flat = flat_terms(clause.words)
        if flat is None:
            return self._strength(tables, clause)
        any_word = [(boost, [term]) for boost, terms in flat for term in terms]
        scores = tables.bm25(s, any_word, within)
        return scores / (1.0 + scores)

    def _words_can_match(self, s, clause: Clause) -> bool:
        """Whether the clause's word query can match at all (all of its words in one field's
        lexicon). When it cannot, its documents are ranked by substring strength only, so
        the strengths are fetched at once and give the documents too (one sidecar query)."""
        flat = flat_terms(clause.words)
        if flat is None:
            return True
        reader = s.reader()
        return any(all(reader.doc_frequency(f, w) > 0 for f, w in terms) for _b, terms in flat)

    def _word_top(
        self, s, tables: StateTables, word_q, tier: np.ndarray, need: int
    ) -> list[tuple[int, float]]:
        """The ``need`` best documents of ``tier`` with a word or word-phrase match, in the
        BM25F order Whoosh would give ``word_q`` (see :mod:`indexer.search.ranking`)."""
        flat = flat_terms(word_q)
        if flat is not None and isinstance(s.weighting, scoring.BM25F):
            return tables.bm25_top(s, flat, tier, need)
        # a query shape or weighting the arrays do not handle: Whoosh ranks
        allowed = {int(d) for d in np.flatnonzero(tier)}
        return [(h.docnum, h.score) for h in s.search(word_q, limit=need, filter=allowed)]

    def _hit(self, searcher, docnum: int, score: float | None, chunks: list[str]) -> dict:
        f = searcher.stored_fields(docnum)
        fy = f.get("fiscal_year") or ""
        return {
            "document_id": int(f["id"]),
            "title": f.get("title") or "",
            "filename": f.get("filename") or "",
            "score": round(float(score or 0.0), 4),
            "snippet": make_snippet(decompress(f.get("body")), chunks, dictionary=self.dictionary),
            "kind": f.get("kind") or "",
            "category": f.get("category") or "",
            "fiscal_year": int(fy) if fy.isdigit() else None,
            "date": f.get("date") or None,  # the document's own date; None when undated
            "received": f.get("received") or None,  # when it came into Khlang
        }

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        offset: int = 0,
        sort: str = "relevance",
        published_only: bool = False,
        filters: dict | None = None,
        match: str = "default",
    ) -> dict:
        """Search; see the module docstring of :mod:`indexer.search.query` for the language.

        The default ranks in tiers (:mod:`indexer.search.tiers`): the query verbatim, then
        every content word, then some of them; each hit's ``match`` names its tier
        (``phrase``, ``all``, ``some``). ``match="all"``: each chunk is a phrase; documents
        with every chunk first (``phrase``), then those with some chunks (``some``).
        ``total`` and ``facets`` count every match after filters (and the
        ``published_only`` visibility filter).

        Raises :class:`IndexDamaged` when the index cannot be read (and marks it so)."""
        if sort not in ("relevance", "date"):
            raise ValueError("sort must be 'relevance' or 'date'")
        if match not in MATCH_MODES:
            raise ValueError(f"match must be one of {MATCH_MODES}")
        match = _MODE_ALIASES.get(match, match)
        limit = max(0, int(limit))
        offset = max(0, int(offset))
        pq = parse(query)
        merged = normalize_filters(filters)
        for k, vs in pq.filters.items():
            merged.setdefault(k, []).extend(vs)
        pq.filters = merged

        positive = pq.positive
        if match == "default":  # a question's words are marked where they occur
            positive = positive + tiers.content_words_of(pq, self.dictionary)
        key = (
            query,
            sort,
            bool(published_only),
            match,
            tuple(sorted((k, tuple(vs)) for k, vs in merged.items() if vs)),
        )
        want = offset + limit

        def run() -> dict:
            s = self._get_searcher()
            tables = self._tables(s)
            ranked = self._results.get(tables.key, key, want)
            if ranked is None:
                # a window of at least RESULT_WINDOW, so the next pages come from the cache
                window = max(want, RESULT_WINDOW)
                ranked = self._ranked(s, tables, pq, match, sort, published_only, window)
                # far pages are ranked for the asker only: keeping them would keep one
                # entry per matching document (12 MB for a common word at 100k)
                if want <= CACHED_RESULTS:
                    self._results.put(tables.key, key, ranked)
            hits = [
                dict(ranked.hit(n, lambda d, score: self._hit(s, d, score, positive)))
                | {"match": ranked.tiers[n]}
                for n in range(offset, min(want, len(ranked.page)))
            ]
            return {
                "total": ranked.total,
                "hits": hits,
                "facets": {f: [dict(v) for v in vs] for f, vs in ranked.facets.items()},
                "suggestion": ranked.suggestion,
                "query": pq.to_dict(),
            }

        return self._answering(run)

    def _ranked(self, s, tables, pq, match, sort, published_only, want, *, suggest=True) -> _Ranked:
        """The documents matching a parsed query: their count and facets, the first ``want``
        of them in result order with their tiers, and "did you mean". Sets of documents are
        masks over the docnums."""
        clauses = [c for c in (chunk_clause(t, self.dictionary) for t in pq.positive) if c]
        docs = tables.live.copy()
        for c in (c for c in (chunk_clause(t, self.dictionary) for t in pq.excluded) if c):
            docs &= ~self._clause_docs(tables, c)
        for fname, values in pq.excluded_filters.items():
            docs &= ~tables.value_docs(fname, values)
        allowed = tables.filter_docs(pq.filters, published_only)
        if allowed is not None:
            docs &= allowed
        # +words, and in the tiers of the default the quoted phrases: in every document
        must = pq.required + (pq.phrases if match == "default" else [])
        for c in (c for c in (chunk_clause(t, self.dictionary) for t in must) if c):
            docs &= self._clause_docs(tables, c)
        if not clauses:
            page = [(d, None) for d in tables.by_date(s, docs, want)]
            names: list = [None] * len(page)
            whole = docs
        elif match == "default":
            docs, whole, page, names = tiers.rank(
                self, s, tables, tiers.TieredQuery(pq, self.dictionary), docs, sort, want
            )
        else:
            docs, whole, page, names = self._rank_all(s, tables, clauses, docs, sort, want)
        total = int(np.count_nonzero(docs))
        whole_count = int(np.count_nonzero(whole))
        suggestion = None
        if suggest and pq.positive:
            suggestion = self._better_spelling(s, tables, pq, match, published_only, whole_count)
        return _Ranked(
            total,
            page,
            tables.facet_counts(docs),
            suggestion,
            complete=len(page) < want,
            tiers=names,
            whole=whole_count,
        )

    def _better_spelling(self, s, tables, pq, match, published_only, whole) -> str | None:
        """The query with its unknown words corrected, when more documents have the whole
        corrected query (verbatim, or all its content words) than have the query's
        (a word the dictionary or the index knows is never corrected)."""
        candidate = tables.speller.suggest(s.reader(), pq.positive, self.dictionary)
        if candidate is None:
            return None
        fixed = parse(candidate)
        fixed.filters, fixed.excluded = pq.filters, pq.excluded
        fixed.excluded_filters = pq.excluded_filters
        found = self._ranked(s, tables, fixed, match, "relevance", published_only, 0, suggest=False)
        return candidate if found.whole > whole else None

    def _rank_all(self, s, tables, clauses, allowed, sort, want):
        """``match="all"``: documents with every chunk (as a phrase or unit-aligned
        substring) first, then documents with some chunks: (documents matched, those with
        every chunk, page, tier names)."""
        # substring-only clauses: strengths now, they give the documents too
        early = {
            n: self._strength(tables, c)
            for n, c in enumerate(clauses)
            if not self._words_can_match(s, c)
        }
        matches = [
            early[n] > 0 if n in early else self._clause_docs(tables, c)
            for n, c in enumerate(clauses)
        ]
        docs = np.logical_or.reduce(matches) & allowed
        tier1 = np.logical_and.reduce(matches) & docs

        if sort == "date":
            page = [(d, None) for d in tables.by_date(s, docs, want)]
            return docs, tier1, page, ["phrase" if tier1[d] else "some" for d, _ in page]
        page = []
        names = []
        word_q = clauses[0].words if len(clauses) == 1 else DefaultOr([c.words for c in clauses])
        strength: np.ndarray | None = None  # summed over the clauses, when first needed
        for name, tier in (("phrase", tier1), ("some", docs & ~tier1)):
            need = want - len(page)
            if need <= 0:
                break
            if not tier.any():
                continue
            # word/phrase matches first, in BM25F order; fewer than asked for means
            # there are no more of them in the tier
            got = self._word_top(s, tables, word_q, tier, need)
            need -= len(got)
            if need > 0:
                rest = tier.copy()
                rest[[d for d, _ in got]] = False
                if strength is None:
                    strength = np.sum(
                        [
                            early[n] if n in early else self._word_strength(s, tables, c, docs)
                            for n, c in enumerate(clauses)
                        ],
                        axis=0,
                    )
                candidates = np.flatnonzero(rest)
                best = top_by(candidates, strength[candidates], need)
                scale = SUBSTRING_SCORE / len(clauses)
                got += [(d, scale * float(strength[d])) for d in best]
            page += got
            names += [name] * len(got)
        return docs, tier1, page, names

    # --- reuse lookup -----------------------------------------------------------------------

    def similar(
        self,
        text: str,
        limit: int = 10,
        published_only: bool = False,
        *,
        exclude_ids: Iterable[int] = (),
        max_terms: int = 25,
        min_df: int = 1,
    ) -> list[dict]:
        """Past documents most similar to a free-text description; each hit carries the
        ``shared_terms`` (key terms of ``text`` that the document contains) and its
        ``projects`` (see :func:`indexer.search.similar.similar_projects`)."""
        from .similar import key_terms

        text = repair_query(text)

        def run() -> list[dict]:
            s = self._get_searcher()
            tables = self._tables(s)
            terms = key_terms(s.reader(), text, self.dictionary, max_terms=max_terms, min_df=min_df)
            if not terms:
                return []
            flat = []
            for t, w in terms:
                flat += [(w, [("text", t)]), (w * 1.5, [("title", t)])]
            within = tables.live.copy()
            allowed = tables.filter_docs({}, published_only)
            if allowed is not None:
                within &= allowed
            excluded = np.fromiter((int(i) for i in exclude_ids), dtype=np.int64)
            within[tables.docnums_of_ids(excluded)] = False
            out = []
            for docnum, score in tables.bm25_top(s, flat, within, limit):
                shared = [t for t, _ in terms if tables.has_term(s, docnum, ("text", "title"), t)]
                hit = self._hit(s, docnum, score, shared[:8])
                hit["shared_terms"] = shared
                hit["projects"] = list(tables.projects_of(docnum))
                out.append(hit)
            return out

        return self._answering(run)

    def similar_to_document(
        self, doc_id: int, limit: int = 10, published_only: bool = False
    ) -> list[dict]:
        def body() -> str | None:
            s = self._get_searcher()
            docnum = s.document_number(id=str(int(doc_id)))
            if docnum is None:
                return None
            f = s.stored_fields(docnum)
            return f"{f.get('title') or ''}\n{decompress(f.get('body'))}"

        text = self._answering(body)
        if text is None:
            raise KeyError(doc_id)
        # terms only this document has cannot be shared: min_df=2
        return self.similar(text, limit, published_only, exclude_ids=[doc_id], min_df=2)
