"""One row of a job claimed by the worker handling it (a file's ``JobFile``, a page's
``JobPage``): on PostgreSQL the row stays locked (and the connection's transaction open)
until the block ends, so a second delivery of the same message is not worked on at the
same time; a worker that dies releases the lock with its connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select

from indexer.core import Khlang

#: What ``claim_row`` yields when another worker holds the row right now.
BUSY = None


@contextmanager
def claim_row(core: Khlang, query: Select) -> Iterator[tuple[Any, Any] | None]:
    """(connection, row) for the one row ``query`` selects: the connection to record the
    outcome in (None on SQLite: the caller opens its own), the row None when there is no
    such row (any more). BUSY (None) when another worker holds it."""
    with core.engine.connect() as connection:
        if core.settings.is_sqlite:
            # SQLite has no row locks; a read transaction held open would only stop this
            # worker's later write. Two deliveries at once are then told apart by the
            # stored SHA-256 and the "queued" check when the row is marked done.
            row = connection.execute(query).first()
            connection.rollback()
            yield None, row
            return
        with connection.begin():
            row = connection.execute(query.with_for_update(skip_locked=True)).first()
            if row is None and connection.execute(query).first() is not None:
                # skipped, not missing: a plain read (no lock) still sees it
                yield BUSY
                return
            yield connection, row
