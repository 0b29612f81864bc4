"""Searching as the asking principal may: the search, similar documents, the reuse lookup,
and repairing the index when a search finds it damaged."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from flask import g

from indexer.records.documents import mark_ocr_review
from indexer.search.replica_reads import reading
from indexer.search.similar import similar_projects
from service import access, read_your_writes
from service.api_models.search import SearchFilters
from service.api_models.spec import read_query
from service.context import core
from service.errors import KhlangError
from service.search_slots import RETRY_AFTER as SEARCH_RETRY_AFTER
from service.search_slots import search_slot

REUSE_POOL = 50  # similar documents whose projects are ranked
INDEX_RETRY_AFTER = 30  # seconds: a rebuild from the database takes about this at 10k documents


def search_filters(args) -> dict:
    """The filters in ``args`` (every facet of the index is one, declared in
    ``SearchFilters``); BadArgument names a wrong one."""
    return read_query(SearchFilters, args).filters()


@contextmanager
def _search_reads():
    """One search: a slot, and what its reads need (read-your-writes on a read replica);
    where it read is kept for the response's header."""
    with search_slot(), reading(read_your_writes.read_needs()) as read:
        yield
    g.read_from = read.source


def run_search(
    query: str, *, limit: int, offset: int, sort: str, filters: dict, match: str = "default"
) -> dict:
    """Search as the asking principal may: visitors get published documents only, and the
    hits are checked against the database too, so a stale index cannot leak one."""
    only_published = access.published_only()
    with _search_reads():
        result = access.search_backend().search(
            query,
            limit=limit,
            offset=offset,
            sort=sort,
            published_only=only_published,
            filters=filters or None,
            match=match,
        )
    result = result.as_dict()  # the JSON the API and `khlang search --json` answer
    if only_published:
        # "Did you mean" draws on every indexed word, unpublished documents' too.
        result["suggestion"] = None
        if result.get("hits"):
            with core().sessions() as session:
                allowed = access.published_ids(session, [h["document_id"] for h in result["hits"]])
            result["hits"] = [h for h in result["hits"] if h["document_id"] in allowed]
    with core().sessions() as session:
        mark_ocr_review(session, result["hits"])
    return result


def similar_hits(text: str, limit: int, exclude: int | None = None) -> list[dict]:
    only_published = access.published_only()
    with _search_reads():
        found = access.search_backend().similar(
            text, limit=limit + 1, published_only=only_published
        )
    hits = [hit.as_dict() for hit in found]
    hits = [h for h in hits if h.get("document_id") != exclude][:limit]
    if only_published and hits:
        with core().sessions() as session:
            allowed = access.published_ids(session, [h["document_id"] for h in hits])
        hits = [h for h in hits if h["document_id"] in allowed]
    return hits


def similar_documents(document_id: int, title: str, text: str | None, limit: int) -> list[dict]:
    """The documents most like this one (its title and the start of its text), not itself."""
    return similar_hits(f"{title}\n{(text or '')[:20000]}", limit, exclude=document_id)


def reuse_lookup(text: str, limit: int) -> dict:
    """The most similar past documents, and the projects they belong to, each with the key
    terms shared with ``text`` (only what the asker may see)."""
    hits = similar_hits(text, max(limit, REUSE_POOL))
    return {"hits": hits[:limit], "projects": similar_projects(hits, limit)}


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


def index_damaged() -> KhlangError:
    """The refusal of a search that found the index damaged; its repair is started."""
    start_index_repair()
    return KhlangError(
        503,
        "index_damaged",
        "ดัชนีค้นหาเสียหาย ระบบกำลังสร้างใหม่ กรุณาลองอีกครั้งภายหลัง",
        "the search index is damaged and is being rebuilt; try again later",
        headers={"Retry-After": str(INDEX_RETRY_AFTER)},
    )


def search_busy() -> KhlangError:
    return KhlangError(
        503,
        "busy",
        "ระบบค้นหามีผู้ใช้มากในขณะนี้ กรุณาลองอีกครั้งในอีกสักครู่",
        "search is busy right now; try again in a few seconds",
        headers={"Retry-After": str(SEARCH_RETRY_AFTER)},
    )
