"""The one core behind the CLI and the web service (as in Datasette).

``Khlang`` ties the settings to a database engine, the preserved-file store and the search
index. Both ``khlang`` commands and the Flask app build one and call the same functions.
"""

from __future__ import annotations

import getpass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from archive.objectstore import ObjectStore, open_object_store, s3_options_from_env
from schemas import migrate
from schemas.config import Settings
from schemas.db import make_engine, make_session_factory
from schemas.models import Document, FixityRun, Setting

if TYPE_CHECKING:
    from indexer.search.backend import SearchBackend

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
        self.sessions = make_session_factory(self.engine)
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
        back on any error (sessionmaker.begin(); the name saves rewriting its callers)."""
        return self.sessions.begin()

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
            health = self.search_backend.replica_health()
        except Exception as exc:
            return f"down: {exc.__class__.__name__}"
        if health is None:
            return (
                "unused: only KHLANG_SEARCH_BACKEND=postgres reads it "
                f"(the search backend is {self.settings.search_backend})"
            )
        return health

    def _fixity_health(self) -> str:
        """The last `khlang verify` run: a failure it found stays visible until a run passes."""
        try:
            with self.sessions() as session:
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


def default_agent() -> str:
    """Who is acting when the CLI is run without --submitted-by: the operating-system user."""
    try:
        return getpass.getuser()
    except Exception:
        return "operator"
