"""The JSON API under /api/ (and /healthz): everything the pages do, for scripts.

One blueprint per resource (meta, search, documents, links, bulk, uploads, inventory, gaps,
accounts), nested in the ``api`` blueprint here, so that its token check and its error
handlers apply to every API route. Endpoints read ``api.<resource>.<function>``.

What each route accepts and answers is declared on it with service/api_models (checked
there, and made into the OpenAPI 3.1 document at /api/openapi.json). Errors are
``{"error": {"code", "message" (Thai), "message_en"}}`` with a stable code.

May import: flask, indexer, schemas, archive and the service's helper modules.
"""

from __future__ import annotations

from flask import Blueprint, g, request

from indexer.search.index import IndexBusy, IndexDamaged
from service.api import accounts, bulk, documents, gaps, inventory, links, meta, search, uploads
from service.api.common import BadArgument, ProvinceRefused, error
from service.api.search import INDEX_RETRY_AFTER, start_index_repair
from service.search_slots import RETRY_AFTER as SEARCH_RETRY_AFTER
from service.search_slots import SearchOverloaded

bp = Blueprint("api", __name__)
for _resource in (meta, search, documents, links, bulk, uploads, inventory, gaps, accounts):
    bp.register_blueprint(_resource.bp)


@bp.before_request
def _api_auth():
    # A bad or revoked token is refused outright, even on routes visitors may use:
    # a script must learn its token is wrong rather than silently see less.
    if getattr(g, "auth_error", None) and request.path.startswith("/api/"):
        if g.auth_error == "bad_token":
            return error(401, "bad_token", "โทเคนไม่ถูกต้องหรือถูกยกเลิก", "unknown or revoked token")
        return error(401, "bad_authorization", "รูปแบบ Authorization ไม่ถูกต้อง", "use 'Bearer TOKEN'")
    return None


@bp.errorhandler(BadArgument)
def _bad_argument(exc: BadArgument):
    return error(400, "bad_argument", f"ค่า {exc.name} ไม่ถูกต้อง", f"invalid value for {exc.name}")


@bp.errorhandler(IndexDamaged)
def _index_damaged(_exc: IndexDamaged):
    start_index_repair()
    response = error(
        503,
        "index_damaged",
        "ดัชนีค้นหาเสียหาย ระบบกำลังสร้างใหม่ กรุณาลองอีกครั้งภายหลัง",
        "the search index is damaged and is being rebuilt; try again later",
    )
    response.headers["Retry-After"] = str(INDEX_RETRY_AFTER)
    return response


@bp.errorhandler(SearchOverloaded)
@bp.errorhandler(IndexBusy)
def _search_busy(_exc: Exception):
    response = error(
        503,
        "busy",
        "ระบบค้นหามีผู้ใช้มากในขณะนี้ กรุณาลองอีกครั้งในอีกสักครู่",
        "search is busy right now; try again in a few seconds",
    )
    response.headers["Retry-After"] = str(SEARCH_RETRY_AFTER)
    return response


@bp.errorhandler(ProvinceRefused)
def _province_refused(_exc):
    return error(
        403, "forbidden", "ดูรายงานได้เฉพาะจังหวัดที่รับผิดชอบ", "you may see your own province only"
    )
