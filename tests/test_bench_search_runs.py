"""The search bench runs end to end at a tiny size, both backends: its timing wrappers name
the backends' own steps, and a step renamed or moved must fail here, not in a long run
(``bench_pg_search`` still wrapped a method moved out of ``pg_search`` for a day)."""

from __future__ import annotations

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
    try:
        size = ["--docs", "40", "--queries", "2", "--skip-fts5"]
        where = ["--database-url", bench_url, "--workdir", str(tmp_path)]
        run = subprocess.run(
            [sys.executable, "-m", "bench.bench_search", *size, "--backend", "postgres", *where],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        with psycopg.connect(conninfo(PG_URL), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert run.returncode == 0, run.stderr[-3000:]
    for backend in ("khlang/whoosh", "khlang/postgres"):
        assert f"\n{backend}: build" in run.stdout, run.stdout[-3000:]
