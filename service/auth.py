"""Accounts, roles, API tokens, sessions and CSRF: who is asking, and may they.

Every request gets ``g.principal``: a logged-in user (signed session cookie), a script with
an API token (``Authorization: Bearer TOKEN``; only the token's sha256 is stored), or an
anonymous visitor. Pages and the API ask the same questions of it (``can``, ``may_link``),
so every check is made on the server, whatever the page shows or hides.

Roles (seed 000's people and seed 001's approval chain):

- ``admin``: everything, including withdrawing a published document;
- ``strategy`` (the cluster's strategy office): reads everything, manages inventories, runs
  gap reports, links, and checks, approves and publishes documents;
- ``dsss`` (a provincial DSSS officer, the provider): uploads, and links documents to the
  inventory items of their own province; gap reports for their own province;
- ``viewer``: reads every document and the inventories;
- anonymous visitors: published documents only, and nothing at all of the rest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import delete, select, update

from indexer.records import provenance as ev
from schemas.models import ApiToken, Province, User, UserSession, utcnow
from service import login_throttle
from service.context import core
from service.i18n import current_lang

bp = Blueprint("auth", __name__)

ROLES = ("admin", "strategy", "dsss", "viewer")
ROLE_LABELS = {
    "admin": "ผู้ดูแลระบบ",
    "strategy": "สำนักงานยุทธศาสตร์",
    "dsss": "เจ้าหน้าที่ศูนย์ข้อมูล (DSSS)",
    "viewer": "ผู้อ่าน",
    None: "ผู้เยี่ยมชม",
}

# What each role may do. Province limits (dsss) are applied on top, where they matter.
PERMISSIONS = {
    "read_all": {"admin", "strategy", "dsss", "viewer"},  # see unpublished documents
    "upload": {"admin", "dsss"},
    "link": {"admin", "strategy", "dsss"},
    "edit": {"admin", "strategy", "dsss"},  # dsss: their own province's documents only
    "inventory_read": {"admin", "strategy", "dsss", "viewer"},
    "inventory_manage": {"admin", "strategy"},
    "gaps": {"admin", "strategy", "dsss"},
    "jobs_all": {"admin", "strategy"},
    "check": {"admin", "strategy"},
    "approve": {"admin", "strategy"},
    "publish": {"admin", "strategy"},
    "withdraw": {"admin"},
    "accounts": {"admin"},  # users and API tokens
}

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a wrong name costs as long as a
# wrong password and does not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "khl_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    kind: str  # user | token | anonymous
    name: str | None = None
    role: str | None = None
    province_id: int | None = None
    province: str | None = None
    id: int | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def agent(self) -> str:
        """How this principal is named in provenance events and batches."""
        return self.name if self.kind == "user" else f"token:{self.name}"

    def can(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]

    def may_act_for_province(self, province_id: int | None) -> bool:
        """dsss officers act for their own province only; other roles are not limited."""
        if self.role != "dsss":
            return True
        return province_id is not None and province_id == self.province_id

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role or "")


ANONYMOUS = Principal("anonymous")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def load_principal() -> None:
    """before_request: decide who is asking (token first, then the session)."""
    g.principal = ANONYMOUS
    g.auth_error = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            g.auth_error = "bad_authorization"
            return
        digest = token_digest(token.strip())
        with core().sessions() as db:
            row = db.scalar(
                select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked.is_(False))
            )
            if row is None:
                g.auth_error = "bad_token"
                return
            g.principal = _principal("token", row)
        _touch_token(row.id, row.last_used_at)
        return
    uid, sid = session.get("uid"), session.get("sid")
    if uid is None:
        return
    with core().sessions() as db:
        user = db.get(User, uid)
        known = db.get(UserSession, sid) if isinstance(sid, str) else None
        if (
            user is None
            or not user.active
            or known is None
            or known.user_id != user.id
            or session.get("pw") != _password_stamp(user)
        ):
            # Ended by the server (logout, a new password or role, deactivation): a copy
            # of the cookie kept from before is worth nothing now.
            session.clear()
            return
        g.principal = _principal("user", user)


# A script calling many times a second must not write a row each time: "last used" is
# kept to the minute, which is all the admin's token list needs.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def _touch_token(token_id: int, last_used_at) -> None:
    now = utcnow()
    if last_used_at is not None:
        if last_used_at.tzinfo is None:  # SQLite gives naive datetimes back
            last_used_at = last_used_at.replace(tzinfo=now.tzinfo)
        if now - last_used_at < TOKEN_USE_RESOLUTION:
            return
    with core().transaction() as db:
        db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def _principal(kind: str, row: User | ApiToken) -> Principal:
    """A user or a token: both have a name, a role and (dsss) a province."""
    province = row.province.name if row.province else None
    return Principal(kind, row.name, row.role, row.province_id, province, row.id)


def _password_stamp(user: User) -> str:
    # A password change (new hash) ends every session that was opened with the old one.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


# --- CSRF -------------------------------------------------------------------------------------

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    """Unsafe requests that ride on the session cookie must carry the session's token.

    CSRF borrows the authority a browser adds by itself: a logged-in session cookie.
    Requests with an API token carry none (the browser never adds the header), and neither
    do API requests without a logged-in session, so a script may call the open API
    (POST /api/reuse) without one. Forms outside /api/, the login form above all, keep
    the check: a forged login would sign the victim in as the attacker."""
    if request.method not in UNSAFE or g.principal.kind == "token":
        return True
    if is_api_request() and not g.principal.authenticated:
        return True
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    return bool(expected and sent and hmac.compare_digest(expected, sent))


# --- decorators -------------------------------------------------------------------------------


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.principal.authenticated:
            if is_api_request():
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def permission_required(action: str):
    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not g.principal.can(action):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


# --- pages ------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login is a phishing aid. Without one,
    the user lands on their role's home page (their day's work), and so they do from the
    menu's login link on the bare search page, which names "/" as where to go back."""
    if not target or target.rstrip("?") == "/":
        return url_for("home.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.home")
    return target


