"""The ``whoosh`` search backend: :class:`indexer.search.index.SearchIndex` (Whoosh for words,
facets and BM25F, the SQLite sidecar for never-miss substrings) behind the seam of
:mod:`indexer.search.backend`. Only conversion lives here; the work is SearchIndex's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from schemas.config import Settings

from .backend import (
    FacetValue,
    Health,
    SearchBackend,
    SearchHit,
    SearchResult,
    SimilarHit,
    StagedIndex,
)
from .index import SearchIndex


class StagedGeneration(StagedIndex):
    """A generation built beside the live one (see :mod:`indexer.search.generations`)."""

    def __init__(self, search_index: SearchIndex, gen: str, documents: int):
        self.search_index = search_index
        self.gen = gen
        self.documents = documents

    def add(self, documents: Iterable[dict]) -> None:
        self.search_index.add_to_generation(self.gen, list(documents))

    def go_live(self) -> None:
        self.search_index.swap_in(self.gen)


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, search_index: SearchIndex):
        # The index itself, for the callers that still use its own methods (dict results,
        # generations for a database-aware reindex); new code goes through this class.
        self.search_index = search_index

    @classmethod
    def open(cls, settings: Settings, *, lost: Callable[[], bool] | None = None):
        return cls(SearchIndex(settings.index_dir).open_or_create(lost=lost))

    @property
    def version(self) -> str:
        return self.search_index.schema_version

    def index(self, documents: Iterable[dict]) -> int:
        return self.search_index.add_documents(documents)

    def delete(self, document_ids: Iterable[int]) -> None:
        self.search_index.delete_documents(document_ids)

    def search(
        self,
        query: str,
        *,
        filters: dict | None = None,
        facets: bool = True,
        sort: str = "relevance",
        limit: int = 20,
        offset: int = 0,
        published_only: bool = False,
        match: str = "default",
    ) -> SearchResult:
        got = self.search_index.search(
            query,
            limit=limit,
            offset=offset,
            sort=sort,
            published_only=published_only,
            filters=filters,
            match=match,
        )
        return SearchResult(
            total=got["total"],
            hits=[SearchHit(**hit) for hit in got["hits"]],
            facets=(
                {f: [FacetValue(**v) for v in vs] for f, vs in got["facets"].items()}
                if facets
                else {}
            ),
            suggestion=got["suggestion"],
            query=got["query"],
        )

    def similar(
        self,
        text: str,
        *,
        limit: int = 10,
        published_only: bool = False,
        exclude_ids: Iterable[int] = (),
    ) -> list[SimilarHit]:
        hits = self.search_index.similar(text, limit, published_only, exclude_ids=list(exclude_ids))
        return [SimilarHit(**hit) for hit in hits]

    def suggest(self, query: str, *, published_only: bool = False) -> str | None:
        # "did you mean" is worked out with every search (limit 0 ranks no page)
        got = self.search_index.search(query, limit=0, published_only=published_only)
        return got["suggestion"]

    def check(self, *, deep: bool = False) -> Health:
        ix = self.search_index
        needs_rebuild = ix.needs_rebuild()
        reason = ix.damaged()
        if reason is not None:
            return Health("damaged", reason, needs_rebuild=True)
        reason = ix.unavailable()
        if reason is not None:
            return Health("rebuilding", reason, needs_rebuild=True)
        if not ix.is_healthy(deep=deep):
            return Health("unreadable", "the health check could not read the index", True)
        return Health("ok", needs_rebuild=needs_rebuild)

    def stage(
        self,
        documents: Iterable[dict],
        progress: Callable[[int], Any] | None = None,
        *,
        procs: int | None = None,
    ) -> StagedGeneration:
        # procs: Whoosh writer processes (see SearchIndex.build_generation)
        gen, n = self.search_index.build_generation(documents, progress, procs=procs)
        return StagedGeneration(self.search_index, gen, n)

    def ids(self) -> set[int]:
        return self.search_index.searchable_ids()

    def held_ids(self) -> set[int]:
        # the sidecar may hold ids a write interrupted between it and Whoosh left behind
        return self.search_index.indexed_ids()

    def warm(self) -> None:
        # the tables shared by every search of an index state: ~1.5 s at 100k documents
        self.search_index.warm()

    def close(self) -> None:
        self.search_index.close()
