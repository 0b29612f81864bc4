"""The service about itself: health and who is asking."""

from __future__ import annotations

from typing import Literal

from service.api_models.common import Answer


class Health(Answer):
    ok: bool
    checks: dict[str, str]


class Me(Answer):
    authenticated: bool
    kind: Literal["user", "token", "anonymous"]
    name: str | None
    role: Literal["admin", "strategy", "dsss", "viewer", None]
    province: str | None