def authenticate(name: str, password: str) -> User | None:
    with core().transaction() as db:
        user = db.scalar(select(User).where(User.name == name))
        if user is None or not user.active:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user


def _login_limits() -> login_throttle.Limits:
    return login_throttle.Limits.from_config(current_app.config)


def _throttled(name: str, address: str):
    """The 429 answer when this address may not try this account now, else None."""
    limits = _login_limits()
    with core().sessions() as db:
        wait = login_throttle.retry_after(db, limits, name, address)
    if wait is None:
        return None
    thai, english = login_throttle.message(wait)
    page = render_template(
        "login.html",
        error=english if current_lang() == "en" else thai,
        next=request.values.get("next", ""),
    )
    return page, 429, {"Retry-After": str(wait)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()[:255]
        password = request.form.get("password") or ""
        address = (request.remote_addr or "unknown")[:64]
        throttled = _throttled(name, address)
        if throttled is not None:
            return throttled
        user = authenticate(name, password)
        if user is not None:
            with core().transaction() as db:
                login_throttle.forget_account(db, name)
                sid = _open_session(db, user.id)
            session.clear()  # a fresh session: no fixation across the login
            session.permanent = True
            session["uid"] = user.id
            session["sid"] = sid
            session["pw"] = _password_stamp(user)
            csrf_token()
            return redirect(_safe_next(request.form.get("next")))
        with core().transaction() as db:
            login_throttle.record_failure(db, _login_limits(), name, address)
        error = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
    status = 401 if error else 200
    return (
        render_template("login.html", error=error, next=request.values.get("next", "")),
        status,
    )


def _open_session(db, user_id: int) -> str:
    """A new server-side session; sessions past their lifetime are forgotten meanwhile."""
    lifetime = current_app.permanent_session_lifetime
    db.execute(delete(UserSession).where(UserSession.created_at < utcnow() - lifetime))
    sid = secrets.token_urlsafe(32)
    db.add(UserSession(id=sid, user_id=user_id))
    return sid


@bp.post("/logout")
def logout():
    """Logout ends this session only (the user stays logged in on their other browsers);
    ``khlang users logout NAME`` ends all of them, and so does a new password, role or
    province, or ``khlang users disable``."""
    sid = session.get("sid")
    if isinstance(sid, str):
        with core().transaction() as db:
            db.execute(delete(UserSession).where(UserSession.id == sid))
    session.clear()
    return redirect(url_for("pages.search.search"))


# --- accounts (used by the CLI) ---------------------------------------------------------------


def check_role(role: str, province: str | None) -> None:
    if role not in ROLES:
        raise ValueError(f"ไม่รู้จักบทบาท {role} (unknown role {role!r}; one of {', '.join(ROLES)})")
    if role == "dsss" and not province:
        raise ValueError("บทบาท dsss ต้องระบุจังหวัดด้วย --province (a dsss account needs --province)")


def _province_id(db, province: str | None) -> int | None:
    if not province:
        return None
    row = db.scalar(select(Province).where(Province.name == province))
    if row is None:
        row = Province(name=province)
        db.add(row)
        db.flush()
    return row.id


def end_sessions(db, user_id: int) -> None:
    """Every session cookie the user holds stops working at its next request."""
    db.execute(delete(UserSession).where(UserSession.user_id == user_id))


def disable_user(core, name: str, *, agent: str = "khlang-cli") -> bool:
    """Deactivate an account and end its sessions; False when there is no such user."""
    with core.transaction() as db:
        user = db.scalar(select(User).where(User.name == name))
        if user is None:
            return False
        if user.active:
            ev.record(db, ev.USER_CHANGED, agent=agent, user=name, active=[True, False])
        user.active = False
        end_sessions(db, user.id)
        return True


def add_user(
    core,
    name: str,
    role: str,
    password: str,
    province: str | None = None,
    *,
    agent: str = "khlang-cli",
) -> User:
    check_role(role, province)
    with core.transaction() as db:
        province_id = _province_id(db, province)
        user = db.scalar(select(User).where(User.name == name))
        event = ev.USER_ADDED
        if user is None:
            user = User(name=name, role=role, province_id=province_id, active=True)
            db.add(user)
        else:
            # A new password, role or province: sessions opened under the old ones end.
            end_sessions(db, user.id)
            event = ev.USER_CHANGED
        user.role, user.province_id, user.active = role, province_id, True
        user.password_hash = hash_password(password)
        db.flush()
        ev.record(db, event, agent=agent, user=name, role=role, province=province, password=True)
        return user


def create_token(
    core, name: str, role: str, province: str | None = None, *, agent: str = "khlang-cli"
) -> str:
    """A new API token (returned once; only its hash is kept). A dsss token acts for
    ``province``, like a dsss officer."""
    return issue_token(core, name, role, province, agent=agent)[1]


def issue_token(
    core, name: str, role: str, province: str | None = None, *, agent: str = "khlang-cli"
) -> tuple[int, str]:
    """:func:`create_token`, with the new token's id (the handle to revoke it by)."""
    check_role(role, province)
    token = new_token()
    with core.transaction() as db:
        row = ApiToken(
            name=name,
            role=role,
            token_hash=token_digest(token),
            province_id=_province_id(db, province),
        )
        db.add(row)
        db.flush()
        ev.record(
            db, ev.TOKEN_CREATED, agent=agent, token=name, token_id=row.id, role=role,
            province=province,
        )  # fmt: skip
        return row.id, token
