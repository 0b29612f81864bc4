"""Searches and pages on a read replica: what a streaming standby costs to make, what
asking it whether it may answer costs each search and each read-only page, and searches
answered by it beside the same searches on the primary. Figures only, printed.

It makes its own servers, as the test does (``tests/pg_standby.py``): a temporary primary
(``initdb``) and a standby of it (``pg_basebackup -R``), run as the ``postgres`` user in a
temporary directory, both removed at the end; the machine's server is not touched.

    nice -n 10 .venv/bin/python -m bench.bench_read_replica --docs 2000 --queries 30
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import text as sql

from bench.bench_search import query_mix
from bench.corpus import replicated
from indexer.core import Khlang
from indexer.search.pg_store import conninfo
from indexer.search.replica_reads import PRIMARY, STANDBY_STATE_SQL, lsn_number, reading
from schemas.config import Settings
from tests import pg_standby


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(ordered):.1f}/{p95:.1f}"


def _documents(count: int) -> tuple[list[dict], list[str]]:
    docs, texts = [], []
    for number, (name, text) in enumerate(replicated(count), start=1):
        docs.append(
            {
                "id": number,
                "title": text.strip().splitlines()[0][:200] if text.strip() else name,
                "filename": name,
                "text": text,
                "category": "ข่าว",
                "kind": "report",
                "fiscal_year": None,
                "date": None,
                "provinces": [],
                "projects": [],
                "agencies": [],
                "publication": "published",
                "mime": "text/plain",
                "letter_number": None,
                "metadata_text": "",
            }
        )
        texts.append(text)
    return docs, texts


def _wait_replayed(primary_url: str, read_url: str) -> None:
    with psycopg.connect(conninfo(primary_url), autocommit=True) as con:
        # a transaction for the new standby to replay: until it has replayed one, its lag is
        # unknown and the gate passes it over (WAL without one, a checkpoint's, comes anyway)
        con.execute("SELECT pg_current_xact_id()")
        target = lsn_number(con.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])
    with psycopg.connect(conninfo(read_url), autocommit=True) as con:
        while True:
            lsn = con.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0]
            if lsn and lsn_number(lsn) >= target:
                return
            time.sleep(0.1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--queries", type=int, default=30, help="queries per kind")
    args = ap.parse_args()
    reason = pg_standby.unavailable()
    if reason:
        raise SystemExit(reason)
    root = pg_standby.scratch_directory()
    data = Path(tempfile.mkdtemp(prefix="khlang-bench-replica-"))
    primary = standby = None
    try:
        primary = pg_standby.temporary_primary(root)
        with psycopg.connect(conninfo(primary.url("postgres")), autocommit=True) as con:
            con.execute("CREATE DATABASE khlang")
        primary_url = primary.url("khlang")
        core = Khlang(Settings.load(data, primary_url).with_changes(search_backend="postgres"))
        core.init()
        docs, texts = _documents(args.docs)
        started = time.perf_counter()
        core.search_backend.index(docs)
        print(
            f"indexed {len(docs)} documents on the primary in {time.perf_counter() - started:.0f} s"
        )
        core.dispose()
        with psycopg.connect(conninfo(primary.url("postgres")), autocommit=True) as con:
            size = con.execute("SELECT sum(pg_database_size(datname)) FROM pg_database").fetchone()[
                0
            ]
        standby = pg_standby.standby_of("127.0.0.1", primary.port, root, {})
        mb = float(size) / 1024**2
        print(
            f"pg_basebackup -R -X stream of the primary ({mb:.0f} MB): "
            f"{standby.seconds_to_copy:.1f} s, {mb / standby.seconds_to_copy:.0f} MB/s"
        )
        read_url = standby.url("khlang")
        _wait_replayed(primary_url, read_url)
        settings = Settings.load(data, primary_url).with_changes(
            search_backend="postgres", database_read_url=read_url
        )
        core = Khlang(settings)
        backend = core.search_backend
        asked = []
        for _ in range(200):
            t = time.perf_counter()
            backend.replica.one(STANDBY_STATE_SQL)
            asked.append((time.perf_counter() - t) * 1000)
        print(f"asking the standby whether it may answer, p50/p95 ms: {_ms(asked)}")
        _page_reads(core)
        print("kind       replica p50/p95 ms   primary p50/p95 ms")
        for kind, queries in query_mix(texts, args.queries).items():
            times: dict[str | None, list[float]] = {None: [], PRIMARY: []}
            for query in queries:
                for after in (None, PRIMARY):  # alternated: both see the same load
                    with reading(after) as read:
                        t = time.perf_counter()
                        backend.search(query, limit=20)
                        times[after].append((time.perf_counter() - t) * 1000)
                    assert read.source == ("replica" if after is None else "primary"), read
            print(f"{kind:10} {_ms(times[None]):>20} {_ms(times[PRIMARY]):>20}")
        core.dispose()
    finally:
        for server in (standby, primary):
            if server is not None:
                server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def _page_reads(core: Khlang) -> None:
    """What the gate adds to a read-only page (``Khlang.reading_replica``: the question,
    through the pages' own SQLAlchemy connections, then the page's queries): a page of
    one small query, on the standby and kept on the primary, in turns."""

    def page() -> int:
        with core.sessions() as session:
            return session.execute(sql("SELECT count(*) FROM documents")).scalar_one()

    asked, times = [], {None: [], PRIMARY: []}
    for _ in range(200):
        t = time.perf_counter()
        core.read_replica.state()
        asked.append((time.perf_counter() - t) * 1000)
        for after in (None, PRIMARY):
            with reading(after) as read:
                t = time.perf_counter()
                core.reading_replica(page)
                times[after].append((time.perf_counter() - t) * 1000)
            assert read.source == ("replica" if after is None else "primary"), read
    print(f"a page asking the standby (SQLAlchemy), p50/p95 ms: {_ms(asked)}")
    print(
        f"a page of one query, p50/p95 ms: on the standby {_ms(times[None])}, "
        f"kept on the primary {_ms(times[PRIMARY])}"
    )


if __name__ == "__main__":
    main()
