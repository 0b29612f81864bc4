"""Read-your-writes with a read replica (``KHLANG_DATABASE_READ_URL``): a signed-in user
(or a script with a token whose client keeps cookies) who just changed something finds it
in their own next searches and listing pages, while other readers may read the standby.
The searches (postgres backend) and the read-only pages (:func:`replica_readable`) ask
the same :func:`read_needs`, and the same gate (indexer.search.replica_reads).

After each change a principal makes (any successful POST, PUT, PATCH or DELETE: uploads,
edits, links, publication), the primary's WAL position (``pg_current_wal_lsn()``) is kept
in their signed session cookie; their searches use the standby only once it has replayed
that far (:mod:`indexer.search.replica_reads`). An upload is ingested after its request
ends, so its job is remembered too: while it runs, the uploader's searches read the
primary (where its documents appear); once it is over, the primary's position then
becomes the mark. Should the primary's position not be readable after a change, the
change still answers as it did, and the principal reads the primary for a while
(``KHLANG_READ_REPLICA_MAX_LAG`` and a margin) instead.

Why the cookie and not a table: it costs no migration and no write per change, each
browser carries its own mark, and a session that ends takes its mark with it. A script
whose HTTP client drops cookies gets no mark: it reads what the standby has (at most
``KHLANG_READ_REPLICA_MAX_LAG`` seconds behind).

Nothing here runs unless a read replica is set. Searches read it with the postgres search
backend only (Whoosh's index is a local folder); the read-only pages with either.
"""

from __future__ import annotations

import functools
import logging
import time

from flask import Response, g, request, session
from sqlalchemy import select, text

from indexer.search.replica_reads import PRIMARY, PRIMARY_LSN_SQL, lsn_number, reading
from schemas.models import Batch
from service.context import core

SESSION_MARK = "read_after"  # the primary's WAL position after the principal's last change
SESSION_JOBS = "read_jobs"  # the principal's upload jobs not yet seen over
# when the mark of a change could not be taken: the principal reads the primary until then
SESSION_PRIMARY_UNTIL = "read_primary_until"
# past KHLANG_READ_REPLICA_MAX_LAG a standby has replayed the change or is passed over;
# the margin covers the clocks of the web servers (a cookie may go from one to another)
PRIMARY_MARGIN_SECONDS = 60.0

log = logging.getLogger(__name__)
MAX_JOBS = 20  # a cookie stays small: the oldest running jobs are forgotten past this
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
READ_FROM_HEADER = "X-Khlang-Read-From"  # "replica" or "primary": where the request read


def enabled() -> bool:
    return bool(core().settings.database_read_url)


def _principal_changes() -> bool:
    """A principal who can change things and carry a mark (not one just logged out)."""
    principal = getattr(g, "principal", None)
    if principal is None or not principal.authenticated:
        return False
    return principal.kind == "token" or "uid" in session


def _primary_lsn() -> str:
    with core().engine.connect() as connection:
        return connection.execute(text(PRIMARY_LSN_SQL)).scalar_one()


def _keep_mark(lsn: str) -> None:
    old = session.get(SESSION_MARK)
    if not isinstance(old, str) or lsn_number(lsn) > lsn_number(old):
        session[SESSION_MARK] = lsn


def job_started(job_id: int) -> None:
    """An upload's job: the uploader reads the primary until it is over."""
    if not enabled() or not _principal_changes():
        return
    jobs = [j for j in session.get(SESSION_JOBS, []) if isinstance(j, int)]
    session[SESSION_JOBS] = [*jobs, job_id][-MAX_JOBS:]


def read_needs() -> str | None:
    """What this request's reads need (``Read.after`` of
    :mod:`indexer.search.replica_reads`): None, the principal's mark, or PRIMARY while
    one of their uploads is being ingested."""
    if not enabled() or not _principal_changes():
        return None
    until = session.get(SESSION_PRIMARY_UNTIL)
    if isinstance(until, int | float):
        if time.time() < until:
            return PRIMARY
        session.pop(SESSION_PRIMARY_UNTIL, None)
    jobs = [j for j in session.get(SESSION_JOBS, []) if isinstance(j, int)]
    if jobs:
        with core().sessions() as db:
            running = db.scalars(
                select(Batch.id).where(Batch.id.in_(jobs), Batch.status == "running")
            ).all()
            lsn = db.execute(text(PRIMARY_LSN_SQL)).scalar_one()
        if running:
            session[SESSION_JOBS] = sorted(running)
            return PRIMARY
        # over: everything they wrote is before the primary's position now
        session.pop(SESSION_JOBS, None)
        _keep_mark(lsn)
    mark = session.get(SESSION_MARK)
    return mark if isinstance(mark, str) else None


def replica_readable(view):
    """A read-only page or API answer (a listing, a report): on a GET, its reads through
    ``core().sessions`` may be the standby's, under the searches' rule (:func:`read_needs`),
    and the answer says where it read. Put it next to the function, under the permission
    check (the principal is loaded before)."""

    @functools.wraps(view)
    def read_only(*args, **kwargs):
        if request.method in CHANGES or not enabled():
            return view(*args, **kwargs)
        with reading(read_needs()) as read:
            answer = core().reading_replica(lambda: view(*args, **kwargs))
        g.read_from = read.source
        return answer

    return read_only


def after_request(response: Response) -> Response:
    """Keep the mark of a change just made; say where this request read."""
    source = g.get("read_from")
    if source is not None and enabled():  # without a replica, nothing changes
        response.headers[READ_FROM_HEADER] = source
    if (
        request.method in CHANGES
        and response.status_code < 400
        and _principal_changes()
        and enabled()
    ):
        _mark_change()
    return response


def _mark_change() -> None:
    """The mark of the change just committed. Failing to read it must not turn the
    change's answer into an error (the user would make it again: a second upload): the
    principal reads the primary for a while instead."""
    try:
        _keep_mark(_primary_lsn())
    except Exception:
        seconds = core().settings.read_replica_max_lag + PRIMARY_MARGIN_SECONDS
        log.exception(
            "the primary's WAL position after a change could not be read: this session "
            "reads the primary for %.0f s",
            seconds,
        )
        session[SESSION_PRIMARY_UNTIL] = time.time() + seconds
