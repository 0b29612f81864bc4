"""Fixity: re-hash every preserved object and compare with what was recorded at ingestion."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from indexer import provenance as ev
from indexer.core import Khlang
from indexer.diskspace import is_no_space
from schemas.models import Document, Event

TOOL = "khlang verify (sha256)"


def verify(core: Khlang, *, agent: str, progress: Callable[[int, int], None] | None = None) -> dict:
    """Check every document's object; name missing, corrupt and orphan files.

    Records one fixity-check event per document. ``ok`` is False when anything failed.
    """
    with core.sessions() as session:
        rows = session.execute(select(Document.id, Document.sha256, Document.filename)).all()
    known = {sha for _, sha, _ in rows}
    missing, corrupt = [], []
    outcomes: list[tuple[int, str]] = []
    for done, (document_id, sha256, filename) in enumerate(rows, start=1):
        state = core.store.check(sha256)
        outcomes.append((document_id, state))
        if state == "missing":
            missing.append({"document_id": document_id, "sha256": sha256, "filename": filename})
        elif state == "corrupt":
            corrupt.append({"document_id": document_id, "sha256": sha256, "filename": filename})
        if progress:
            progress(done, len(rows))
    orphans = [
        {"sha256": name, "path": str(path), "misplaced": path != core.store.path_for(name)}
        for name, path in core.store.iter_objects()
        if name not in known or path != core.store.path_for(name)
    ]
    recorded = True
    try:
        with core.transaction() as session:
            session.add_all(
                Event(
                    document_id=document_id,
                    event_type=ev.FIXITY_CHECK,
                    agent=agent,
                    outcome="success" if state == "ok" else "failure",
                    tool=TOOL,
                    detail={"result": state},
                )
                for document_id, state in outcomes
            )
    except Exception as exc:
        if not is_no_space(exc):
            raise
        recorded = False  # the check itself stands: say it, rather than lose it
    return {
        "events_recorded": recorded,
        # An orphan (object with no document) is what a crash between the store and the
        # database leaves: harmless, adopted by the next ingestion of its bytes, but the
        # operator must look at it, so it fails the check too.
        "ok": not (missing or corrupt or orphans),
        "checked": len(rows),
        "missing": missing,
        "corrupt": corrupt,
        "orphans": orphans,
    }


# Objects checked whole before a download, by file identity: a player seeking through a
# 2 GB video asks for many ranges, and re-hashing the whole file for each would cost
# seconds. Any write to the file changes its ctime, so a changed object is hashed again;
# silent decay of the disk (no ctime change) is caught within VERIFIED_FOR seconds.
VERIFIED_FOR = 600.0
_verified: dict[str, tuple] = {}
_verified_lock = threading.Lock()
DOWNLOAD_TOOL = "khlang download (sha256 before serving)"


def check_before_serving(core: Khlang, document_id: int, sha256: str, *, requested_by: str) -> str:
    """'ok', 'missing' or 'corrupt' for the object a download is about to serve; a corrupt
    one gets a failed fixity-check event on its document (``verify`` then names it)."""
    path = core.store.path_for(sha256)
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    identity = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    with _verified_lock:
        seen = _verified.get(sha256)
    if seen is not None and seen[0] == identity and time.monotonic() - seen[1] < VERIFIED_FOR:
        return "ok"
    state = core.store.check(sha256)
    if state == "ok":
        with _verified_lock:
            if len(_verified) > 1024:
                _verified.clear()
            _verified[sha256] = (identity, time.monotonic())
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
