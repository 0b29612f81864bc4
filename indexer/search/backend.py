"""The search seam: what a search engine behind Khlang does, and the one way to get one.

A backend indexes documents (the dicts :func:`indexer.ingest.indexing` builds: ``id``,
``title``, ``text``, ``filename``, the facet fields of :mod:`schemas.search_index`, ...),
deletes them, searches them in the query language of :mod:`indexer.search.query` (every
backend parses it with :func:`indexer.search.query.parse`, so ``ปีงบประมาณ:๒๕๖๒`` or
``-จังหวัด:ลำปาง`` mean the same whatever answers), finds similar documents, suggests a
spelling, checks its own health, rebuilds itself and says which version built it.

Results are plain dataclasses (no engine's types cross the seam); ``as_dict()`` gives the
JSON the API has always answered. A backend that cannot answer raises
:class:`indexer.search.errors.IndexDamaged` (never "nothing found") or
:class:`indexer.search.errors.IndexBusy`.

``KHLANG_SEARCH_BACKEND`` (``Settings.search_backend``) names the backend; a new engine is a
subclass of :class:`SearchBackend` and one line in :data:`BACKENDS`. This module imports no
engine: the chosen one is imported when it is asked for.

Every caller gets its backend from ``Khlang.search_backend`` and uses only what is declared
here: the search page and API (:mod:`service.actions.search`), ``khlang search``, a web
worker's warm-up and start-up repair (:mod:`service`), ``/healthz`` (``Khlang.health``) and
keeping the index in step with the database (:mod:`indexer.ingest.indexing`: ``index``,
``delete``, ``stage``/``go_live`` for a rebuild that catches up writes made meanwhile, and
``version``, stamped on each indexed document). So a new engine changes no caller.
:meth:`SearchBackend.held_ids` and :meth:`SearchBackend.warm` have defaults; the rest is
abstract.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Self

from schemas.config import ConfigError, Settings

# name -> "module:class"; imported on demand, so choosing one never loads another's library
BACKENDS = {
    "whoosh": "indexer.search.whoosh_backend:WhooshBackend",
    "postgres": "indexer.search.postgres_backend:PostgresBackend",
}

# What SearchBackend.search's ``match`` may be: "default" ranks in tiers (the query verbatim,
# every content word, some of them); "all" ranks documents with every chunk first. "any"
# (the former "any of these words" mode) and "strict" (the former default) stay accepted
# for scripts that pass them, as "default" and "all".
MATCH_MODES = ("default", "all", "any", "strict")
SORTS = ("relevance", "date")


def check_search_arguments(sort: str, match: str) -> None:
    """The checks every backend's ``search`` makes of its options before anything else."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    if match not in MATCH_MODES:
        raise ValueError(f"match must be one of {MATCH_MODES}")


# The tiers a search hit comes from (indexer.search.tiers.TIERS), None for a search
# without words (filters only, or sort by date with no query).
Tier = Literal["phrase", "all", "some"]


@dataclass(frozen=True)
class Hit:
    """One document found. ``date`` is the document's own date (ISO, None when undated),
    ``received`` when it came into Khlang; ``snippet`` marks the matches."""

    document_id: int
    title: str
    filename: str
    score: float
    snippet: str
    kind: str
    category: str
    fiscal_year: int | None
    date: str | None
    received: str | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SearchHit(Hit):
    match: Tier | None = None  # the tier it was ranked in


