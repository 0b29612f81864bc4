"""The Alembic migrations build exactly the tables the models describe, on SQLite and on
PostgreSQL: a model changed without a new migration (or a migration edited after it was
released) shows up here as a difference."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from schemas.models import Base


def test_migrations_produce_exactly_the_models(any_core):
    with any_core.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert differences == []
    assert set(Base.metadata.tables) <= tables
