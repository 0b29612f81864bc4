"""Login throttling, by address and by account, counted in the database.

The counts live in the ``login_failures`` table rather than in a worker's memory: every
gunicorn worker, and every machine behind one proxy, must see the same counts, and the
archive's database is the one store they already share (no Redis to run for this alone).

Two limits, on purpose of different strength:

- by address (``KHLANG_LOGIN_ADDRESS_LIMIT`` failures within ``KHLANG_LOGIN_WINDOW``
  seconds): the strict one. A guesser is refused until their oldest failure leaves the
  window, whatever name they try;
- by account (``KHLANG_LOGIN_ACCOUNT_LIMIT`` failures within the window): it only slows.
  Past the limit the account takes one attempt per ``KHLANG_LOGIN_ACCOUNT_DELAY`` seconds,
  so that guessing on someone's name from many addresses buys a guess every few seconds,
  and the real user waits at most that delay, never a long lock-out.

While throttled, the password is not checked at all (a right one is refused too): a
throttle that still said "right" would leave guessing as fast as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from schemas.config import default
from schemas.models import LoginFailure, utcnow

LOGIN_THROTTLED = "login-throttled"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What the settings say (their defaults and meanings are in schemas.config)."""

    window: int = default("KHLANG_LOGIN_WINDOW")
    address_limit: int = default("KHLANG_LOGIN_ADDRESS_LIMIT")
    account_limit: int = default("KHLANG_LOGIN_ACCOUNT_LIMIT")
    account_delay: int = default("KHLANG_LOGIN_ACCOUNT_DELAY")

    @classmethod
    def from_config(cls, config) -> Limits:
        """From the app's settings (create_app reads them from the environment)."""
        return cls(**{name: int(config[key]) for name, key in SETTINGS.items()})


# Limits field -> setting (app config key and environment variable).
SETTINGS = {
    "window": "KHLANG_LOGIN_WINDOW",
    "address_limit": "KHLANG_LOGIN_ADDRESS_LIMIT",
    "account_limit": "KHLANG_LOGIN_ACCOUNT_LIMIT",
    "account_delay": "KHLANG_LOGIN_ACCOUNT_DELAY",
}


def _aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back (stored as UTC).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((_aware(moment) - now).total_seconds() + 0.999))


def retry_after(db, limits: Limits, name: str, address: str) -> int | None:
    """Seconds until this address may try this account again, or None when it may now."""
    now = utcnow()
    since = now - timedelta(seconds=limits.window)
    waits = []
    by_address = db.scalars(
        select(LoginFailure.at)
        .where(LoginFailure.address == address, LoginFailure.at > since)
        .order_by(LoginFailure.at.desc())
        .limit(limits.address_limit)
    ).all()
    if len(by_address) >= limits.address_limit:
        # Free again when the oldest of the last `limit` failures leaves the window.
        waits.append(_seconds_until(by_address[-1] + timedelta(seconds=limits.window), now))
    count, last = db.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.name == name, LoginFailure.at > since
        )
    ).one()
    if count >= limits.account_limit and last is not None:
        free_at = _aware(last) + timedelta(seconds=limits.account_delay)
        if free_at > now:
            waits.append(_seconds_until(free_at, now))
    return max(waits) if waits else None


def record_failure(db, limits: Limits, name: str, address: str) -> None:
    """Count one failure; the failure that reaches a limit leaves an event (one per
    throttling, not one per refused request, so a flood cannot flood the events)."""
    from indexer.records import provenance

    now = utcnow()
    since = now - timedelta(seconds=limits.window)
    db.execute(delete(LoginFailure).where(LoginFailure.at <= since))  # forget old ones
    db.add(LoginFailure(name=name, address=address, at=now))
    db.flush()
    by_address = db.scalar(
        select(func.count()).where(LoginFailure.address == address, LoginFailure.at > since)
    )
    by_account = db.scalar(
        select(func.count()).where(LoginFailure.name == name, LoginFailure.at > since)
    )
    reached = [
        scope
        for scope, count, limit in (
            ("address", by_address, limits.address_limit),
            ("account", by_account, limits.account_limit),
        )
        if count == limit
    ]
    for scope in reached:
        log.warning("login throttled by %s: name=%r address=%s", scope, name, address)
        provenance.record(
            db,
            LOGIN_THROTTLED,
            agent=f"login:{address}",
            outcome="refused",
            scope=scope,
            name=name,
            address=address,
            failures=limits.address_limit if scope == "address" else limits.account_limit,
            window_seconds=limits.window,
        )


def forget_account(db, name: str) -> None:
    """A right password ends the account's slow-down (not the address's: one's own
    account must not reset a guesser's count)."""
    db.execute(delete(LoginFailure).where(LoginFailure.name == name))


def message(seconds: int) -> tuple[str, str]:
    """Thai and English: how long to wait."""
    if seconds >= 120:
        minutes = (seconds + 59) // 60
        return (
            f"ลองเข้าสู่ระบบผิดหลายครั้งเกินไป กรุณาลองใหม่ในอีก {minutes} นาที",
            f"too many failed logins; try again in {minutes} minutes",
        )
    return (
        f"ลองเข้าสู่ระบบผิดหลายครั้งเกินไป กรุณาลองใหม่ในอีก {seconds} วินาที",
        f"too many failed logins; try again in {seconds} seconds",
    )