@dataclass(frozen=True)
class SimilarHit(Hit):
    shared_terms: list[str] = field(default_factory=list)  # key terms it shares
    projects: list[str] = field(default_factory=list)  # its projects (project facet)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """``total`` and ``facets`` count every match after filters and visibility; ``hits`` is
    the page asked for; ``query`` is the parsed query (:meth:`ParsedQuery.to_dict`)."""

    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None
    query: dict

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "hits": [hit.as_dict() for hit in self.hits],
            "facets": {f: [asdict(v) for v in vs] for f, vs in self.facets.items()},
            "suggestion": self.suggestion,
            "query": self.query,
        }


@dataclass(frozen=True)
class Health:
    """``state``: ``ok``; ``damaged`` (a search could not read it); ``rebuilding`` (it must
    not answer until rebuilt: missing, or recreated empty after damage or loss); or
    ``unreadable`` (the health check itself could not read it). ``needs_rebuild``: built by
    another version, or any of the above."""

    state: Literal["ok", "damaged", "rebuilding", "unreadable"]
    reason: str | None = None
    needs_rebuild: bool = False

    @property
    def ok(self) -> bool:
        return self.state == "ok"


class StagedIndex(ABC):
    """A fresh index filled by :meth:`SearchBackend.stage`, not answering searches yet.

    A database-aware rebuild fills it from a snapshot, adds what changed meanwhile
    (:meth:`add`, under its own write lock), then makes it live (:meth:`go_live`); until
    then searches use the old index."""

    documents: int  # how many documents were read into it by stage()

    @abstractmethod
    def add(self, documents: Iterable[dict]) -> None:
        """Add or replace documents in the staged index."""

    @abstractmethod
    def go_live(self) -> None:
        """Make the staged index the one searches use; the old one goes."""


class SearchBackend(ABC):
    """One search engine behind Khlang. Safe to share between the threads of a process;
    several processes (gunicorn workers, the CLI) may use the same index at once."""

    name: str

    @classmethod
    @abstractmethod
    def open(cls, settings: Settings, *, lost: Callable[[], bool] | None = None) -> Self:
        """Open the index in ``settings``' place, creating it when absent (see
        :func:`search_backend` for ``lost``)."""

    @property
    @abstractmethod
    def version(self) -> str:
        """What the index was built with (analyzer, dictionary, schema). When the index on
        disk was built by another version, :meth:`check` says ``needs_rebuild``."""

    @abstractmethod
    def index(self, documents: Iterable[dict]) -> int:
        """Add or replace documents (by ``id``); returns how many were written."""

    @abstractmethod
    def delete(self, document_ids: Iterable[int]) -> None:
        """Remove documents; ids not in the index are ignored."""

    @abstractmethod
    def search(
        self,
        query: str,
        *,
        filters: dict | None = None,
        facets: bool = True,
        sort: Literal["relevance", "date"] = "relevance",
        limit: int = 20,
        offset: int = 0,
        published_only: bool = False,
        match: str = "default",
    ) -> SearchResult:
        """Search. ``match="default"`` ranks in tiers (the query verbatim, every content
        word, some of them); ``"all"`` ranks documents with every chunk first. Every
        chunk is found as a substring too (never-miss), Thai digits equal Arabic ones,
        tone marks are kept (ข้าว, ข่าว and ขาว are different words). ``facets=False``
        leaves ``facets`` empty."""

    @abstractmethod
    def similar(
        self,
        text: str,
        *,
        limit: int = 10,
        published_only: bool = False,
        exclude_ids: Iterable[int] = (),
    ) -> list[SimilarHit]:
        """Documents most like a free-text description (the reuse lookup)."""

    @abstractmethod
    def suggest(self, query: str, *, published_only: bool = False) -> str | None:
        """ "Did you mean": the query with its unknown words corrected, when more documents
        have the corrected query than the query; else None."""

    @abstractmethod
    def check(self, *, deep: bool = False) -> Health:
        """Whether the index can answer; ``deep`` reads all of it (slow)."""

    @abstractmethod
    def stage(
        self,
        documents: Iterable[dict],
        progress: Callable[[int], Any] | None = None,
        *,
        procs: int | None = None,
    ) -> StagedIndex:
        """Index ``documents`` afresh beside the live index, which keeps answering.
        ``progress(n_done)`` is called now and then. ``procs`` caps the processes the
        backend may start for it (the web service passes 1: a gunicorn worker must not
        fork); a backend that starts none ignores it."""

    def rebuild(
        self,
        documents: Iterable[dict],
        progress: Callable[[int], Any] | None = None,
        *,
        procs: int | None = None,
    ) -> int:
        """Index ``documents`` afresh and make that the live index; searches keep working
        on the old one meanwhile. Returns how many documents were read."""
        staged = self.stage(documents, progress, procs=procs)
        staged.go_live()
        return staged.documents

    @abstractmethod
    def ids(self) -> set[int]:
        """The ids a search can return (for reconciling the index with the database)."""

    def held_ids(self) -> set[int]:
        """Every id the index holds anything of, searchable or not: reconciliation deletes
        those the database no longer knows. A backend that writes a document in one step
        holds exactly :meth:`ids` (the default); one that writes in several (Whoosh and its
        substring sidecar) may hold ids an interrupted write left half written."""
        return self.ids()

    def warm(self) -> None:
        """Prepare what the first search of a process would otherwise wait for (a new web
        worker calls it in the background). Nothing by default."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Release what the backend holds open (call when no search is running)."""


def search_backend(settings: Settings, *, lost: Callable[[], bool] | None = None) -> SearchBackend:
    """The backend ``settings.search_backend`` names, opened (or created) in the data
    directory. ``lost()`` says whether the database records documents as indexed: an
    index found missing then has lost them and must not answer until rebuilt."""
    name = settings.search_backend
    target = BACKENDS.get(name)
    if target is None:
        known = ", ".join(sorted(BACKENDS))
        raise ConfigError(
            f"KHLANG_SEARCH_BACKEND={name!r} ไม่มีระบบค้นหานี้ ใช้ได้: {known} "
            f"(no such search backend; known: {known})"
        )
    module, cls = target.split(":")
    backend_class = getattr(importlib.import_module(module), cls)
    return backend_class.open(settings, lost=lost)
