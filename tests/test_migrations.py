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


def test_a_worker_of_the_version_before_bundles_pages_can_still_plan_a_scan(any_core):
    """During a rolling upgrade a worker that knows no ``member`` (before 0013) inserts a
    scan's page rows without it: the database fills in the file's own (0)."""
    from sqlalchemy import text

    from schemas.models import Batch

    with any_core.sessions() as session:
        batch = Batch(agent="dsss", total=1)
        session.add(batch)
        session.commit()
        batch_id = batch.id
    with any_core.engine.begin() as connection:
        connection.execute(
            text(  # the columns that version's model wrote
                "INSERT INTO job_pages (batch_id, number, page, kind, state, timed_out,"
                " over_budget, rotation, seconds)"
                " VALUES (:batch, 0, 1, 'pdf', 'queued', false, false, 0, 0)"
            ),
            {"batch": batch_id},
        )
        member = connection.execute(text("SELECT member FROM job_pages")).scalar_one()
    assert member == 0
