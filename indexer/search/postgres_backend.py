"""The ``postgres`` search backend: Khlang's search rows in its own PostgreSQL database, for
several app servers and workers sharing one index (``KHLANG_SEARCH_BACKEND=postgres``).

The analyzer is the Whoosh backend's (:mod:`indexer.search.pg_rows`), the rows and their
statistics are written by :mod:`indexer.search.pg_store`, searching and ranking are
:mod:`indexer.search.pg_search`'s; this module is the seam's class.

Rows belong to a generation recording the analyzer version that wrote them: when the
running version differs, :meth:`check` says ``needs_rebuild`` and ``khlang reindex
--if-needed`` rebuilds, in a new generation beside the live one (:meth:`stage`), swapped in
one transaction (:meth:`StagedRows.go_live`). A generation whose rows disagree with its
own counts (rows lost, a partial restore) is damaged: searches refuse rather than miss.

With ``KHLANG_DATABASE_READ_URL`` set, searches (``search``, ``similar``, ``suggest``)
read a streaming standby when the process's :class:`.replica_reads.ReplicaGate` (the one
the read-only pages ask too) allows it (the asker's
own changes replayed there, not lagging, reachable); a read the standby fails
(gone, or a query cancelled by recovery) is made again on the primary. Writes, health
checks and everything else use the primary only.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import psycopg

from indexer.runtime.workers import die_with_parent, rebuild_procs, worker_context
from schemas.config import ConfigError, Settings
from schemas.search_index import WORD_FIELDS

from . import pg_results, tiers
from .backend import (
    FacetValue,
    Health,
    SearchBackend,
    SearchHit,
    SearchResult,
    SimilarHit,
    StagedIndex,
    check_search_arguments,
)
from .dictionary import DEFAULT_DICTIONARY
from .errors import IndexDamaged
from .pg_facets import facet_counts
from .pg_rows import FIELDS, JUNCTION_REACH, DocumentRows, document_rows
from .pg_search import Searcher, State
from .pg_store import GenerationGone, Store
from .query import normalize_filters, parse, repair_query
from .replica_reads import (
    CONNECT_OPTIONS,
    PRIMARY,
    REPLICA,
    STANDBY_STATE_SQL,
    ReplicaGate,
    current_read,
    read_on,
    shared_gate,
)
from .schema import schema_version
from .searching import _MODE_ALIASES

# the rows' layout: 2 says which postings are unaligned (0016); 3 adds the junction keys
# (pg_rows.Junctions), with which postings prove a substring inside any word; 4 makes
# their long side reach further (pg_rows.JUNCTION_REACH)
STORE_VERSION = "4"
BATCH = 200  # documents a write transaction
REBUILDING = "rebuilding"  # the version of a generation recreated empty after a loss
T = TypeVar("T")


def _batches(documents: Iterable[dict]) -> Iterable[list[dict]]:
    batch: dict[int, dict] = {}
    for doc in documents:
        batch[int(doc["id"])] = doc  # the last of one id wins, as one after another would
        if len(batch) >= BATCH:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


def _store_version(version: str) -> int:
    """The store version a generation's version string records (0: none)."""
    _, found, number = version.rpartition(";store=postgres-")
    return int(number) if found and number.isdigit() else 0


def _batch_rows(batch: list[dict], dictionary: str) -> list[DocumentRows]:
    return [document_rows(d, dictionary) for d in batch]


def _analysed(
    batches: Iterable[list[dict]], dictionary: str, procs: int
) -> Iterator[list[DocumentRows]]:
    """Each batch's rows, in order. With ``procs`` > 1 they are made in as many worker
    processes while this one writes the batches before (measured: the analyzer was half a
    rebuild once the new generation's tables were written bare); a few batches ahead at
    most, so that a large archive is not read into memory."""
    if procs <= 1:
        for batch in batches:
            yield _batch_rows(batch, dictionary)
        return
    # the workers die with this process (a rebuild killed leaves none waiting for work)
    with worker_context().Pool(procs, die_with_parent, (os.getpid(),)) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(_batch_rows, (batch, dictionary)))
            if len(pending) > 2 * procs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


