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

from indexer.search.errors import IndexBusy, IndexDamaged
from service.actions.search import index_damaged, search_busy
from service.api import accounts, bulk, documents, gaps, inventory, links, meta, search, uploads
from service.errors import error, khlang_error_response
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


@bp.errorhandler(IndexDamaged)
def _index_damaged(_exc: IndexDamaged):
    return khlang_error_response(index_damaged())


@bp.errorhandler(SearchOverloaded)
@bp.errorhandler(IndexBusy)
def _search_busy(_exc: Exception):
    return khlang_error_response(search_busy())
