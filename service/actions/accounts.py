"""Users and API tokens as the admin manages them in the web and the API.

One core behind the pages (service.pages.admin), the JSON API (service.api.accounts) and
the CLI (service.cli_accounts): the account rules themselves (roles, password hashing,
ending sessions) live in service.auth; here are the checks a form or a script needs with
their reasons in Thai and English, and an event for every change (events without a
document: see indexer.records.provenance USER_* and TOKEN_*).
"""

from __future__ import annotations

from sqlalchemy import func, select

from indexer.records import provenance as ev
from schemas.models import ApiToken, Event, User
from service import auth
from service.errors import KhlangError

MIN_PASSWORD = 8
NAME_MAX = 255
# the provenance events of accounts, newest first, on the admin's pages
ACCOUNT_EVENTS = (ev.USER_ADDED, ev.USER_CHANGED, ev.TOKEN_CREATED, ev.TOKEN_REVOKED)


class AccountError(KhlangError):
    """A refusal with its reason for the person: HTTP status, stable code, Thai, English."""

    def __str__(self) -> str:
        return f"{self.message_th} ({self.message_en})"


def known_province(name: str | None) -> str | None:
    """The gazetteer's name of a province ('จังหวัดลำพูน' -> 'ลำพูน'); None for none."""
    from indexer.thai.gazetteer import province_by_name

    if not name or not name.strip():
        return None
    found = province_by_name(name)
    if found is None:
        raise AccountError(
            400, "unknown_province", f"ไม่รู้จักจังหวัด {name}", f"unknown province {name}"
        )
    return found.name


def _check_role(role: str | None, province: str | None) -> None:
    if role not in auth.ROLES:
        raise AccountError(
            400,
            "unknown_role",
            f"ไม่รู้จักบทบาท {role} (ใช้ได้: {', '.join(auth.ROLES)})",
            f"unknown role {role!r}; one of {', '.join(auth.ROLES)}",
        )
    if role == "dsss" and not province:
        raise AccountError(
            400,
            "province_required",
            "บทบาท dsss (เจ้าหน้าที่ DSSS) ต้องระบุจังหวัด",
            "a dsss account needs a province",
        )


def _check_password(password: str | None) -> None:
    if not password or len(password) < MIN_PASSWORD:
        raise AccountError(
            400,
            "password_too_short",
            f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSWORD} ตัวอักษร",
            f"the password needs at least {MIN_PASSWORD} characters",
        )


def _check_name(name: str | None, what_th: str, what_en: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or any(c.isspace() for c in name):
        raise AccountError(
            400,
            "bad_name",
            f"ชื่อ{what_th}ต้องไม่ว่าง ไม่มีช่องว่าง และยาวไม่เกิน {NAME_MAX} ตัวอักษร",
            f"the {what_en} name must be 1-{NAME_MAX} characters without spaces",
        )
    return name


def user_as_dict(user: User) -> dict:
    return {
        "name": user.name,
        "role": user.role,
        "province": user.province.name if user.province else None,
        "active": bool(user.active),
        "created_at": user.created_at.isoformat() if user.created_at else None,
    }


def token_as_dict(token: ApiToken) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "province": token.province.name if token.province else None,
        "revoked": bool(token.revoked),
        "created_at": token.created_at.isoformat() if token.created_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }


def list_users(core, *, offset: int = 0, limit: int | None = None) -> list[dict]:
    """Users by name; ``offset``/``limit`` for one page of the admin's list."""
    with core.sessions() as db:
        query = select(User).order_by(User.name).offset(offset).limit(limit)
        return [user_as_dict(u) for u in db.scalars(query)]


def count_users(core) -> int:
    with core.sessions() as db:
        return db.scalar(select(func.count(User.id))) or 0


def list_tokens(core) -> list[dict]:
    with core.sessions() as db:
        rows = db.scalars(select(ApiToken).order_by(ApiToken.revoked, ApiToken.id.desc()))
        return [token_as_dict(t) for t in rows]


def recent_account_events(core, limit: int = 20) -> list[dict]:
    with core.sessions() as db:
        rows = db.scalars(
            select(Event)
            .where(Event.event_type.in_(ACCOUNT_EVENTS))
            .order_by(Event.id.desc())
            .limit(limit)
        )
        return [ev.event_as_dict(e) for e in rows]


