"""Searching: GET /api/search and the reuse lookup (service.actions.search does the work)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from indexer.search.backend import MATCH_MODES
from service.actions.search import reuse_lookup, run_search, search_filters
from service.api.common import BadArgument, _int_arg, error

bp = Blueprint("search", __name__)


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