class StagedRows(StagedIndex):
    """A generation being built beside the live one."""

    def __init__(self, backend: PostgresBackend, gen: int, documents: int, held: set[int]):
        self.backend, self.gen, self.documents = backend, gen, documents
        self.held = held  # the ids written so far (its tables have no index to ask)

    def add(self, documents: Iterable[dict]) -> None:
        self.backend._write(self.gen, documents, staged=self.held)

    def go_live(self) -> None:
        self.backend.store.go_live(self.gen)
        self.backend._verified.clear()
        self.backend._pieces.clear()


class PostgresBackend(SearchBackend):
    name = "postgres"

    def __init__(
        self,
        store: Store,
        dictionary: str = DEFAULT_DICTIONARY,
        *,
        replica: Store | None = None,
        gate: ReplicaGate | None = None,
    ):
        self.store = store  # the primary: every write, and reads the standby may not make
        self.replica = replica  # the read replica's rows, or None
        self.gate = gate or ReplicaGate(0.0)
        self.dictionary = dictionary
        self._verified: dict[int, str | None] = {}  # gen -> damage found (None: sound)
        self._pieces: dict[int, float] = {}  # gen -> its pieces a document (planner's count)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, *, lost: Callable[[], bool] | None = None):
        url = settings.database_url
        if not url.startswith("postgresql"):
            raise ConfigError(
                "KHLANG_SEARCH_BACKEND=postgres ใช้ได้กับฐานข้อมูล PostgreSQL เท่านั้น"
                " ตั้ง KHLANG_DATABASE_URL=postgresql+psycopg://... "
                "(the postgres search backend needs a PostgreSQL database)"
            )
        store = Store(url)
        if not store.tables_exist():
            store.close()
            raise ConfigError(
                "ยังไม่มีตารางค้นหาในฐานข้อมูล เรียก khlang init เพื่อปรับโครงสร้างฐานข้อมูลก่อน "
                "(the search tables are missing: run khlang init to migrate the database)"
            )
        replica, gate = None, None
        if settings.database_read_url:
            # Not connected now: a standby that is down must not stop the service starting.
            replica = Store(settings.database_read_url, connect_options=CONNECT_OPTIONS)
            # the pages' reads (Khlang.reading_replica) ask the same gate
            gate = shared_gate(settings.database_read_url, settings.read_replica_max_lag)
        backend = cls(store, replica=replica, gate=gate)
        if store.live() is None:
            lost_rows = bool(lost and lost())
            gen = store.new_generation(REBUILDING if lost_rows else backend.version, "live")
            del gen
        return backend

    @property
    def version(self) -> str:
        return f"{schema_version(self.dictionary)};store=postgres-{STORE_VERSION}"

    # --- writing ---------------------------------------------------------------------------

    def _write(
        self,
        gen: int,
        documents: Iterable[dict],
        progress=None,
        staged: set[int] | None = None,
        procs: int = 1,
    ) -> int:
        """Write ``documents`` to ``gen``; ``staged``: a staging generation's ids so far
        (:meth:`Store.write`); ``procs``: analyzer processes (:func:`_analysed`)."""
        n = 0
        for rows in _analysed(_batches(documents), self.dictionary, procs):
            self.store.write(gen, rows, {f: WORD_FIELDS[f] for f in FIELDS}, staged)
            n += len(rows)
            if progress is not None:
                progress(n)
        return n

    def _live_gen(self) -> int:
        live = self.store.live()
        if live is None:
            raise IndexDamaged("no live search generation (ไม่มีดัชนีค้นหาที่ใช้งานได้)")
        return live[0]

    def index(self, documents: Iterable[dict]) -> int:
        n = 0
        for batch in _batches(documents):
            try:
                n += self._write(self._live_gen(), batch)
            except GenerationGone:  # a rebuild went live meanwhile: write to it
                n += self._write(self._live_gen(), batch)
        return n

    def delete(self, document_ids: Iterable[int]) -> None:
        ids = [int(i) for i in document_ids]
        try:
            self.store.delete(self._live_gen(), ids)
        except GenerationGone:
            self.store.delete(self._live_gen(), ids)

    def stage(
        self,
        documents: Iterable[dict],
        progress: Callable[[int], Any] | None = None,
        *,
        procs: int | None = None,
    ) -> StagedRows:
        procs = rebuild_procs() if procs is None else procs  # asked before any connection
        gen = self.store.new_generation(self.version, "staging")
        held: set[int] = set()
        n = self._write(gen, documents, progress, staged=held, procs=procs)
        if progress is not None:
            progress(n)
        return StagedRows(self, gen, n, held)

    # --- health ----------------------------------------------------------------------------

    def _damage(self, gen: int, counted: int, deep: bool, store: Store | None = None) -> str | None:
        """What is wrong with a generation's rows (in ``store``: the primary's by default),
        or None."""
        store = store or self.store
        docs, *lens = store.one(
            "SELECT docs, len_title, len_meta, len_text FROM khlang_search.generations WHERE gen = %s",
            (gen,),
        )
        if counted != docs:
            return f"search generation {gen}: {counted} document rows, its count says {docs}"
        if deep:
            sums = store.one(
                "SELECT coalesce(sum(len_title), 0), coalesce(sum(len_meta), 0),"
                " coalesce(sum(len_text), 0) FROM khlang_search.documents WHERE gen = %s",
                (gen,),
            )
            if list(sums) != list(lens):
                return f"search generation {gen}: field lengths {list(sums)} != {lens}"
            bad = store.one(
                "SELECT count(*) FROM (SELECT term FROM khlang_search.postings WHERE gen = %s"
                " GROUP BY term) p FULL JOIN (SELECT term, df FROM khlang_search.terms WHERE gen = %s"
                " AND df > 0) t USING (term) WHERE t.df IS DISTINCT FROM (SELECT count(*)"
                " FROM khlang_search.postings q WHERE q.gen = %s AND q.term = p.term)",
                (gen, gen, gen),
            )[0]
            if bad:
                return f"search generation {gen}: {bad} words' document frequencies are wrong"
        return None

    def _state(self, store: Store) -> State:
        """The live generation, checked once per process (and after each swap)."""
        live = store.live()
        if live is None:
            raise IndexDamaged("no live search generation (ไม่มีดัชนีค้นหาที่ใช้งานได้)")
        gen, version, docs, *lens = live
        if version == REBUILDING:
            raise IndexDamaged("the search rows were lost and are being rebuilt")
        if gen not in self._verified:
            with self._lock:
                self._verified[gen] = self._damage(gen, store.count(gen), False, store)
        if self._verified[gen] is not None:
            raise IndexDamaged(self._verified[gen])
        avg = {f: (n / docs if docs else 0.0) for f, n in zip(FIELDS, lens, strict=True)}
        layout = _store_version(version)
        if gen not in self._pieces:
            self._pieces[gen] = store.pieces_per_document(gen, docs)
        return State(
            gen,
            docs,
            avg,
            proofs=layout >= 2,
            junctions=layout >= 3,
            reach=JUNCTION_REACH if layout >= 4 else 2,
            pieces=self._pieces[gen],
        )

    def check(self, *, deep: bool = False) -> Health:
        try:
            live = self.store.live()
            if live is None:
                return Health("rebuilding", "no live search generation", True)
            gen, version = live[0], live[1]
            if version == REBUILDING:
                return Health("rebuilding", "the search rows were lost", True)
            reason = self._damage(gen, self.store.count(gen), deep)
        except psycopg.Error as exc:
            return Health("unreadable", str(exc).strip(), True)
        self._verified[gen] = reason
        if reason is not None:
            return Health("damaged", reason, needs_rebuild=True)
        return Health("ok", needs_rebuild=version != self.version)

    # --- searching -------------------------------------------------------------------------

    def _searcher(self, store: Store, published_only: bool) -> Searcher:
        return Searcher(store, self._state(store), self.dictionary, published_only)

    def _read(self, run: Callable[[Store], T]) -> T:
        """``run(store)`` on the read replica when the gate allows it, else (or when the
        standby fails it) on the primary; the request's Read says which answered. A
        rebuild going live during it (its tables dropped under the search) runs it once
        more, on the new generation."""
        try:
            return self._read_once(run)
        except GenerationGone:
            return self._read_once(run)

    def _read_once(self, run: Callable[[Store], T]) -> T:
        if self.replica is None:
            current_read().source = PRIMARY
            return run(self.store)
        return read_on(
            self.gate,
            lambda: self.replica.one(STANDBY_STATE_SQL),
            lambda source: run(self.replica if source == REPLICA else self.store),
            psycopg.OperationalError,  # gone, or a query cancelled by its recovery
        )

    def search(
        self,
        query: str,
        *,
        filters: dict | None = None,
        facets: bool = True,
        sort: str = "relevance",
        limit: int = 20,
        offset: int = 0,
        published_only: bool = False,
        match: str = "default",
    ) -> SearchResult:
        check_search_arguments(sort, match)
        match = _MODE_ALIASES.get(match, match)
        limit, offset = max(0, int(limit)), max(0, int(offset))

        def run(store: Store) -> SearchResult:  # parsed afresh: a retry starts clean
            pq = parse(query)
            merged = normalize_filters(filters)
            for k, vs in pq.filters.items():
                merged.setdefault(k, []).extend(vs)
            pq.filters = merged
            return self._search(store, pq, match, sort, limit, offset, published_only, facets)

        return self._read(run)

    def _search(self, store, pq, match, sort, limit, offset, published_only, facets):
        s = self._searcher(store, published_only)
        want = offset + limit
        docs, whole, page, names = s.ranked(pq, match, sort, want)
        suggestion = s.suggestion(pq, match, whole) if pq.positive else None
        marked = pq.positive
        if match == "default":  # a question's words are marked where they occur
            marked = marked + tiers.content_words_of(pq, self.dictionary)
        hits = pg_results.hits(s, page[offset:want], names[offset:want], marked)
        return SearchResult(
            total=len(docs),
            hits=[SearchHit(**{k: v for k, v in h.items() if k != "projects"}) for h in hits],
            facets=(
                {
                    f: [FacetValue(**v) for v in vs]
                    for f, vs in facet_counts(store, s.state.gen, s.state.n, docs).items()
                }
                if facets
                else {}
            ),
            suggestion=suggestion,
            query=pq.to_dict(),
        )

    def similar(
        self,
        text: str,
        *,
        limit: int = 10,
        published_only: bool = False,
        exclude_ids: Iterable[int] = (),
    ) -> list[SimilarHit]:
        def run(store: Store) -> list[dict]:
            s = self._searcher(store, published_only)
            s.prepare(parse(""), "default")
            return pg_results.similar(s, repair_query(text), limit, {int(i) for i in exclude_ids})

        hits = self._read(run)
        return [SimilarHit(**{k: v for k, v in h.items() if k != "match"}) for h in hits]

    def suggest(self, query: str, *, published_only: bool = False) -> str | None:
        return self.search(query, limit=0, facets=False, published_only=published_only).suggestion

    def ids(self) -> set[int]:
        return self.store.ids(self._live_gen())

    def close(self) -> None:
        self.store.close()
        if self.replica is not None:
            self.replica.close()
