"""Searching: GET /api/search, similar documents and the reuse lookup, and the index's
repair when a search finds it damaged.
"""

from __future__ import annotations

import threading

from flask import Blueprint, jsonify, request

from service import access
from service.api.common import error
from service.api_models.common import Error
from service.api_models.search import Reuse, ReuseBody, SearchFilters, SearchQuery, SearchResult
from service.api_models.spec import PUBLIC, Answers, api, read_query
from service.context import core
from service.search_slots import search_slot

bp = Blueprint("search", __name__)


# --- search --------------------------------------------------------------------------------


def search_filters(args) -> dict:
    """The filters in ``args`` (every facet of the index is one); BadArgument names a
    wrong one."""
    return read_query(SearchFilters, args).filters()


def run_search(
    query: str, *, limit: int, offset: int, sort: str, filters: dict, match: str = "default"
) -> dict:
    """Search as the asking principal may: visitors get published documents only, and the
    hits are checked against the database too, so a stale index cannot leak one."""
    only_published = access.published_only()
    with search_slot():
        result = access.search_index().search(
            query,
            limit=limit,
            offset=offset,
            sort=sort,
            published_only=only_published,
            filters=filters or None,
            match=match,
        )
    if only_published:
        # "Did you mean" draws on every indexed word, unpublished documents' too.
        result["suggestion"] = None
        if result.get("hits"):
            with core().sessions() as session:
                allowed = access.published_ids(session, [h["document_id"] for h in result["hits"]])
            result["hits"] = [h for h in result["hits"] if h["document_id"] in allowed]
    return result


@bp.get("/api/search")
@api.validate(
    query=SearchQuery,
    resp=Answers(
        HTTP_200=SearchResult,
        HTTP_503=(
            Error,
            "the search index is damaged and is being rebuilt (index_damaged), or busy",
        ),
    ),
    security=PUBLIC,
)
def search():
    """Search in Thai (or English); visitors get published documents only"""
    asked = request.context.query
    return jsonify(
        run_search(
            asked.q,
            limit=asked.limit,
            offset=asked.offset,
            sort=asked.sort,
            filters=asked.filters(),
            match=asked.match,
        )
    )


_repair_started = threading.Lock()


def start_index_repair() -> None:
    """Rebuild a damaged index in the background (one thread per process; ``reindex``
    itself lets one process at a time do it)."""
    from service import _repair_index

    if not _repair_started.acquire(blocking=False):
        return
    app_core = core()

    def run() -> None:
        try:
            _repair_index(app_core)
        finally:
            _repair_started.release()

    threading.Thread(target=run, daemon=True).start()


INDEX_RETRY_AFTER = 30  # seconds: a rebuild from the database takes about this at 10k documents


def similar_hits(text: str, limit: int, exclude: int | None = None) -> list[dict]:
    only_published = access.published_only()
    with search_slot():
        hits = access.search_index().similar(text, limit=limit + 1, published_only=only_published)
    hits = [h for h in hits if h.get("document_id") != exclude][:limit]
    if only_published and hits:
        with core().sessions() as session:
            allowed = access.published_ids(session, [h["document_id"] for h in hits])
        hits = [h for h in hits if h["document_id"] in allowed]
    return hits


@bp.post("/api/reuse")
@api.validate(
    json=ReuseBody,
    resp=Answers(
        HTTP_200=Reuse,
        HTTP_503=(
            Error,
            "the search index is damaged and is being rebuilt (index_damaged), or busy",
        ),
    ),
    security=PUBLIC,
)
def reuse():
    """Paste a new project's description; get the most similar past documents and projects,
    with the key terms they share"""
    body = request.context.json  # None when the text came as a form field
    text = body.text if body else request.form.get("text")
    if not text or not text.strip():
        return error(400, "text_required", "กรุณาใส่คำอธิบายโครงการ", "text is required")
    return jsonify(reuse_lookup(text[:50000], body.limit if body else 10))


REUSE_POOL = 50  # similar documents whose projects are ranked


def reuse_lookup(text: str, limit: int) -> dict:
    """The most similar past documents, and the projects they belong to, each with the key
    terms shared with ``text`` (only what the asker may see)."""
    from indexer.search.similar import similar_projects

    hits = similar_hits(text, max(limit, REUSE_POOL))
    return {"hits": hits[:limit], "projects": similar_projects(hits, limit)}
