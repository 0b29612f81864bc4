"""The admin's JSON API for users and tokens (described in service.openapi)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from service import accounts
from service.api.common import error
from service.auth import permission_required
from service.context import core

bp = Blueprint("accounts", __name__)


def _refusal(exc: accounts.AccountError):
    return error(exc.status, exc.code, exc.message_th, exc.message_en)


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.get("/api/users")
@permission_required("accounts")
def list_users():
    return jsonify({"users": accounts.list_users(core())})


@bp.post("/api/users")
@permission_required("accounts")
def create_user():
    body = _body()
    try:
        user = accounts.create_user(
            core(),
            body.get("name") or "",
            body.get("role") or "",
            body.get("password") or "",
            body.get("province"),
            agent=g.principal.agent,
        )
    except accounts.AccountError as exc:
        return _refusal(exc)
    return jsonify(user), 201


@bp.patch("/api/users/<name>")
@permission_required("accounts")
def change_user(name: str):
    body = _body()
    changes = {key: body[key] for key in ("role", "password", "active") if key in body}
    if "province" in body:
        changes["province"] = body["province"]
    try:
        user = accounts.change_user(core(), name, agent=g.principal.agent, **changes)
    except accounts.AccountError as exc:
        return _refusal(exc)
    return jsonify(user)


@bp.get("/api/tokens")
@permission_required("accounts")
def list_tokens():
    return jsonify({"tokens": accounts.list_tokens(core())})


@bp.post("/api/tokens")
@permission_required("accounts")
def create_token():
    body = _body()
    try:
        token = accounts.create_token(
            core(),
            body.get("name") or "",
            body.get("role") or "",
            body.get("province"),
            agent=g.principal.agent,
        )
    except accounts.AccountError as exc:
        return _refusal(exc)
    return jsonify(token), 201


@bp.delete("/api/tokens/<int:token_id>")
@permission_required("accounts")
def revoke_token(token_id: int):
    own = g.principal.id if g.principal.kind == "token" else None
    try:
        token = accounts.revoke_token(
            core(), token_id, agent=g.principal.agent, current_token_id=own
        )
    except accounts.AccountError as exc:
        return _refusal(exc)
    return jsonify(token)
