"""The second copy (KHLANG_REPLICA): every original kept in two places, each checked.

A new object is copied to the replica and read back there before its ingestion reports
done. When the replica cannot be reached the file is still ingested (the first copy is
safe) and its ``replicated`` event says ``pending``: `khlang replicate` catches up later,
and the admin page counts what is not yet replicated.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import and_, exists, select

from archive.objectstore import ObjectStore, StoreUnavailable, copy_object
from indexer.core import Khlang
from indexer.records import provenance as ev
from schemas.models import Document, Event

TOOL = "khlang replicate (sha256)"


def copy_and_check(source: ObjectStore, target: ObjectStore, sha256: str) -> None:
    """Copy one object and read it back from the target; raise when it is not whole there."""
    copy_object(source, target, sha256)
    state = target.check(sha256)
    if state != "ok":
        raise OSError(f"{target.location(sha256)}: {state} after copying")


# After the replica could not be reached, the next files of this process do not try again
# for a while: a silent network (timeouts, retries) would otherwise cost every file seconds.
RETRY_AFTER = 30.0  # seconds
_unreachable: dict[str, tuple[float, str]] = {}  # replica -> (until, reason)


def replicate_object(core: Khlang, sha256: str) -> tuple[str, str | None]:
    """("success", None) when the replica holds a checked copy, else ("pending", reason)."""
    if core.replica is None:
        return "success", None
    where = core.replica.describe()
    until, reason = _unreachable.get(where, (0.0, ""))
    if time.monotonic() < until:
        return "pending", f"{reason} (not tried again yet)"
    try:
        if core.replica.check(sha256) != "ok":
            copy_and_check(core.store, core.replica, sha256)
    except StoreUnavailable as exc:
        reason = f"{exc.__class__.__name__}: {exc}"
        _unreachable[where] = (time.monotonic() + RETRY_AFTER, reason)
        return "pending", reason
    except Exception as exc:  # credentials, full disk, a bad copy: the job goes on
        return "pending", f"{exc.__class__.__name__}: {exc}"
    _unreachable.pop(where, None)
    return "success", None


def record_replication(
    core: Khlang, document_id: int, sha256: str, *, agent: str, batch_id: int | None = None
) -> str:
    """Replicate a new document's object and record the outcome as its event."""
    outcome, reason = replicate_object(core, sha256)
    detail = {"replica": core.replica.describe()} if core.replica else {}
    if reason:
        detail["reason"] = reason
    with core.transaction() as session:
        ev.record_rows(
            session,
            [
                ev.row(
                    ev.REPLICATED,
                    agent=agent,
                    document_id=document_id,
                    batch_id=batch_id,
                    outcome=outcome,
                    tool=TOOL,
                    **detail,
                )
            ],
        )
    return outcome


def _replicated():
    return exists().where(
        and_(
            Event.document_id == Document.id,
            Event.event_type == ev.REPLICATED,
            Event.outcome == "success",
        )
    )


def not_yet_replicated(core: Khlang) -> list[tuple[int, str, str]]:
    """(id, sha256, filename) of documents whose second copy is not confirmed yet."""
    with core.sessions() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(Document.id, Document.sha256, Document.filename)
                .where(~_replicated())
                .order_by(Document.id)
            )
        ]


def catch_up(
    core: Khlang, *, agent: str, progress: Callable[[int, int], None] | None = None
) -> dict:
    """Copy every not-yet-replicated object to the replica (`khlang replicate`)."""
    pending = not_yet_replicated(core)
    copied, failed = 0, []
    for done, (document_id, sha256, filename) in enumerate(pending, start=1):
        outcome = record_replication(core, document_id, sha256, agent=agent)
        if outcome == "success":
            copied += 1
        else:
            failed.append({"document_id": document_id, "filename": filename, "sha256": sha256})
        if progress:
            progress(done, len(pending))
    return {"ok": not failed, "replicated": copied, "pending": failed}
