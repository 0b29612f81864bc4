"""Fixity: re-hash preserved objects and compare with what was recorded at ingestion.

A run checks the documents least recently checked first and may stop after a number of
objects or a length of time, so that a nightly run covers a large store over a cycle. With
a replica, both copies are checked and a missing or corrupt one is rewritten from the other
(a ``repaired`` event). Every check is an event; every run leaves one ``FixityRun`` report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from sqlalchemy import case, func, select

from indexer.core import Khlang
from indexer.preserve.replication import copy_and_check
from indexer.preserve.searchable_rebuild import missing_copies
from indexer.records import provenance as ev
from indexer.runtime.diskspace import is_no_space
from schemas.models import Document, Event, FixityRun, utcnow

TOOL = "khlang verify (sha256)"
EVENTS_PER_COMMIT = 500


def _least_recently_checked(core: Khlang) -> list[tuple[int, str, str]]:
    """Every document in the order a run checks them: those whose last check failed (so a
    failure stays reported until it is mended), then never checked, then the oldest check."""
    last_id = (
        select(func.max(Event.id).label("id"))
        .where(Event.event_type == ev.FIXITY_CHECK)
        .group_by(Event.document_id)
        .subquery()
    )
    last = (
        select(Event.document_id, Event.at, Event.outcome)
        .join(last_id, last_id.c.id == Event.id)
        .subquery()
    )
    failed_first = case((last.c.outcome == "failure", 0), else_=1)
    with core.sessions() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(Document.id, Document.sha256, Document.filename)
                .outerjoin(last, last.c.document_id == Document.id)
                .order_by(failed_first, last.c.at.asc().nulls_first(), Document.id)
            )
        ]


def _check_copies(core: Khlang, sha256: str) -> tuple[dict[str, str], dict[str, str]]:
    """The state of each copy, and the repairs made: {copy: state}, {copy: from-location}."""
    states = {"primary": core.store.check(sha256)}
    if core.replica is not None:
        try:
            states["replica"] = core.replica.check(sha256)
        except Exception as exc:  # an unreachable replica is reported, not repaired
            states["replica"] = f"unreachable: {exc.__class__.__name__}"
    repairs: dict[str, str] = {}
    stores = {"primary": core.store, "replica": core.replica}
    good = [copy for copy, state in states.items() if state == "ok"]
    for copy, state in states.items():
        if state in ("missing", "corrupt") and good:
            source = stores[good[0]]
            try:
                copy_and_check(source, stores[copy], sha256)
            except Exception:
                continue  # still bad: reported as a failure below
            repairs[copy] = source.location(sha256)
    return states, repairs


def verify(
    core: Khlang,
    *,
    agent: str,
    progress: Callable[[int, int], None] | None = None,
    max_objects: int | None = None,
    max_seconds: float | None = None,
) -> dict:
    """Check documents' objects (all of them, or as many as the limits allow, least
    recently checked first); name missing, corrupt and (on a full run) orphan files.

    ``ok`` is False when anything is still wrong after the repairs."""
    started, started_at = time.monotonic(), utcnow()
    everything = _least_recently_checked(core)
    rows = everything if max_objects is None else everything[:max_objects]
    missing, corrupt, repaired = [], [], []
    events: list[dict] = []
    checked = 0
    recorded = True
    for document_id, sha256, filename in rows:
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            break
        states, repairs = _check_copies(core, sha256)
        checked += 1
        entry = {"document_id": document_id, "sha256": sha256, "filename": filename}
        for copy, state in states.items():
            where = {"copy": copy, "path": _location(core, copy, sha256)}
            if copy in repairs:
                repaired.append({**entry, **where, "was": state, "from": repairs[copy]})
                events.append(
                    ev.row(
                        ev.REPAIRED,
                        agent=agent,
                        document_id=document_id,
                        tool=TOOL,
                        copy=copy,
                        was=state,
                        source=repairs[copy],
                        target=where["path"],
                    )
                )
            elif state == "missing":
                missing.append({**entry, **where})
            elif state != "ok":
                corrupt.append({**entry, **where, "reason": state})
        bad = {copy: state for copy, state in states.items() if copy not in repairs}
        events.append(
            ev.row(
                ev.FIXITY_CHECK,
                agent=agent,
                document_id=document_id,
                outcome="success" if all(s == "ok" for s in bad.values()) else "failure",
                tool=TOOL,
                result=states["primary"],
                **({"copies": states, "repaired": sorted(repairs)} if core.replica else {}),
            )
        )
        if len(events) >= EVENTS_PER_COMMIT:
            # A run stopped by its timer or killed keeps what it did.
            recorded &= _record(core, events)
        if progress:
            progress(checked, len(rows))
    complete = checked == len(everything)
    # Listing every object of a large store is a long job of its own: a run cut short by
    # its limits leaves the orphan search to the next full run.
    orphans = _orphans(core) if complete else []
    # Searchable copies are derived, not preserved: a missing one is named (and made again
    # by `khlang verify --rebuild-copies` or `khlang derive searchable`), never a failure.
    copies_missing = missing_copies(core) if complete else []
    recorded &= _record(core, events)
    report = {
        # An orphan (object with no document) is what a crash between the store and the
        # database leaves: harmless, adopted by the next ingestion of its bytes, but the
        # operator must look at it, so it fails the check too.
        "ok": not (missing or corrupt or orphans),
        "checked": checked,
        "total": len(everything),
        "complete": complete,
        "missing": missing,
        "corrupt": corrupt,
        "repaired": repaired,
        "orphans": orphans,
        "copies_missing": copies_missing,
    }
    report["run_id"] = _record_run(core, report, agent, started_at) if recorded else None
    report["events_recorded"] = report["run_id"] is not None
    return report


def _record(core: Khlang, events: list[dict]) -> bool:
    """Record the run's events; False when the disk is full: the check itself stands, and
    saying so beats losing it."""
    try:
        with core.transaction() as session:
            ev.record_rows(session, events)
    except Exception as exc:
        if not is_no_space(exc):
            raise
        return False
    finally:
        events.clear()
    return True


def _location(core: Khlang, copy: str, sha256: str) -> str:
    return (core.store if copy == "primary" else core.replica).location(sha256)


def _orphans(core: Khlang) -> list[dict]:
    with core.sessions() as session:
        known = set(session.scalars(select(Document.sha256)))
    return [
        {"sha256": name, "path": str(location), "misplaced": core.store.misplaced(name, location)}
        for name, location in core.store.iter_objects()
        if name not in known or core.store.misplaced(name, location)
    ]


def _record_run(core: Khlang, report: dict, agent: str, started_at) -> int | None:
    try:
        return _insert_run(core, report, agent, started_at)
    except Exception as exc:
        if not is_no_space(exc):
            raise
        return None


def _insert_run(core: Khlang, report: dict, agent: str, started_at) -> int:
    failures = len(report["missing"]) + len(report["corrupt"]) + len(report["orphans"])
    with core.transaction() as session:
        run = FixityRun(
            started_at=started_at,
            finished_at=utcnow(),
            agent=agent,
            checked=report["checked"],
            failures=failures,
            repaired=len(report["repaired"]),
            complete=report["complete"],
            ok=report["ok"],
            report={k: report[k] for k in ("missing", "corrupt", "repaired", "orphans", "total")},
        )
        session.add(run)
        session.flush()
        return run.id


def latest_run(core: Khlang) -> FixityRun | None:
    with core.sessions() as session:
        return session.scalars(select(FixityRun).order_by(FixityRun.id.desc()).limit(1)).first()


# Objects checked whole before a download, by file identity: a player seeking through a
# 2 GB video asks for many ranges, and re-hashing the whole file for each would cost
# seconds. Any write to the file changes its ctime, so a changed object is hashed again;
# silent decay of the disk (no ctime change) is caught within VERIFIED_FOR seconds.
# TTLCache forgets an entry after that time, and the least recently used past 1024.
VERIFIED_FOR = 600.0
_verified: TTLCache = TTLCache(maxsize=1024, ttl=VERIFIED_FOR)
_verified_lock = threading.Lock()  # TTLCache is not thread-safe; requests are threads
DOWNLOAD_TOOL = "khlang download (sha256 before serving)"


def check_before_serving(core: Khlang, document_id: int, sha256: str, *, requested_by: str) -> str:
    """'ok', 'missing' or 'corrupt' for the object a download is about to serve; a corrupt
    one gets a failed fixity-check event on its document (``verify`` then names it)."""
    from archive.objectstore import S3ObjectStore

    if isinstance(core.store, S3ObjectStore):
        # The bucket checked the SHA-256 sent with each write, and a read would fetch the
        # whole object once more: bucket decay is verify's (it reads every object back).
        return "ok"
    path = core.store.path_for(sha256)
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    identity = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    with _verified_lock:
        seen = _verified.get(sha256)
    if seen == identity:
        return "ok"
    state = core.store.check(sha256)
    if state == "ok":
        with _verified_lock:
            _verified[sha256] = identity
        return state
    if state == "corrupt":
        with core.transaction() as session:
            session.add(
                Event(
                    document_id=document_id,
                    event_type=ev.FIXITY_CHECK,
                    agent="khlang",
                    outcome="failure",
                    tool=DOWNLOAD_TOOL,
                    detail={"result": state, "during": "download", "requested_by": requested_by},
                )
            )
    return state
