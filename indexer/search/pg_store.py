"""The SQL of the ``postgres`` search backend: connections, generations, writing a batch of
documents with its term statistics, and the reads searching is made of.

Tables: ``schemas/migrations/versions/0009_postgres_search.py`` and
``0011_postgres_search_pieces.py`` (the substring pieces, the facets' covering index), each
generation's in tables of its own since ``0015`` (:mod:`schemas.search_tables`). Every
row belongs to a generation; one is ``live`` (what searches read), at most one more is
``staging`` (a rebuild in progress: its tables bare until it is finished); a ``retired`` one
was replaced and is being dropped. Writers of a
generation take its row's lock first, so the statistics they update (document counts,
summed lengths, each word's document frequencies) stay exact and concurrent writers
cannot deadlock on the terms; a writer finding its generation retired meanwhile is told
(:class:`GenerationGone`) and writes to the new live one.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

import psycopg
from sqlalchemy.engine import make_url

from schemas import search_tables
from schemas.search_tables import partition

from . import pg_arrays
from .errors import IndexBusy
from .pg_arrays import id_array
from .pg_facets import FacetCache
from .pg_rows import FIELDS, DocumentRows

DOC_COLUMNS = [
    "gen",
    "doc_id",
    "title",
    "filename",
    "kind",
    "category",
    "fiscal_year",
    "date",
    "received",
    "publication",
    "province",
    "project",
    "agency",
    "sender",
    "urgency",
    "has_deadline",
    "body",
    "len_title",
    "len_meta",
    "len_text",
    "words",
    "units",
    "grams",
]
_DOC_TYPES = [
    "int4",
    "int8",
    *["text"] * 8,
    *["text[]"] * 3,
    *["text"] * 4,
    *["int4"] * 3,
    "text",  # tsvector, parsed by the server from its text form
    "text",
    "text[]",
]
_POSTING_COLUMNS = [
    "gen",
    "term",
    "doc_id",
    "tf_title",
    "tf_meta",
    "tf_text",
    "impact",
    "unaligned",
]
STORED = "doc_id, title, filename, kind, category, fiscal_year, date, received, body, project"


def conninfo(database_url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as libpq's."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


# more documents than this have their postings read joined by hash (:meth:`Store.postings`;
# at 10k a question's reads: p95 30 -> 10 ms; joining every read, p50 1.9 -> 2.9 ms)
HASH_JOIN_AT = 100
LOCK_TIMEOUT_MS = 60_000  # as the Whoosh backend's writer lock: then IndexBusy


class GenerationGone(LookupError):
    """The generation written to was replaced by a rebuild (or removed)."""


class Store:
    """Connections (one a thread, autocommit: reads take no long transactions) and SQL."""

    def __init__(self, database_url: str, *, connect_options: dict | None = None):
        self.conninfo = conninfo(database_url)
        # libpq's, added to the URL's (a read replica's timeouts)
        self._connect_options = connect_options or {}
        self._local = threading.local()
        self._all: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self.facets = FacetCache()  # this database's facet values, held (pg_facets)

    def conn(self) -> psycopg.Connection:
        c = getattr(self._local, "conn", None)
        if c is None or c.closed:
            c = psycopg.connect(self.conninfo, autocommit=True, **self._connect_options)
            # a search's statements are short: compiling them (JIT, on past a plan cost that
            # a piece search over 100k documents passes) cost 3 to 8 ms a statement
            c.execute("SET jit = off")
            # never a generic plan: psycopg prepares a statement run five times, and the
            # server may then plan it once for any documents' array, unhashed (confirming
            # โควิด-19 in 35,382 documents' pieces: 0.3 s planned for its array, 23 s so)
            c.prepare_threshold = None
            pg_arrays.register(c)  # ids sent as one array in one pass
            self._local.conn = c
            with self._lock:
                self._all.append(c)
        return c

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            c.close()
        self._local = threading.local()

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.conn().execute(sql, params).fetchall()

    def one(self, sql: str, params=(), *, binary: bool = False):
        """The first row; ``binary``: in PostgreSQL's binary format (arrays of ids: a common
        word's 100,000 came 20.7 ms as text, 16.1 so, at 100k documents)."""
        return self.conn().cursor(binary=binary).execute(sql, params).fetchone()

    # --- generations -------------------------------------------------------------------

    def tables_exist(self) -> bool:
        return self.one("SELECT to_regclass('khlang_search.generations') IS NOT NULL")[0]

    def live(self) -> tuple | None:
        """(gen, version, docs, len_title, len_meta, len_text) of the live generation."""
        return self.one(
            "SELECT gen, version, docs, len_title, len_meta, len_text"
            " FROM khlang_search.generations WHERE state = 'live'"
        )

    def new_generation(self, version: str, state: str) -> int:
        """A new generation and its tables: a live one's indexed and attached, a staging
        one's bare (a staging generation before it, a rebuild that never went live, goes)."""
        c = self.conn()
        with c.transaction():
            if state == "staging":
                self._drop_generations("state = 'staging'")
            gen = self.one(
                "INSERT INTO khlang_search.generations (version, state) VALUES (%s, %s) RETURNING gen",
                (version, state),
            )[0]
            for statement in search_tables.create_sql(gen, indexed=state != "staging"):
                c.execute(statement)
        return gen

    def finish(self, gen: int) -> None:
        """A staging generation's statistics counted, its tables indexed and attached."""
        c = self.conn()
        with c.transaction():
            c.execute(search_tables.count_terms_sql(gen))
            for statement in search_tables.finish_sql(gen):
                c.execute(statement)

    def go_live(self, gen: int) -> None:
        """The staged generation replaces the live one, in one short transaction (searches
        see one or the other); the old one's tables are dropped after it."""
        self.finish(gen)
        c = self.conn()
        with c.transaction():
            c.execute("LOCK TABLE khlang_search.generations IN EXCLUSIVE MODE")
            c.execute("UPDATE khlang_search.generations SET state = 'retired' WHERE state = 'live'")
            c.execute("UPDATE khlang_search.generations SET state = 'live' WHERE gen = %s", (gen,))
        self.drop_retired()

    def drop_retired(self) -> None:
        """Drop replaced generations (their tables with them); also what a swap
        interrupted before this leaves."""
        with self.conn().transaction():
            self._drop_generations("state = 'retired'")

    def drop_every_generation(self) -> None:
        """Every generation and its tables: an empty search index (a test's reset)."""
        with self.conn().transaction():
            self._drop_generations("true")

    def _drop_generations(self, condition: str) -> None:
        """Delete the generations meeting ``condition`` and drop their tables (in the
        caller's transaction)."""
        c = self.conn()
        gone = [
            r[0] for r in c.execute(f"SELECT gen FROM khlang_search.generations WHERE {condition}")
        ]
        for gen in gone:  # first: deleting the row first would delete each row of them
            for statement in search_tables.drop_sql(gen):
                c.execute(statement)
        c.execute("DELETE FROM khlang_search.generations WHERE gen = ANY(%s)", (gone,))

    # --- writing -----------------------------------------------------------------------

    def write(
        self,
        gen: int,
        batch: list[DocumentRows],
        boosts: dict[str, float],
        staged: set[int] | None = None,
    ) -> None:
        """Add or replace ``batch`` in generation ``gen``, statistics included: one
        transaction. ``staged``: the ids a staging generation holds so far (its tables have
        no index yet: only those ids are looked for, and its words' statistics are counted
        when it is finished, :meth:`finish`), updated here."""
        c = self.conn()
        ids = [d.doc_id for d in batch]
        with c.transaction():
            if staged is not None:  # rebuilt from the archive if lost: no flush to wait for
                c.execute("SET LOCAL synchronous_commit = off")
            self._lock_generation(gen)
            again = ids if staged is None else [i for i in ids if i in staged]
            if again:
                self._forget(gen, again, terms=staged is None)
            docs, *lens = self._lock_generation(gen)
            new_lens = [sum(d.row[f"len_{f}"] for d in batch) for f in FIELDS]
            n = docs + len(batch)
            avg = {
                f: (old + new) / n if n else 0.0
                for f, old, new in zip(FIELDS, lens, new_lens, strict=True)
            }
            df: Counter = Counter()
            with c.cursor() as cur:
                with cur.copy(
                    f"COPY {partition('documents', gen)} ({', '.join(DOC_COLUMNS)}) FROM STDIN"
                ) as cp:
                    cp.set_types(_DOC_TYPES)
                    for d in batch:
                        cp.write_row((gen, *(d.row[k] for k in DOC_COLUMNS[1:])))
                with cur.copy(
                    f"COPY {partition('pieces', gen)} (gen, doc_id, piece, units) FROM STDIN"
                ) as cp:
                    cp.set_types(["int4", "int8", "int4", "text"])
                    for d in batch:
                        for k, piece in enumerate(d.pieces):
                            cp.write_row((gen, d.doc_id, k, piece))
                with cur.copy(
                    f"COPY {partition('postings', gen)} ({', '.join(_POSTING_COLUMNS)}) FROM STDIN"
                ) as cp:
                    cp.set_types(["int4", "text", "int8", "int4", "int4", "int4", "float4", "bool"])
                    for d in batch:
                        for term, t_title, t_meta, t_text, *rest in d.postings(avg, boosts):
                            cp.write_row((gen, term, d.doc_id, t_title, t_meta, t_text, *rest))
                            df[term] += 1
                            df[(term, 0)] += t_title > 0
                            df[(term, 1)] += t_meta > 0
                            df[(term, 2)] += t_text > 0
            if staged is None:
                self._add_terms(gen, df, +1)
            c.execute(
                "UPDATE khlang_search.generations SET docs = docs + %s, len_title = len_title + %s,"
                " len_meta = len_meta + %s, len_text = len_text + %s WHERE gen = %s",
                (len(batch), *new_lens, gen),
            )
        if staged is not None:
            staged.update(ids)

    def delete(self, gen: int, ids: list[int]) -> None:
        with self.conn().transaction():
            self._lock_generation(gen)
            self._forget(gen, ids)

    def _lock_generation(self, gen: int) -> tuple:
        self.conn().execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
        try:
            got = self._generation_row(gen)
        except psycopg.errors.LockNotAvailable as exc:
            raise IndexBusy(
                f"search generation {gen} stayed locked by another writer for"
                f" {LOCK_TIMEOUT_MS // 1000} s"
            ) from exc
        if got is None:
            raise GenerationGone(f"search generation {gen} is gone (replaced by a rebuild)")
        return got

    def _generation_row(self, gen: int) -> tuple | None:
        return self.one(
            "SELECT docs, len_title, len_meta, len_text FROM khlang_search.generations"
            " WHERE gen = %s AND state <> 'retired' FOR UPDATE",
            (gen,),
        )

    def _add_terms(self, gen: int, df: Counter, sign: int) -> None:
        terms = sorted(t for t in df if isinstance(t, str))  # one order: no deadlock
        if not terms:
            return
        cols = [[sign * df[t] for t in terms]] + [
            [sign * df[(t, k)] for t in terms] for k in range(3)
        ]
        self.conn().execute(
            f"INSERT INTO {partition('terms', gen)} AS t (gen, term, df, df_title, df_meta,"
            " df_text)"
            " SELECT %s, * FROM unnest(%s::text[], %s::int[], %s::int[], %s::int[], %s::int[])"
            " ON CONFLICT (gen, term) DO UPDATE SET df = t.df + excluded.df,"
            " df_title = t.df_title + excluded.df_title, df_meta = t.df_meta + excluded.df_meta,"
            " df_text = t.df_text + excluded.df_text",
            (gen, terms, *cols),
        )

    def _forget(self, gen: int, ids: list[int], terms: bool = True) -> None:
        """Remove documents of ``gen`` and their share of the statistics (caller holds the
        generation's lock); ``terms`` False: a staging generation's, not counted yet."""
        c = self.conn()
        gone = c.execute(
            f"DELETE FROM {partition('documents', gen)} WHERE gen = %s AND doc_id = ANY(%s::bigint[])"
            " RETURNING len_title, len_meta, len_text",
            (gen, ids),
        ).fetchall()
        if not gone:
            return
        c.execute(
            f"DELETE FROM {partition('pieces', gen)} WHERE gen = %s AND doc_id = ANY(%s::bigint[])",
            (gen, [int(i) for i in ids]),
        )
        df: Counter = Counter()
        for term, t_title, t_meta, t_text in c.execute(
            f"DELETE FROM {partition('postings', gen)} WHERE gen = %s AND doc_id = ANY(%s::bigint[])"
            " RETURNING term, tf_title, tf_meta, tf_text",
            (gen, [int(i) for i in ids]),
        ):
            df[term] += 1
            df[(term, 0)] += t_title > 0
            df[(term, 1)] += t_meta > 0
            df[(term, 2)] += t_text > 0
        if terms:
            self._add_terms(gen, df, -1)
        c.execute(
            "UPDATE khlang_search.generations SET docs = docs - %s, len_title = len_title - %s,"
            " len_meta = len_meta - %s, len_text = len_text - %s WHERE gen = %s",
            (len(gone), *(sum(r[k] for r in gone) for k in range(3)), gen),
        )

    # --- reads -------------------------------------------------------------------------

    def ids(self, gen: int) -> set[int]:
        return {
            r[0]
            for r in self.rows("SELECT doc_id FROM khlang_search.documents WHERE gen = %s", (gen,))
        }

    def count(self, gen: int) -> int:
        return self.one("SELECT count(*) FROM khlang_search.documents WHERE gen = %s", (gen,))[0]

    def matching(self, gen: int, condition: str, params: Iterable = ()) -> set[int]:
        """Ids of the documents of ``gen`` meeting an SQL condition on khlang_search.documents,
        as one array (a common word's rows one tuple each cost as much as the match)."""
        got = self.one(
            f"SELECT array_agg(doc_id) FROM khlang_search.documents WHERE gen = %s AND ({condition})",
            (gen, *params),
            binary=True,
        )[0]
        return set(got or ())

    def text_words(self, gen: int, ids: set[int]) -> int:
        """The words of the ``text`` field of documents ``ids`` in all (the covering index
        alone: no row read)."""
        return self.one(
            "SELECT coalesce(sum(len_text), 0) FROM khlang_search.documents WHERE gen = %s"
            " AND doc_id = ANY(%s::bigint[])",
            (gen, id_array(ids)),
        )[0]

    def pieces_per_document(self, gen: int, docs: int) -> float:
        """The generation's pieces a document, from the planner's count of its pieces' rows
        (kept by VACUUM and ANALYZE: no rows read); 6 before either ran."""
        rows = self.one(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            (partition("pieces", gen),),
        )
        counted = rows[0] if rows and rows[0] is not None else -1
        return counted / docs if counted > 0 and docs else 6.0

    def term_docs(self, gen: int, term: str) -> set[int]:
        """The documents having ``term`` as a word in any word field."""
        got = self.one(
            "SELECT array_agg(doc_id) FROM khlang_search.postings WHERE gen = %s AND term = %s",
            (gen, term),
            binary=True,
        )[0]
        return set(got or ())

    def term_stats(self, gen: int, terms: list[str]) -> dict[str, tuple[int, int, int, int]]:
        """word -> (df, df_title, df_meta, df_text); words no document has are absent."""
        return {
            r[0]: r[1:]
            for r in self.rows(
                "SELECT term, df, df_title, df_meta, df_text FROM khlang_search.terms"
                " WHERE gen = %s AND term = ANY(%s) AND df > 0",
                (gen, terms),
            )
        }

    def postings(
        self, gen: int, terms: list[str], ids: list[int] | None, probed: Iterable[str] = ()
    ) -> list[tuple]:
        """(term, doc_id, tf_title, tf_meta, tf_text) of ``terms`` in ``ids`` (all: None).
        Those of ``terms`` also in ``probed`` are looked up document by document in the
        postings' key rather than read whole and joined by hash (see
        :data:`~indexer.search.pg_ranking.PROBE_DF`)."""
        cols = "SELECT term, doc_id, tf_title, tf_meta, tf_text FROM khlang_search.postings"
        if ids is None:
            return self.rows(f"{cols} WHERE gen = %s AND term = ANY(%s)", (gen, terms))
        by_key = "WHERE gen = %s AND term = ANY(%s) AND doc_id = ANY(%s::bigint[])"
        if len(ids) <= HASH_JOIN_AT:  # a descent a word and document: few
            return self.rows(f"{cols} {by_key}", (gen, terms, ids))
        probe = set(probed)
        key_terms = [t for t in terms if t in probe]
        hashed = [t for t in terms if t not in probe]
        # the words' postings index-only (the impact index covers them, migration 0017),
        # hashed against the documents: the planner took the document index otherwise
        parts, params = [], []
        if hashed:
            parts.append(
                f"{cols} JOIN unnest(%s::bigint[]) AS c(id) ON doc_id = c.id"
                " WHERE gen = %s AND term = ANY(%s)"
            )
            params += [ids, gen, hashed]
        if key_terms:
            parts.append(f"{cols} {by_key}")
            params += [gen, key_terms, ids]
        return self.rows(" UNION ALL ".join(parts), params) if parts else []

    def top_postings(self, gen: int, term: str, k: int) -> list[int]:
        """The ``k`` documents where ``term`` weighs most (the impact index, no sort)."""
        return [
            r[0]
            for r in self.rows(
                "SELECT doc_id FROM khlang_search.postings WHERE gen = %s AND term = %s"
                " ORDER BY impact DESC, doc_id LIMIT %s",
                (gen, term, k),
            )
        ]

    def lengths(self, gen: int, ids: list[int]) -> dict[int, tuple[int, int, int]]:
        return {
            r[0]: r[1:]
            for r in self.rows(
                "SELECT doc_id, len_title, len_meta, len_text FROM khlang_search.documents"
                " WHERE gen = %s AND doc_id = ANY(%s::bigint[])",
                (gen, ids),
            )
        }

    def stored(self, gen: int, ids: list[int]) -> dict[int, tuple]:
        """doc_id -> the columns of :data:`STORED`."""
        return {
            r[0]: r
            for r in self.rows(
                f"SELECT {STORED} FROM khlang_search.documents WHERE gen = %s AND doc_id = ANY(%s::bigint[])",
                (gen, ids),
            )
        }

    def prefix_terms(self, gen: int, first: str) -> list[tuple[str, int]]:
        """(word, df in text) of the words starting with ``first`` (the speller's lexicon)."""
        return self.rows(
            "SELECT term, df_text FROM khlang_search.terms WHERE gen = %s AND df_text > 0"
            " AND term >= %s AND term < %s",
            (gen, first, first + "\U0010ffff"),
        )


