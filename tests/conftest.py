"""Shared fixtures: a real Khlang data directory per test, on SQLite and (when
KHLANG_TEST_DATABASE_URL is set, as .ci/run does when PostgreSQL answers) on PostgreSQL."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from indexer.core import Khlang
from schemas.config import Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_FIXTURES = SHARED / "fixtures" / "seeds"


def _own_database(url: str | None) -> str | None:
    """The suite runs in several processes (pytest-xdist): each takes a database of its own
    beside the one named (``test`` → ``test_gw0``, made if missing), since every test empties
    the database it runs on. The environment variable is set to it too, so that modules
    reading it and the subprocesses tests start (servers, workers) see the same one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not url.startswith("postgresql") or not worker:
        return url
    import psycopg
    from sqlalchemy.engine import make_url

    main = make_url(url)
    if main.database.endswith(f"_{worker}"):
        # already this process's: a child of the test process (a spawned worker
        # importing a test module) inherits the variable as set below
        return url
    name = f"{main.database}_{worker}"
    own = main.set(database=name).render_as_string(False)
    server = main.set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(server, autocommit=True) as connection:
        known = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if known.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["KHLANG_TEST_DATABASE_URL"] = own
    return own


PG_URL = _own_database(os.environ.get("KHLANG_TEST_DATABASE_URL"))

DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _reset_postgres(url: str) -> None:
    """An empty database, without a table: a new installation's, before ``init()``."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        # the postgres search backend's own schema (migration 0009) goes too: a new
        # installation's database has neither
        connection.execute(text("DROP SCHEMA IF EXISTS khlang_search CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _reset_postgres_for_init(url: str) -> None:
    """The database as a new installation finds it once ``init()`` has run, for make_core.
    Tables at the migrations' head, exactly the models' tables, are emptied and their ids
    restarted: that is what a fresh migration leaves (the migrations write no rows) in a
    fraction of its time. Anything else (the first test of a run, another revision) is
    dropped, and ``init()`` migrates it from nothing."""
    engine = create_engine(url)
    at_head = _empty_at_head(engine)
    engine.dispose()
    if not at_head:
        _reset_postgres(url)


def _empty_at_head(engine) -> bool:
    """Empty the tables if they are at the migrations' head; whether they were. Another
    connection still working in this database (a previous test's ingestion, forked by the
    local runner, outliving its test) is ended first: it would deadlock with the TRUNCATE,
    or write into the next test's empty tables."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state IS DISTINCT FROM 'idle'"
            )
        )
        tables = set(
            connection.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        )
        at_head = tables == _model_tables() | {"alembic_version"} and connection.scalars(
            text("SELECT version_num FROM alembic_version")
        ).all() == [_migrations_head()]
        if at_head:
            names = ", ".join(f'"{name}"' for name in sorted(tables - {"alembic_version"}))
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return at_head


@functools.cache
def _model_tables() -> frozenset[str]:
    from schemas.models import Base

    return frozenset(Base.metadata.tables)


@functools.cache
def _migrations_head() -> str:
    from alembic.script import ScriptDirectory

    from schemas.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def make_core(data_dir: Path, database: str = "sqlite") -> Khlang:
    url = None
    if database == "postgresql":
        _reset_postgres_for_init(PG_URL)
        url = PG_URL
    settings = Settings.load(data_dir, url)
    if settings.is_sqlite and not settings.data_dir.exists():
        shutil.copytree(_fresh_sqlite_archive(), data_dir)
    core = Khlang(settings)
    core.init()
    return core


@functools.cache
def _fresh_sqlite_archive() -> Path:
    """A new SQLite data directory, migrated once per run: most tests start from one, and
    a copy then ``init()`` (which finds the schema at head) costs a quarter of migrating
    each time. It holds nothing but the schema and its version."""
    folder = Path(tempfile.mkdtemp(prefix="khlang-fresh-"))
    atexit.register(shutil.rmtree, folder, True)
    core = Khlang(Settings.load(folder / "data", None))
    core.init()
    core.dispose()
    return folder / "data"


@pytest.fixture
def core(tmp_path):
    instance = make_core(tmp_path / "data")
    yield instance
    instance.dispose()


@pytest.fixture(params=DATABASES)
def any_core(request, tmp_path):
    """The same test on SQLite and, where available, PostgreSQL."""
    instance = make_core(tmp_path / "data", request.param)
    yield instance
    instance.dispose()


@pytest.fixture
def cli(core):
    """Run `khlang ...` in-process against the test's data directory."""
    from service.cli import main

    runner = CliRunner()

    def run(*args, input=None):
        result = runner.invoke(
            main,
            ["--data-dir", str(core.settings.data_dir), *args],
            input=input,
            env={"KHLANG_DATABASE_URL": core.settings.database_url},
        )
        return result

    run.json = lambda *args: json.loads(run(*args, "--json").stdout)
    return run


def app_for(core: Khlang):
    """The web app (Flask's test configuration) over ``core``'s data directory and database."""
    from service import create_app

    return create_app(
        {
            "TESTING": True,
            "KHLANG_DATA_DIR": str(core.settings.data_dir),
            "KHLANG_DATABASE_URL": core.settings.database_url,
        }
    )


def admin_client(app, name: str = "tests"):
    """A test client of ``app`` acting as an administrator (an API token named ``name``)."""
    from service.auth import create_token

    test_client = app.test_client()
    token = create_token(app.extensions["khlang"], name, "admin")
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return test_client


@pytest.fixture
def app(core):
    application = app_for(core)
    yield application
    application.extensions["khlang"].dispose()


@pytest.fixture
def client(app):
    """A test client acting as an administrator (API token), so that tests of documents
    that are not yet published see them; ``anon_client`` is the anonymous visitor."""
    return admin_client(app)


@pytest.fixture
def anon_client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A real S3 server (SeaweedFS) on a loopback port for the whole test session."""
    from tests.s3_server import seaweedfs

    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def realistic_template(tmp_path_factory):
    """The realistic archive (tests/realistic_archive.py) built once for the session, on
    SQLite, its previews made: each module that walks it takes its own copy
    (``ra.build(work, database, template=realistic_template)``), so writers stay apart."""
    from tests import realistic_archive as ra

    return ra.warm_template(tmp_path_factory.mktemp("realistic"))


@pytest.fixture(params=DATABASES)
def database_env(request) -> dict[str, str]:
    """The same journey on SQLite and, where available, PostgreSQL (as ``any_core``)."""
    if request.param == "sqlite":
        return {}
    _reset_postgres(PG_URL)
    return {"KHLANG_DATABASE_URL": PG_URL}


# Debian's Chromium, driven by Playwright: one launch per test module that asks for it.
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()
