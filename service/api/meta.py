"""The service itself: its health, its OpenAPI document and who is asking."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from service.api.search import start_index_repair
from service.context import core

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz():
    report = core().health()
    if not report["checks"].get("index", "ok").startswith("ok"):
        start_index_repair()  # the service repairs its index itself, searched or not
    return jsonify(report), (200 if report["ok"] else 503)


@bp.get("/api/openapi.json")
def openapi():
    from service.openapi import spec

    return jsonify(spec())


@bp.get("/api/me")
def me():
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
