"""Users and API tokens (administrators)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from service.api_models.common import Answer, Body

Role = Literal["admin", "strategy", "dsss", "viewer"]


class User(Answer):
    name: str
    role: Role
    province: str | None
    active: bool
    created_at: str | None = None


class Users(Answer):
    users: list[User]


class Token(Answer):
    id: int
    name: str
    role: Role
    province: str | None = None
    revoked: bool
    created_at: str | None = None
    last_used_at: str | None
    token: str = Field(None, description="the secret: in the answer to POST /api/tokens only, once")


class Tokens(Answer):
    tokens: list[Token]


class NewUser(Body):
    name: str
    role: str = Field(description="admin, strategy, dsss, viewer")
    password: str = Field(description="at least 8 characters")
    province: str | None = Field(None, description="required for dsss")


class UserChange(Body):
    role: str = None
    province: str | None = None
    password: str = None
    active: bool = None


class NewToken(Body):
    name: str
    role: str
    province: str | None = None
