"""Fixity: re-hash every preserved object and compare with what was recorded at ingestion."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from indexer import provenance as ev
from indexer.core import Khlang
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
        {"sha256": name, "path": str(location), "misplaced": core.store.misplaced(name, location)}
        for name, location in core.store.iter_objects()
        if name not in known or core.store.misplaced(name, location)
    ]
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
    return {
        # An orphan (object with no document) is what a crash between the store and the
        # database leaves: harmless, adopted by the next ingestion of its bytes, but the
        # operator must look at it, so it fails the check too.
        "ok": not (missing or corrupt or orphans),
        "checked": len(rows),
        "missing": missing,
        "corrupt": corrupt,
        "orphans": orphans,
    }
