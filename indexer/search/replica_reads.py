"""Reads on a read replica (``KHLANG_DATABASE_READ_URL``): when a streaming standby may
answer a read, and when the primary must.

A read says what it needs (:class:`Read`): anything recent enough (``after=None``), every
write up to a WAL position of the primary (``after=LSN``: the asker's own last change,
read-your-writes), or the primary itself (``after=PRIMARY``: the asker's upload is still
being ingested, so its documents keep appearing on the primary). The web service sets it
for a request's searches and read-only pages with :func:`reading` (reads outside one are
the primary's). Both readers go through :func:`read_on`, which asks the process's one
:class:`ReplicaGate` of the standby (:func:`shared_gate`), says in ``Read.source`` where
it read, and makes a read the standby fails again on the primary: the postgres search
backend with its own connections, the pages' SQLAlchemy sessions with
:class:`ReplicaSessions` (``Khlang.reading_replica``).

Why WAL positions and not a time window: the primary's ``pg_current_wal_lsn()`` after a
change is an exact mark, and the standby's ``pg_last_wal_replay_lsn()`` says whether it
has replayed that far; a window is either too long (every search of a recent writer on
the primary) or too short (a lagging standby hides the change). The standby is asked at
each search (one short query, no cache): replay only moves forward, so a yes stays true.

A standby that cannot be reached, is not streaming from its primary (disconnected, or
promoted), or lags more than ``KHLANG_READ_REPLICA_MAX_LAG`` seconds is not used: the
read goes to the primary and a warning is logged once per :data:`RETRY_AFTER` seconds,
never an error for the asker. After a connection failure the standby is not tried again
for :data:`RETRY_AFTER` seconds, so searches do not each wait for a connect timeout.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final, TypeVar

from sqlalchemy import text

from schemas.db import make_engine, make_session_factory

log = logging.getLogger(__name__)

PRIMARY: Final = "primary"  # Read.after: this read must be made on the primary
REPLICA: Final = "replica"
RETRY_AFTER = 10.0  # seconds a standby found down is left alone, and warnings are spaced
# libpq options of connections to the standby: a standby down or cut off must not hold a
# search for long (3 s to connect; an unanswered connection found dead within ~15 s).
CONNECT_OPTIONS = {
    "connect_timeout": 3,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 15000,  # ms
}

# What the standby says of itself: in recovery, its replay position, whether its WAL
# receiver streams from a primary, and how far its replay is behind what it received (0
# when it has replayed all it received: an idle primary is not a lagging standby).
STANDBY_STATE_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
    " (SELECT status FROM pg_stat_wal_receiver LIMIT 1),"
    " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
)
PRIMARY_LSN_SQL = "SELECT pg_current_wal_lsn()::text"
NOT_REPLAYED = "the asker's own change is not replayed there yet"
T = TypeVar("T")


def lsn_number(lsn: str) -> int:
    """A WAL position ``'16/B374D848'`` as a number, for comparing."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass
class Read:
    """What one request's reads need (``after``: None, an LSN, or :data:`PRIMARY`), and
    where the last of them was made (``source``: :data:`REPLICA` or :data:`PRIMARY`)."""

    after: str | None = None
    source: str | None = None


_current: ContextVar[Read | None] = ContextVar("khlang_read", default=None)


@contextmanager
def reading(after: str | None) -> Iterator[Read]:
    """The reads inside need ``after``; the yielded :class:`Read` tells where they read."""
    read = Read(after)
    token = _current.set(read)
    try:
        yield read
    finally:
        _current.reset(token)


def current_read() -> Read:
    """The reads' need set by :func:`reading`; outside one (the CLI, a worker), the
    primary: an operator who just ran ``khlang ingest`` carries no mark, and the standby
    is there to take the web's searches."""
    return _current.get() or Read(PRIMARY)


@dataclass(frozen=True)
class StandbyState:
    in_recovery: bool
    replay_lsn: str | None
    receiver: str | None  # pg_stat_wal_receiver.status: "streaming" when connected
    lag: float | None  # seconds

    def refusal(self, after: str | None, max_lag: float) -> str | None:
        """Why this standby may not answer a read needing ``after``, or None."""
        if not self.in_recovery:
            return "it is not a standby (promoted, or the primary itself)"
        if self.receiver != "streaming":
            return f"it is not streaming from the primary (WAL receiver: {self.receiver})"
        if self.lag is None:  # WAL received, no transaction replayed since it started
            return "it has replayed no transaction yet of the WAL it received"
        if self.lag > max_lag:
            return f"its replay is {self.lag:.0f} s behind (KHLANG_READ_REPLICA_MAX_LAG={max_lag})"
        if after is not None and (
            self.replay_lsn is None or lsn_number(self.replay_lsn) < lsn_number(after)
        ):
            return NOT_REPLAYED
        return None


