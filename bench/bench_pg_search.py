"""The ``postgres`` search backend's part of ``bench_search --backend postgres``: the same
documents and query mix as the Whoosh backend's run, through the search seam.

The database named by ``--database-url`` is dropped and made afresh (name it for the
bench: ``.../test_pg_search_bench``), migrated, filled by a staged rebuild, then asked the
mix. Size on disk is what PostgreSQL reports for the ``khlang_search`` tables with their
indexes and TOAST; the step figures show where a query's time goes (finding the documents,
ranking the candidates, facets and hits).
"""

from __future__ import annotations

import time
from pathlib import Path

STEPS = ("matching", "scores", "facets", "hits")


def _fresh_database(url: str) -> None:
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from indexer.search.pg_store import conninfo
    from schemas.migrate import upgrade

    target = make_url(url)
    server = target.set(database="postgres").render_as_string(False)
    with psycopg.connect(conninfo(server), autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{target.database}"')
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()


def _timed_steps(totals: dict[str, float]):
    """Wrap the backend's steps so that each adds its time to ``totals`` (ms)."""
    from indexer.search import pg_results, pg_search, pg_substrings, postgres_backend

    def wrap(owner, name: str, step: str):
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                totals[step] = totals.get(step, 0.0) + (time.perf_counter() - t) * 1000

        setattr(owner, name, timed)

    wrap(pg_search.Store, "matching", "matching")
    wrap(pg_substrings, "piece_docs", "matching")
    wrap(pg_search.Scorer, "scores", "scores")
    wrap(postgres_backend, "facet_counts", "facets")
    wrap(pg_results, "hits", "hits")


def _reusable(url: str, n: int) -> bool:
    """Whether the database already holds a live generation of ``n`` documents."""
    import psycopg

    from indexer.search.pg_store import conninfo

    try:
        with psycopg.connect(conninfo(url)) as con:
            got = con.execute(
                "SELECT docs FROM khlang_search.generations WHERE state = 'live'"
            ).fetchone()
    except psycopg.Error:
        return False
    return got is not None and got[0] == n


def bench_postgres(
    docs: list[dict], mix: dict[str, list[str]], url: str, workdir: Path, reuse: bool = False
) -> dict:
    """``reuse``: keep the rows already in the database when it holds ``len(docs)``
    documents (search figures only; the build rate is then not measured)."""
    from indexer.search.backend import search_backend
    from schemas.config import Settings

    reused = reuse and _reusable(url, len(docs))
    if not reused:
        _fresh_database(url)
    backend = search_backend(
        Settings(data_dir=workdir, database_url=url, search_backend="postgres")
    )
    chars = sum(len(d["text"]) for d in docs)
    t0 = time.perf_counter()
    if not reused:
        backend.rebuild(iter(docs))
    build = time.perf_counter() - t0 if not reused else float("nan")
    store = backend.store
    store.conn().execute("VACUUM ANALYZE khlang_search.documents")
    store.conn().execute("VACUUM ANALYZE khlang_search.postings")
    store.conn().execute("VACUUM ANALYZE khlang_search.terms")
    store.conn().execute("VACUUM ANALYZE khlang_search.pieces")
    sizes = {
        name: size / 1e6
        for name, size in store.rows(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'khlang_search' AND c.relkind = 'r'"
        )
    }
    out = {
        "build_s": build,
        "docs_per_s": len(docs) / build,
        "chars_per_s": chars / build,
        "size_mb": sum(sizes.values()),
        "tables_mb": sizes,
        "latency": {},
        "steps": {},
    }
    backend.search("จังหวัด")  # warm the connection
    totals: dict[str, float] = {}
    _timed_steps(totals)
    runs = {
        **{k: (lambda q: backend.search(q, limit=20)) for k in mix},
        "filtered": lambda q: backend.search(
            q, limit=20, filters={"kind": "news"}, published_only=True
        ),
        "date-sorted": lambda q: backend.search(q, limit=20, sort="date"),
    }
    for name, fn in runs.items():
        queries = mix.get(name) or mix["word"]
        lat = []
        totals.clear()
        for q in queries:
            t = time.perf_counter()
            fn(q)
            lat.append((time.perf_counter() - t) * 1000)
        out["latency"][name] = lat
        out["steps"][name] = {s: totals.get(s, 0.0) / len(queries) for s in STEPS}
    backend.close()
    return out
