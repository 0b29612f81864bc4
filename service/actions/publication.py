"""Seed 001's approval chain: the provider delivers, a supervisor checks, the approver
approves, an officer publishes. A document moves internal → checked → approved →
published one step at a time; each step is a ``publication`` provenance event naming its
agent, and the approver must not be the person who checked (four eyes, as in the form's
separate signature blocks). An administrator may withdraw a document back to internal.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from indexer.core import Khlang
from indexer.records import provenance as ev
from schemas.models import Document, Event, utcnow
from service import access
from service.actions.documents import document_not_found
from service.context import core
from service.errors import KhlangError, http_status

STATES = ("internal", "checked", "approved", "published")
STATE_LABELS = {
    "internal": "ภายใน",
    "checked": "ตรวจสอบแล้ว",
    "approved": "อนุมัติแล้ว",
    "published": "เผยแพร่แล้ว",
}
# action -> (from states, to state); the permission has the action's name.
ACTIONS = {
    "check": (("internal",), "checked"),
    "approve": (("checked",), "approved"),
    "publish": (("approved",), "published"),
    "withdraw": (("checked", "approved", "published"), "internal"),
}
ACTION_LABELS = {
    "check": "ตรวจสอบ",
    "approve": "อนุมัติ",
    "publish": "เผยแพร่",
    "withdraw": "ถอนกลับเป็นภายใน",
}


class TransitionError(KhlangError):
    """A step the document's state (or the four-eyes rule) does not allow."""


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


def take_step(document_id: int, action: str, note: str = "") -> dict:
    """One step for the asking principal, with the API's checks in its order: logged in,
    a known action, a document they can see, a role that may take the step."""
    if not g.principal.authenticated:
        raise http_status(401)
    if action not in ACTIONS:
        raise KhlangError(
            400, "bad_action", "ไม่รู้จักขั้นตอนนี้", "action must be one of " + ", ".join(ACTIONS)
        )
    with core().sessions() as session:
        if access.visible_document(session, document_id) is None:
            raise document_not_found()
    if not g.principal.can(action):
        raise KhlangError(
            403, "forbidden", "บทบาทของท่านทำขั้นตอนนี้ไม่ได้", f"your role may not {action}"
        )
    return transition(core(), document_id, action, agent=g.principal.agent, note=note)
