"""The JSON API under /api/ (and /healthz): everything the pages do, for scripts.

One blueprint per resource (meta, search, documents, links, bulk, uploads, inventory, gaps,
accounts), nested in the ``api`` blueprint here, so that its token check, its JSON body
validation and its error handlers apply to every API route. Endpoints read
``api.<resource>.<function>``.

Described by the OpenAPI 3.1 document at /api/openapi.json (service/openapi.py). Errors are
``{"error": {"code", "message" (Thai), "message_en"}}`` with a stable code.

May import: flask, indexer, schemas, archive and the service's helper modules.
"""

from __future__ import annotations

from functools import cache

from flask import Blueprint, g, request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from werkzeug.exceptions import HTTPException

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


@bp.before_request
def _check_json_body():
    """Every JSON body is checked against its operation's request schema in the OpenAPI
    document before a handler reads it, so a list, a number where a string belongs or a
    body that is not JSON at all is a 400 with the reason, never a 500 in the handler.
    (Form posts carry only strings, which the handlers read as such.)"""
    if request.url_rule is None or not request.is_json:
        return None
    validator = _body_validator(request.url_rule.rule, request.method)
    if validator is None:
        return None
    try:
        body = request.get_json()
    except HTTPException:
        return error(400, "invalid_json", "ข้อมูลที่ส่งมาไม่ใช่ JSON", "the body is not valid JSON")
    problem = best_match(validator.iter_errors(body))
    if problem is None:
        return None
    where = "/".join(str(part) for part in problem.absolute_path) or "body"
    if problem.validator == "required" and isinstance(problem.instance, dict):
        # The same code a handler gives when the field is empty: text_required, ...
        missing = next(k for k in problem.validator_value if k not in problem.instance)
        return error(400, f"{missing}_required", f"กรุณาระบุ {missing}", f"{missing} is required")
    return error(
        400,
        "invalid_body",
        f"ข้อมูลที่ส่งมาไม่ถูกต้อง ที่ {where}",
        f"invalid request body at {where}: {problem.message}",
    )


@cache
def _body_validator(rule: str, method: str) -> Draft202012Validator | None:
    from service.openapi import json_body_schema

    schema = json_body_schema(rule, method)
    return Draft202012Validator(schema) if schema is not None else None


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
