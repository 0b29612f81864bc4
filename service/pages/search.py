"""The search page and the reuse page (service.actions.search does the work)."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, render_template, request

from indexer.search.errors import IndexDamaged
from schemas.labels import FACET_TH as FACET_LABELS
from schemas.labels import MATCH_TIER_TH as TIER_LABELS
from service.actions import search as search_actions
from service.actions.publication import ACTION_LABELS
from service.errors import BadArgument
from service.pages.layout import PAGE_SIZE

bp = Blueprint("search", __name__)


@bp.get("/")
def search():
    query = (request.args.get("q") or "").strip()
    sort = request.args.get("sort") if request.args.get("sort") in ("relevance", "date") else None
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    filters = _readable_filters(request.args.to_dict())
    # the strict all-words search on request (match=all, or its former name strict)
    match = "all" if request.args.get("match") in ("all", "strict") else "default"
    result, index_error = None, False
    if query or filters or sort:
        try:
            result = search_actions.run_search(
                query,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
                sort=sort or "relevance",
                filters=filters,
                match=match,
            )
        except Exception as exc:
            current_app.logger.exception("search failed")
            if isinstance(exc, IndexDamaged):
                search_actions.start_index_repair()
            index_error = True
    pages = math.ceil(result["total"] / PAGE_SIZE) if result else 0
    page_html = render_template(
        "search.html",
        query=query,
        sort=sort or "relevance",
        filters=filters,
        result=result,
        page=page,
        pages=pages,
        facet_labels=FACET_LABELS,
        match_labels=TIER_LABELS,
        index_error=index_error,
        match=match,
        action_labels=ACTION_LABELS,
    )
    if index_error:  # not "nothing found": the index could not answer
        return page_html, 503, {"Retry-After": str(search_actions.INDEX_RETRY_AFTER)}
    return page_html


@bp.route("/reuse", methods=["GET", "POST"])
def reuse():
    text = (request.form.get("text") or "").strip() if request.method == "POST" else ""
    found = None
    if text:
        try:
            found = search_actions.reuse_lookup(text[:50000], 10)
        except Exception:
            current_app.logger.exception("reuse failed")
            found = {"hits": [], "projects": []}
    return render_template("reuse.html", text=text, found=found)


def _readable_filters(args: dict) -> dict:
    """The page's filters, leaving out only those it cannot read (a link typed by hand, an
    urgency that is no urgency): the rest still narrow the search. The API answers 400."""
    while True:
        try:
            return search_actions.search_filters(args)
        except BadArgument as exc:
            if exc.name not in args:
                return {}
            args.pop(exc.name)
