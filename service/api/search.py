"""Searching: GET /api/search and the reuse lookup (service.actions.search does the work)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from service.actions.search import reuse_lookup, run_search
from service.api.common import error
from service.api_models.common import Error
from service.api_models.search import Reuse, ReuseBody, SearchQuery, SearchResult
from service.api_models.spec import PUBLIC, Answers, api

bp = Blueprint("search", __name__)


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
