"""Seed 001's approval chain: the provider delivers, a supervisor checks, the approver
approves, an officer publishes. A document moves internal → checked → approved →
published one step at a time; each step is a ``publication`` provenance event naming its
agent, and the approver must not be the person who checked (four eyes, as in the form's
separate signature blocks). An administrator may withdraw a document back to internal.
"""

from __future__ import annotations

from sqlalchemy import select

from indexer.core import Khlang
from indexer.records import provenance as ev
from schemas.labels import PUBLICATION_ACTION_TH as ACTION_LABELS
from schemas.labels import PUBLICATION_STATE_TH as STATE_LABELS
from schemas.models import Document, Event, utcnow

STATES = ("internal", "checked", "approved", "published")
# action -> (from states, to state); the permission has the action's name.
ACTIONS = {
    "check": (("internal",), "checked"),
    "approve": (("checked",), "approved"),
    "publish": (("approved",), "published"),
    "withdraw": (("checked", "approved", "published"), "internal"),
}


class TransitionError(Exception):
    def __init__(self, status: int, code: str, message_th: str, message_en: str):
        super().__init__(message_en)
        self.status, self.code, self.message_th, self.message_en = (
            status,
            code,
            message_th,
            message_en,
        )


def next_actions(state: str) -> list[str]:
    return [name for name, (sources, _) in ACTIONS.items() if state in sources]


def _last_checker(session, document_id: int) -> str | None:
    events = session.scalars(
        select(Event)
        .where(Event.document_id == document_id, Event.event_type == ev.PUBLICATION)
        .order_by(Event.id.desc())
    )
    for event in events:
        if (event.detail or {}).get("to") == "checked":
            return event.agent
    return None


def transition(core: Khlang, document_id: int, action: str, *, agent: str, note: str = "") -> dict:
    """Apply one step; the caller has checked the role. Returns the new state and event."""
    if action not in ACTIONS:
        raise TransitionError(400, "bad_action", "ไม่รู้จักขั้นตอนนี้", f"unknown action {action!r}")
    sources, target = ACTIONS[action]
    with core.transaction() as session:
        document = session.get(Document, document_id, with_for_update=True)
        if document is None:
            raise TransitionError(404, "not_found", "ไม่พบเอกสาร", "document not found")
        current = document.publication
        if current not in sources:
            raise TransitionError(
                409,
                "invalid_transition",
                f"เอกสารอยู่ในสถานะ{STATE_LABELS.get(current, current)} จึง"
                f"{ACTION_LABELS[action]}ไม่ได้",
                f"a document that is {current} cannot be {action}ed",
            )
        if action == "approve" and _last_checker(session, document_id) == agent:
            raise TransitionError(
                409,
                "same_agent",
                "ผู้อนุมัติต้องไม่ใช่ผู้ตรวจสอบคนเดียวกัน",
                "the approver must not be the person who checked",
            )
        document.publication = target
        document.updated_at = utcnow()
        # Marked unindexed in the same commit: if the index write below fails, start-up
        # repair rewrites it, and visitors' pages check the database state anyway.
        document.indexed_version = None
        event = ev.record(
            session,
            ev.PUBLICATION,
            agent=agent,
            document=document,
            tool="khlang web",
            action=action,
            **{"from": current, "to": target},
            **({"note": note} if note else {}),
        )
        session.flush()
        result = {
            "document_id": document.id,
            "publication": target,
            "event": ev.event_as_dict(event),
        }
    from indexer.ingest.indexing import reindex_quietly

    reindex_quietly(core, [document_id], agent=agent)
    return result
