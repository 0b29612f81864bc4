"""Facet counts of the ``postgres`` backend: exact, from the live generation's facet values
held in each process as arrays (as the Whoosh backend's :meth:`StateTables.facet_counts`),
so counting a search's matches is a pass over arrays, not a read of every match's row.

Why: counting in SQL (an index-only scan of ``documents_facets``, each match's values
unnested and grouped) read every match: 17 to 60 ms a query at 10,000 documents (148 ms
for a question matching 4,215), the largest cost of every query kind but the filtered one,
and growing with the collection.

The values are those of one version of the generation: every write of documents (add,
replace, delete) updates the generation's row in the same transaction, so that row's
``xmin`` (the transaction that last wrote it) changes with every write and is the version.
It is read with the values in one snapshot. A search whose generation changed since
the load counts in SQL as before when its matches are few (:data:`RELOAD_SHARE`), and
reloads the values when they are many: during ingestion, commit after commit, a search of
a few matches does not pay a reload of every document's values. A process holding none
yet loads them on its first search.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schemas.search_index import FACET_FIELDS, MULTI_FIELDS

from .pg_arrays import id_array

if TYPE_CHECKING:
    from .pg_store import Store

# with the held values out of date, a search matching fewer than this share of the
# generation's documents counts in SQL rather than reload them: a reload costs about as
# much as counting every document in SQL (109 ms at 10k documents, the SQL count of 5,000
# matches 58 ms, the held values' 0.6 ms), so it costs at most four times the SQL count
RELOAD_SHARE = 1 / 4

# the version of a generation's rows: the transaction that last wrote its row
_VERSION_SQL = "SELECT xmin::text FROM khlang_search.generations WHERE gen = %s"


def _pairs_sql(matches: str) -> str:
    """Each document's (facet, value) pairs, ``matches`` the condition on ``d``; grouped
    by (facet, value) with ``aggregate``."""
    single = [f for f in FACET_FIELDS if f not in MULTI_FIELDS]
    names = (
        "ARRAY["
        + ", ".join(f"'{f}'" for f in single)
        + "]"
        + "".join(f" || array_fill('{f}'::text, ARRAY[cardinality(d.{f})])" for f in MULTI_FIELDS)
    )
    values = "ARRAY[" + ", ".join(f"d.{f}" for f in single) + "]"
    values += "".join(f" || d.{f}" for f in MULTI_FIELDS)
    return (
        "SELECT p.f, p.v, {aggregate} FROM khlang_search.documents d,"
        f" unnest({names}, {values}) p(f, v)"
        f" WHERE d.gen = %s AND {matches} AND p.v <> '' GROUP BY p.f, p.v"
    )


def _sorted(counted) -> dict[str, list[dict]]:
    """{facet: [{value, count}]} of (facet, value, count) rows, most frequent first."""
    out: dict[str, list] = {f: [] for f in FACET_FIELDS}
    for f, v, n in counted:
        if n:
            out[f].append((v, int(n)))
    return {
        f: [{"value": v, "count": n} for v, n in sorted(vs, key=lambda vc: (-vc[1], vc[0]))]
        for f, vs in out.items()
    }


def sql_counts(store: Store, gen: int, ids: set[int]) -> dict[str, list[dict]]:
    """The counts read in SQL: one pass over the index-only ``documents_facets`` for the
    matches."""
    if not ids:
        return _sorted(())
    sql = _pairs_sql("d.doc_id = ANY(%s::bigint[])").format(aggregate="count(*)")
    return _sorted(store.rows(sql, (gen, id_array(ids))))


@dataclass
class Values:
    """One version of a generation's facet values: the documents' ids (sorted) and, by
    (facet, value), the positions of the documents that have it."""

    gen: int
    version: str
    docs: np.ndarray
    pairs: list[tuple[str, str]]
    codes: np.ndarray  # the pair of each entry of ``positions``
    positions: np.ndarray  # int32: a position in ``docs``
    started: float = 0.0  # time.monotonic() when its load began, before its snapshot

    def serves(self, gen: int, version: str, read_at: float) -> bool:
        """Whether these values may count a search of ``gen`` that read ``version`` at
        ``read_at``: they are of that version, or of one at least as new (loaded from a
        snapshot taken after the search read its version). Without the second, searches
        waiting on a load while documents were written each loaded again, one after
        another, since every load saw a newer version than the one its waiters had read."""
        return self.gen == gen and (self.version == version or self.started > read_at)

    def counts(self, ids: set[int]) -> dict[str, list[dict]]:
        if not ids or not len(self.docs):
            return _sorted(())
        asked = np.fromiter(ids, dtype=np.int64, count=len(ids))
        at = np.minimum(np.searchsorted(self.docs, asked), len(self.docs) - 1)
        mask = np.zeros(len(self.docs), dtype=bool)
        mask[at[self.docs[at] == asked]] = True
        n = np.bincount(self.codes[mask[self.positions]], minlength=len(self.pairs))
        return _sorted((*self.pairs[k], n[k]) for k in np.flatnonzero(n))


def load(store: Store, gen: int) -> Values:
    """The facet values of ``gen`` and their version, read in one snapshot."""
    started = time.monotonic()
    conn = store.conn()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        version = store.one(_VERSION_SQL, (gen,))
        docs = store.one(
            "SELECT array_agg(doc_id ORDER BY doc_id) FROM khlang_search.documents WHERE gen = %s",
            (gen,),
        )[0]
        rows = store.rows(_pairs_sql("true").format(aggregate="array_agg(d.doc_id)"), (gen,))
    docs = np.array(docs or [], dtype=np.int64)
    pairs, codes, positions = [], [], []
    for k, (f, v, members) in enumerate(rows):
        pairs.append((f, v))
        codes.append(np.full(len(members), k, dtype=np.int32))
        at = np.searchsorted(docs, np.array(members, dtype=np.int64))
        positions.append(at.astype(np.int32))  # half of int64's memory: 15M entries at 1M
    return Values(
        gen,
        version[0] if version else "",
        docs,
        pairs,
        np.concatenate(codes) if codes else np.zeros(0, np.int32),
        np.concatenate(positions) if positions else np.zeros(0, np.int32),
        started,
    )


class FacetCache:
    """A store's held facet values (one version of one generation)."""

    def __init__(self):
        self._values: Values | None = None
        self._lock = threading.Lock()

    def counts(self, store: Store, gen: int, n_docs: int, ids: set[int]) -> dict[str, list[dict]]:
        """Exact counts of each facet's values over ``ids`` of generation ``gen`` (which
        holds ``n_docs`` documents)."""
        if not ids:
            return _sorted(())
        version = store.one(_VERSION_SQL, (gen,))
        read_at = time.monotonic()
        held = self._values
        if version is None or held is None or not held.serves(gen, version[0], read_at):
            # nothing held yet (a new process): the first search loads them, however few
            # its matches, since every later one counts from them (at 100k documents a
            # search of 20,000 matches counted 130 ms in SQL, the load 141 ms once)
            if version is None or (held is not None and len(ids) < RELOAD_SHARE * n_docs):
                return sql_counts(store, gen, ids)
            with self._lock:  # one load at a time: the others wait for it
                held = self._values
                if held is None or not held.serves(gen, version[0], read_at):
                    held = self._values = load(store, gen)
        return held.counts(ids)


def facet_counts(store: Store, gen: int, n_docs: int, ids: set[int]) -> dict[str, list[dict]]:
    """Exact counts of each facet's values over ``ids`` (see the module docstring)."""
    return store.facets.counts(store, gen, n_docs, ids)
