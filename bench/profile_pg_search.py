"""Where a ``postgres`` search's time goes: each SQL statement of each query kind, timed,
and the plan (``EXPLAIN (ANALYZE, BUFFERS)``) of the slowest ones; with ``--cprofile`` the
Python side too. Reads a database that ``bench_search --backend postgres`` filled (it
changes nothing):

    .venv/bin/python -m bench.profile_pg_search --docs 10000 --queries 10 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<bench db>
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def timed_statements(store_class, record) -> None:
    """Wrap the store's statements (``rows``, ``one``) so that each calls ``record(ms,
    sql, params)`` once it has run."""

    def timed(inner):
        def run(self, sql, params=(), **kw):
            t = time.perf_counter()
            try:
                return inner(self, sql, params, **kw)
            finally:
                record((time.perf_counter() - t) * 1000, sql, params)

        return run

    store_class.rows, store_class.one = timed(store_class.rows), timed(store_class.one)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=10000, help="the documents the bench read")
    ap.add_argument("--queries", type=int, default=10, help="queries per kind")
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--explain", type=int, default=2, help="plans shown per kind")
    ap.add_argument("--cprofile", action="store_true")
    args = ap.parse_args(argv)

    from bench.bench_search import query_mix, read_texts
    from indexer.search.backend import search_backend
    from indexer.search.pg_store import Store
    from schemas.config import Settings

    mix = query_mix(read_texts(min(args.docs, 27305)), args.queries)
    mix["filtered"] = mix["word"]
    statements: list[tuple[float, str, tuple]] = []
    plain_rows = Store.rows
    timed_statements(Store, lambda ms, sql, params: statements.append((ms, sql, params)))
    with tempfile.TemporaryDirectory() as tmp:
        backend = search_backend(
            Settings(data_dir=Path(tmp), database_url=args.database_url, search_backend="postgres")
        )
        backend.search("จังหวัด")
        for kind, queries in mix.items():
            statements.clear()
            prof = cProfile.Profile() if args.cprofile else None
            total = []
            for q in queries:
                t = time.perf_counter()
                if prof:
                    prof.enable()
                if kind == "filtered":
                    backend.search(q, filters={"kind": "news"}, published_only=True)
                else:
                    backend.search(q)
                if prof:
                    prof.disable()
                total.append((time.perf_counter() - t) * 1000)
            by_sql: dict[str, list[float]] = defaultdict(list)
            for ms, sql, _ in statements:
                by_sql[" ".join(sql.split())[:110]].append(ms)
            print(
                f"\n== {kind}: mean {statistics.fmean(total):.1f} ms a query,"
                f" {len(statements) / len(queries):.1f} statements a query"
            )
            for sql, mss in sorted(by_sql.items(), key=lambda kv: -sum(kv[1]))[:8]:
                print(f"  {sum(mss) / len(queries):7.1f} ms/query  x{len(mss):3}  {sql}")
            if prof:
                pstats.Stats(prof).sort_stats("cumulative").print_stats(18)
            slow = sorted(statements, key=lambda s: -s[0])[: args.explain]
            for ms, sql, params in slow:
                plan = plain_rows(backend.store, "EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print(f"  -- {ms:.1f} ms: {' '.join(sql.split())[:200]}")
                for (line,) in plan:
                    print("     " + line)
        backend.close()


if __name__ == "__main__":
    main()
