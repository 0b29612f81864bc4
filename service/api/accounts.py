"""The admin's JSON API for users and tokens."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from service.actions import accounts
from service.api_models.accounts import NewToken, NewUser, Token, Tokens, User, UserChange, Users
from service.api_models.common import Error
from service.api_models.spec import STAFF, Answers, api
from service.auth import permission_required
from service.context import core

bp = Blueprint("accounts", __name__)

# an admin's account request that cannot be done as asked
CONFLICT = (
    Error,
    "a user of that name exists (user_exists), or an admin acting on their own account "
    "or token (own_account, own_token)",
)


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.get("/api/users")
@api.validate(resp=Answers(HTTP_200=Users), security=STAFF)
@permission_required("accounts")
def list_users():
    """Every user account (admin)"""
    return jsonify({"users": accounts.list_users(core())})


@bp.post("/api/users")
@api.validate(
    json=NewUser, resp=Answers(HTTP_201=(User, "created"), HTTP_409=CONFLICT), security=STAFF
)
@permission_required("accounts")
def create_user():
    """Create a user (admin); an event records it"""
    body = _body()
    user = accounts.create_user(
        core(),
        body.get("name") or "",
        body.get("role") or "",
        body.get("password") or "",
        body.get("province"),
        agent=g.principal.agent,
    )
    return jsonify(user), 201


@bp.patch("/api/users/<name>")
@api.validate(json=UserChange, resp=Answers(HTTP_200=User, HTTP_409=CONFLICT), security=STAFF)
@permission_required("accounts")
def change_user(name: str):
    """Change a user's role, province, password or active flag (admin); any change but
    re-activation ends the user's sessions; an event names the old and new values"""
    body = _body()
    changes = {key: body[key] for key in ("role", "password", "active") if key in body}
    if "province" in body:
        changes["province"] = body["province"]
    user = accounts.change_user(core(), name, agent=g.principal.agent, **changes)
    return jsonify(user)


@bp.get("/api/tokens")
@api.validate(resp=Answers(HTTP_200=Tokens), security=STAFF)
@permission_required("accounts")
def list_tokens():
    """Every API token, with when it was last used (admin)"""
    return jsonify({"tokens": accounts.list_tokens(core())})


@bp.post("/api/tokens")
@api.validate(json=NewToken, resp=Answers(HTTP_201=(Token, "created")), security=STAFF)
@permission_required("accounts")
def create_token():
    """Create an API token (admin); the answer's token is shown this once"""
    body = _body()
    token = accounts.create_token(
        core(),
        body.get("name") or "",
        body.get("role") or "",
        body.get("province"),
        agent=g.principal.agent,
    )
    return jsonify(token), 201


@bp.delete("/api/tokens/<int:token_id>")
@api.validate(resp=Answers(HTTP_200=Token, HTTP_409=CONFLICT), security=STAFF)
@permission_required("accounts")
def revoke_token(token_id: int):
    """Revoke an API token (admin); a token cannot revoke itself"""
    own = g.principal.id if g.principal.kind == "token" else None
    token = accounts.revoke_token(core(), token_id, agent=g.principal.agent, current_token_id=own)
    return jsonify(token)
