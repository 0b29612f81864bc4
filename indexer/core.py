"""The one core behind the CLI and the web service (as in Datasette).

``Khlang`` ties the settings to a database engine, the preserved-file store and the search
index. Both ``khlang`` commands and the Flask app build one and call the same functions.

With a read replica (``KHLANG_DATABASE_READ_URL``), ``sessions`` are the standby's only
inside :meth:`Khlang.reading_replica` (the web service's read-only pages), and only when
the standby may answer the current read (indexer.search.replica_reads); ``transaction``
and ``engine`` are always the primary's.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from archive.objectstore import ObjectStore, open_object_store, s3_options_from_env
from schemas import migrate
from schemas.config import Settings
from schemas.db import make_engine, make_session_factory
from schemas.models import Document, FixityRun, Setting

if TYPE_CHECKING:
    from indexer.search.backend import SearchBackend
    from indexer.search.replica_reads import ReplicaSessions

T = TypeVar("T")
# The core whose sessions read the standby in this context (Khlang.reading_replica).
_ON_REPLICA: ContextVar[Khlang | None] = ContextVar("khlang_on_replica", default=None)

# what /healthz says of a search backend's check() state
_INDEX_STATES = {
    "damaged": "index damaged",
    "rebuilding": "index being rebuilt",
    "unreadable": "index unreadable",
}


class Khlang:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self._sessions = make_session_factory(self.engine)  # the primary's
        self.store: ObjectStore = open_object_store(
            settings.object_store or settings.objects_dir,
            settings.tmp_dir,
            s3_options_from_env(),
            own_tmp=bool(settings.object_store),
        )
        # The second copy (KHLANG_REPLICA), or None.
        self.replica: ObjectStore | None = (
            open_object_store(
                settings.replica,
                settings.tmp_dir,
                s3_options_from_env("KHLANG_REPLICA_S3_"),
                own_tmp=True,
            )
            if settings.replica
            else None
        )

    @classmethod
    def open(cls, data_dir=None, database_url=None) -> Khlang:
        return cls(Settings.load(data_dir, database_url))

    def init(self) -> None:
        """Create or upgrade the data directory and the database (idempotent)."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store.ensure()
        self.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(self.engine)

    def transaction(self):
        """One unit of work: a new session whose transaction commits on success and rolls
        back on any error (sessionmaker.begin(); the name saves rewriting its callers).
        Always on the primary."""
        return self._sessions.begin()

    @property
    def sessions(self):
        """The session factory for reads: the primary's, or the standby's inside
        :meth:`reading_replica` when the standby was chosen."""
        if _ON_REPLICA.get() is self:
            return self.read_replica.sessions
        return self._sessions

    @cached_property
    def read_replica(self) -> ReplicaSessions | None:
        """The standby's sessions (``KHLANG_DATABASE_READ_URL``), or None."""
        if not self.settings.database_read_url:
            return None
        from indexer.search.replica_reads import ReplicaSessions

        return ReplicaSessions(self.settings.database_read_url, self.settings.read_replica_max_lag)

    def reading_replica(self, run: Callable[[], T]) -> T:
        """``run()`` with ``sessions`` on the standby when it may answer the current read
        (``replica_reads.current_read``: outside a request's ``reading``, the primary); made
        again on the primary when the standby fails it. ``run`` must only read: a rerun
        must not write twice (its writes, through ``transaction``, go to the primary)."""
        if self.read_replica is None:
            return run()
        from indexer.search.replica_reads import REPLICA, read_on

        def on(source: str) -> T:
            token = _ON_REPLICA.set(self if source == REPLICA else None)
            try:
                return run()
            finally:
                _ON_REPLICA.reset(token)

        return read_on(self.read_replica.gate, self.read_replica.state, on, OperationalError)

    @cached_property
    def search_backend(self) -> SearchBackend:
        """The search engine KHLANG_SEARCH_BACKEND names (indexer.search.backend); where a
        new engine plugs in."""
        # Imported here so that commands which never search do not load the Thai analyzer.
        from indexer.search.backend import search_backend

        return search_backend(self.settings, lost=self._has_indexed_documents)

    def _has_indexed_documents(self) -> bool:
        """Whether the database records a document as indexed: an index found missing then
        has lost them, and must not answer searches until rebuilt."""
        with self.sessions() as session:
            found = session.scalar(
                select(Document.id).where(Document.indexed_version.is_not(None)).limit(1)
            )
        return found is not None

    def get_setting(self, key: str) -> str | None:
        with self.sessions() as session:
            row = session.get(Setting, key)
            return row.value if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as session:
            session.merge(Setting(key=key, value=value))

    def health(self) -> dict:
        """What /healthz reports: can we reach the database, the store and the index? And
        the read replica, when one is set: its state is told, never counted in "ok"."""
        checks = {}
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                connection.execute(select(Setting.key).limit(1))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {exc.__class__.__name__}"
        checks["store"] = self.store.health()
        checks["fixity"] = self._fixity_health()
        try:
            # "damaged": a search could not read it (damage a quick check cannot see)
            state = self.search_backend.check().state
            checks["index"] = "ok" if state == "ok" else f"error: {_INDEX_STATES[state]}"
        except Exception as exc:
            checks["index"] = f"error: {exc.__class__.__name__}"
        ok = all(v == "ok" for v in checks.values())
        if self.settings.database_read_url:
            # Reported, never failing the service: searches read the primary meanwhile, so
            # a load balancer is to keep this server.
            checks["replica"] = self._replica_health()
        return {"ok": ok, "checks": checks}

    def _replica_health(self) -> str:
        try:
            return self.read_replica.health()
        except Exception as exc:
            return f"down: {exc.__class__.__name__}"

    def _fixity_health(self) -> str:
        """The last `khlang verify` run: a failure it found stays visible until a run passes."""
        try:
            with self._sessions() as session:  # the primary's health
                run = session.scalars(
                    select(FixityRun).order_by(FixityRun.id.desc()).limit(1)
                ).first()
        except Exception as exc:
            return f"error: {exc.__class__.__name__}"
        if run is None or run.ok:
            return "ok"
        return f"error: fixity run #{run.id} found {run.failures} failures"

    def dispose(self) -> None:
        self.engine.dispose()
        if "read_replica" in self.__dict__ and self.read_replica is not None:
            self.read_replica.dispose()


def default_agent() -> str:
    """Who is acting when the CLI is run without --submitted-by: the operating-system user."""
    try:
        return getpass.getuser()
    except Exception:
        return "operator"