def create_user(
    core, name: str, role: str, password: str, province: str | None, *, agent: str
) -> dict:
    """A new account; an existing name is refused (changing one is :func:`change_user`)."""
    name = _check_name(name, "ผู้ใช้", "user")
    province = known_province(province)
    _check_role(role, province)
    _check_password(password)
    with core.sessions() as db:
        if db.scalar(select(User.id).where(User.name == name)) is not None:
            raise AccountError(
                409, "user_exists", f"มีผู้ใช้ชื่อ {name} อยู่แล้ว", f"a user named {name} exists"
            )
    auth.add_user(core, name, role, password, province, agent=agent)
    return get_user(core, name)


def get_user(core, name: str) -> dict:
    with core.sessions() as db:
        user = db.scalar(select(User).where(User.name == name))
        if user is None:
            raise AccountError(404, "no_user", f"ไม่พบผู้ใช้ {name}", f"no user {name}")
        return user_as_dict(user)


_UNSET = object()


def change_user(
    core,
    name: str,
    *,
    agent: str,
    role: str | None = None,
    province=_UNSET,
    password: str | None = None,
    active: bool | None = None,
) -> dict:
    """Change role, province, password or active; a change of any but ``active=True``
    ends the user's sessions (they sign in again under the new terms). One event names
    the old and new values (never the password itself)."""
    with core.transaction() as db:
        user = db.scalar(select(User).where(User.name == name))
        if user is None:
            raise AccountError(404, "no_user", f"ไม่พบผู้ใช้ {name}", f"no user {name}")
        old = user_as_dict(user)
        new_role = role if role is not None else user.role
        new_province = old["province"] if province is _UNSET else known_province(province)
        _check_role(new_role, new_province)
        if password is not None:
            _check_password(password)
        if name == agent and (active is False or (role is not None and role != "admin")):
            # the last door back in would be the command line: refuse it here instead
            raise AccountError(
                409,
                "own_account",
                "ปิดบัญชีหรือลดบทบาทของตนเองไม่ได้ ให้ผู้ดูแลคนอื่นทำ",
                "you cannot deactivate or demote your own account; ask another admin",
            )
        changes: dict = {}
        if new_role != user.role:
            changes["role"] = [user.role, new_role]
            user.role = new_role
        if new_province != old["province"]:
            changes["province"] = [old["province"], new_province]
            user.province_id = auth._province_id(db, new_province)
        if password is not None:
            changes["password"] = True  # that it changed; never the value
            user.password_hash = auth.hash_password(password)
        if active is not None and active != bool(user.active):
            changes["active"] = [bool(user.active), active]
            user.active = active
        if not changes:
            return old
        if set(changes) != {"active"} or active is False:
            auth.end_sessions(db, user.id)
        ev.record(db, ev.USER_CHANGED, agent=agent, user=name, **changes)
        db.flush()
        db.refresh(user)
        return user_as_dict(user)


def create_token(core, name: str, role: str, province: str | None, *, agent: str) -> dict:
    """A new token: its row as a dict plus ``token``, the secret, shown this once."""
    name = _check_name(name, "โทเคน", "token")
    province = known_province(province)
    _check_role(role, province)
    token_id, secret = auth.issue_token(core, name, role, province, agent=agent)
    with core.sessions() as db:
        return token_as_dict(db.get(ApiToken, token_id)) | {"token": secret}


def revoke_token(core, token_id: int, *, agent: str, current_token_id: int | None = None) -> dict:
    with core.transaction() as db:
        token = db.get(ApiToken, token_id)
        if token is None:
            raise AccountError(404, "no_token", "ไม่พบโทเคนนี้", f"no token {token_id}")
        if token_id == current_token_id:
            raise AccountError(
                409,
                "own_token",
                "ยกเลิกโทเคนที่กำลังใช้เรียกอยู่ไม่ได้ ใช้โทเคนอื่นหรือหน้าเว็บ",
                "a token cannot revoke itself; use another token or the web page",
            )
        if not token.revoked:
            token.revoked = True
            ev.record(db, ev.TOKEN_REVOKED, agent=agent, token=token.name, token_id=token.id)
        db.flush()
        return token_as_dict(token)