class ReplicaGate:
    """Decides, read by read, whether the standby may answer; counts where reads went."""

    def __init__(self, max_lag: float):
        self.max_lag = max_lag
        self.counts: Counter[str] = Counter()  # reads made on REPLICA and on PRIMARY
        self._down_until = 0.0
        self._down_reason = ""  # why the standby was last found down
        self._warned_at: float | None = None
        self._lock = threading.Lock()

    def choose(self, after: str | None, standby_state: Callable[[], tuple]) -> str:
        """:data:`REPLICA` or :data:`PRIMARY` for a read needing ``after``;
        ``standby_state()`` runs :data:`STANDBY_STATE_SQL` on the standby."""
        if after == PRIMARY:
            return self._went(PRIMARY)
        if time.monotonic() < self._down_until:
            return self._went(PRIMARY)
        try:
            state = StandbyState(*standby_state())
        except Exception as exc:  # any failure to ask is "down": the primary answers
            self.failed(exc)
            return self._went(PRIMARY)
        reason = state.refusal(after, self.max_lag)
        if reason == NOT_REPLAYED:  # expected right after a change: not worth a warning
            return self._went(PRIMARY)
        if reason is not None:
            self._warn(f"the read replica is not used: {reason}; reading from the primary")
            return self._went(PRIMARY)
        return self._went(REPLICA)

    def failed(self, exc: BaseException, *, retried: bool = False) -> None:
        """The standby could not be reached or failed a read (``retried``: which is made
        again on the primary): leave it alone a while."""
        reason = f"{exc.__class__.__name__}: {str(exc).strip()[:200]}"
        with self._lock:
            self._down_until = time.monotonic() + RETRY_AFTER
            self._down_reason = reason
            if retried:
                self.counts[PRIMARY] += 1
        self._warn(
            f"the read replica failed ({reason}); reading from the primary for {RETRY_AFTER:.0f} s"
        )

    def health(self, standby_state: Callable[[], tuple]) -> str:
        """The standby as /healthz reports it: "ok" (searches may read it), "lagging N s"
        (further behind than the bound: searches read the primary) or "down: reason".
        A standby found down is not asked again for RETRY_AFTER seconds, as for searches:
        a load balancer's probes must not each wait for a connect timeout."""
        with self._lock:
            if time.monotonic() < self._down_until:
                return f"down: {self._down_reason}"
        try:
            state = StandbyState(*standby_state())
        except Exception as exc:
            self.failed(exc)
            return f"down: {exc.__class__.__name__}: {str(exc).strip()[:200]}"
        reason = state.refusal(None, self.max_lag)
        if reason is None:
            return "ok"
        if state.in_recovery and state.receiver == "streaming" and state.lag is not None:
            return f"lagging {state.lag:.0f} s (KHLANG_READ_REPLICA_MAX_LAG={self.max_lag:g})"
        return f"down: {reason}"

    def _went(self, source: str) -> str:
        with self._lock:
            self.counts[source] += 1
        return source

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        with self._lock:
            if self._warned_at is not None and now - self._warned_at < RETRY_AFTER:
                return
            self._warned_at = now
        log.warning(message)


@functools.cache
def shared_gate(read_url: str, max_lag: float) -> ReplicaGate:
    """The process's one gate of a standby: searches and pages share its verdict (a
    standby found down is left alone by both) and its counts."""
    return ReplicaGate(max_lag)


def read_on(
    gate: ReplicaGate,
    standby_state: Callable[[], tuple],
    run: Callable[[str], T],
    standby_failures: type[BaseException] | tuple[type[BaseException], ...],
) -> T:
    """``run(REPLICA)`` when the gate lets the standby answer the current read, else (or
    when the standby fails it with ``standby_failures``: gone, or a query cancelled by its
    recovery) ``run(PRIMARY)``; ``current_read().source`` says which answered."""
    read = current_read()
    if gate.choose(read.after, standby_state) == REPLICA:
        try:
            read.source = REPLICA
            return run(REPLICA)
        except standby_failures as exc:
            gate.failed(exc, retried=True)
    read.source = PRIMARY
    return run(PRIMARY)


class ReplicaSessions:
    """SQLAlchemy sessions on the standby, for the service's read-only pages; connected
    only when first read (a standby that is down must not stop the service starting)."""

    def __init__(self, read_url: str, max_lag: float):
        self.engine = make_engine(read_url, connect_args=CONNECT_OPTIONS)
        self.sessions = make_session_factory(self.engine)
        self.gate = shared_gate(read_url, max_lag)

    def state(self) -> tuple:
        """:data:`STANDBY_STATE_SQL`'s answer."""
        with self.engine.connect() as connection:
            return tuple(connection.execute(text(STANDBY_STATE_SQL)).one())

    def health(self) -> str:
        return self.gate.health(self.state)

    def dispose(self) -> None:
        self.engine.dispose()
