"""Settings for a search backend under test: the Whoosh backend in a temporary directory,
the postgres backend in a database of its own beside KHLANG_TEST_DATABASE_URL's
(``<name>_<role>``, made and migrated once per session, its search generations dropped
for each new settings), so that tests holding a backend open never empty each other's rows. Without
PostgreSQL the postgres backend's tests skip, saying why."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from indexer.search.pg_store import Store, conninfo
from schemas.config import Settings
from tests.conftest import PG_URL as CONFTEST_PG_URL

PG_URL = CONFTEST_PG_URL or ""
_ready: set[str] = set()


def postgres_search_url(role: str) -> str:
    if not PG_URL.startswith("postgresql"):
        pytest.skip("the postgres backend needs KHLANG_TEST_DATABASE_URL (PostgreSQL)")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from schemas.migrate import upgrade

    main = make_url(PG_URL)
    name = f"{main.database}_{role}"
    url = main.set(database=name).render_as_string(False)
    if url not in _ready:
        try:
            with psycopg.connect(conninfo(PG_URL), autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                con.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            pytest.skip(f"PostgreSQL does not answer: {exc}")
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        _ready.add(url)
    store = Store(url)
    store.drop_every_generation()
    store.close()
    return url


def search_settings(name: str, where: Path, role: str = "rw") -> Settings:
    """Settings for backend ``name`` (a BACKENDS key) working in ``where``."""
    url = postgres_search_url(role) if name == "postgres" else f"sqlite:///{where / 'k.sqlite3'}"
    return Settings(data_dir=where, database_url=url, search_backend=name)