# a match set at least this share of its generation's documents is paged by date by walking
# the date index and keeping the first matches met (:func:`by_date`)
DATE_WALK_SHARE = 1 / 8
DATE_WALK_LEAST = 256  # the fewest index entries walked


def by_date(store: Store, gen: int, ids: set[int], n: int, documents: int = 0) -> list[int]:
    """The ``n`` most recent (undated last, then the highest id) of ``ids``, a generation
    of ``documents`` documents (0: not known). Many matches are found walking the date
    index: the ids of a common word (95,000 at 100k) sent as an array and sorted by date
    took 80 to 100 ms; the first few hundred entries of the index, 0.3 ms."""
    if not ids or n <= 0:
        return []
    if documents and len(ids) >= DATE_WALK_SHARE * documents:
        # about twice the entries that hold n matches at their share
        step = max(DATE_WALK_LEAST, 2 * n * documents // len(ids))
        walked = store.rows(
            "SELECT doc_id FROM khlang_search.documents WHERE gen = %s"
            " ORDER BY date DESC, doc_id DESC LIMIT %s",
            (gen, step),
        )
        got = [r[0] for r in walked if r[0] in ids][:n]
        if len(got) == n or len(walked) < step:
            return got
    return [
        r[0]
        for r in store.rows(
            "SELECT doc_id FROM khlang_search.documents WHERE gen = %s AND doc_id = ANY(%s::bigint[])"
            " ORDER BY date DESC, doc_id DESC LIMIT %s",
            (gen, id_array(ids), n),
        )
    ]
