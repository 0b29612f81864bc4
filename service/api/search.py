"""Searching: GET /api/search, similar documents and the reuse lookup, and the index's
repair when a search finds it damaged.
"""

from __future__ import annotations

import threading

from flask import Blueprint, jsonify, request

from indexer.search.index import MATCH_MODES
from schemas.search_index import FACET_FIELDS
from service import access
from service.api.common import (
    BadArgument,
    _int_arg,
    error,
)
from service.context import core
from service.search_slots import search_slot

bp = Blueprint("search", __name__)


# --- search --------------------------------------------------------------------------------

# Every facet of the index is also a filter of GET /api/search.
FILTER_KEYS = FACET_FIELDS


def search_filters(args) -> dict:
    filters = {}
    for key in FILTER_KEYS:
        value = (args.get(key) or "").strip()
        if not value:
            continue
        if key == "fiscal_year":
            try:
                filters[key] = int(value)
            except ValueError:
                raise BadArgument(key) from None
        else:
            filters[key] = value
    return filters


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
def search():
    query = (request.args.get("q") or "").strip()
    limit = _int_arg("limit", 20, 1, 100)
    offset = _int_arg("offset", 0, 0, 100_000)
    sort = request.args.get("sort") or "relevance"
    if sort not in ("relevance", "date"):
        raise BadArgument("sort")
    match = request.args.get("match") or "default"
    if match not in MATCH_MODES:
        raise BadArgument("match")
    filters = search_filters(request.args)
    return jsonify(
        run_search(query, limit=limit, offset=offset, sort=sort, filters=filters, match=match)
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
def reuse():
    """Paste a new project's description; get past outputs to build on, with shared terms."""
    body = request.get_json(silent=True) or {}
    text = (body.get("text") if isinstance(body, dict) else None) or request.form.get("text")
    if not text or not str(text).strip():
        return error(400, "text_required", "กรุณาใส่คำอธิบายโครงการ", "text is required")
    limit = body.get("limit", 10) if isinstance(body, dict) else 10
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise BadArgument("limit")
    return jsonify(reuse_lookup(str(text)[:50000], limit))


REUSE_POOL = 50  # similar documents whose projects are ranked


def reuse_lookup(text: str, limit: int) -> dict:
    """The most similar past documents, and the projects they belong to, each with the key
    terms shared with ``text`` (only what the asker may see)."""
    from indexer.search.similar import similar_projects

    hits = similar_hits(text, max(limit, REUSE_POOL))
    return {"hits": hits[:limit], "projects": similar_projects(hits, limit)}
