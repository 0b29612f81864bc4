"""The service itself: its health, its OpenAPI document and who is asking."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from service.actions.search import start_index_repair
from service.api_models.common import Error
from service.api_models.meta import Health, Me
from service.api_models.spec import PUBLIC, Answers, OpenAPIDocument, api
from service.context import core

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
@api.validate(resp=Answers(HTTP_200=Health, HTTP_503=(Health, "unhealthy")), security=PUBLIC)
def healthz():
    """Health of the database, the store, the index (and the read replica: told, never failing)"""
    report = core().health()
    if not report["checks"].get("index", "ok").startswith("ok"):
        start_index_repair()  # the service repairs its index itself, searched or not
    return jsonify(report), (200 if report["ok"] else 503)


@bp.get("/api/openapi.json")
@api.validate(resp=Answers(HTTP_200=OpenAPIDocument), security=PUBLIC)
def openapi():
    """This document"""
    from service.api_models.spec import document

    return jsonify(document())


@bp.get("/api/me")
@api.validate(resp=Answers(HTTP_200=Me, HTTP_401=Error), security=PUBLIC)
def me():
    """Who the API thinks you are"""
    p = g.principal
    return jsonify(
        {
            "authenticated": p.authenticated,
            "kind": p.kind,
            "name": p.name,
            "role": p.role,
            "province": p.province,
        }
    )
