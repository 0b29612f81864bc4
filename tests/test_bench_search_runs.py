"""The search bench runs end to end at a tiny size, both backends: its timing wrappers name
the backends' own steps, and a step renamed or moved must fail here, not in a long run
(``bench_pg_search`` still wrapped a method moved out of ``pg_search`` for a day); and the
mix asked query by query (``pg_mix_pages``) says when a change keeps every page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from indexer.search.pg_store import conninfo
from tests.search_databases import PG_URL

ROOT = Path(__file__).resolve().parent.parent


def test_the_search_bench_builds_and_asks_both_backends(tmp_path):
    if not PG_URL.startswith("postgresql"):
        pytest.skip("the postgres bench needs KHLANG_TEST_DATABASE_URL (PostgreSQL)")
    url = make_url(PG_URL)
    name = f"{url.database}_bench"
    bench_url = url.set(database=name).render_as_string(False)
    pages = tmp_path / "pages.json"
    try:
        size = ["--docs", "40", "--queries", "2"]
        where = ["--database-url", bench_url, "--workdir", str(tmp_path)]
        run = bench("bench_search", *size, "--skip-fts5", "--backend", "postgres", *where)
        for backend in ("khlang/whoosh", "khlang/postgres"):
            assert f"\n{backend}: build" in run.stdout, run.stdout[-3000:]
        # the mix asked of the database it filled, query by query, then again to compare
        asked = ["--rounds", "1", "--database-url", bench_url]
        first = bench("pg_mix_pages", *size, *asked, "--pages", str(pages))
        assert "round 1: p50" in first.stdout and "slowest" in first.stdout, first.stdout
        again = bench("pg_mix_pages", *size, *asked, "--compare", str(pages))
        held = json.loads(pages.read_text())
        assert len(held) == 14 and any(p["page"] for p in held)  # 5 kinds, filtered, by date
        assert f"{len(held)} of {len(held)} pages and totals the same" in again.stdout
    finally:
        with psycopg.connect(conninfo(PG_URL), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench(module: str, *args: str) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run
