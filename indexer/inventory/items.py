"""The inventory as it stands: finding items by code, listing them, retiring them, their
due dates, and the process deadlines of a fiscal year.

An item the list no longer has (a renamed or dropped deliverable) is retired
(``retire_items``, or ``import_inventory(prune=True)`` for the projects of the file): it
leaves the gap report and the suggestions but keeps its links and history; each retirement
is a provenance event with its agent, and a later list that has it again restores it.

Process deadlines (seed 000): the inventory goes to the province's DSSS officer by
31 October and the DSSS officers send the gathered lists to the cluster strategy office by
6 November. Seed 000 gives these as ๓๑ ตุลาคม ๒๕๖๒ and ๖ พฤศจิกายน ๒๕๖๒ for fiscal year
๒๕๖๒, i.e. in the calendar year the fiscal year *ends* (FY 2562 runs 1 Oct 2561 - 30 Sep
2562), one month after it closes: the lists are made "when the activities are done". The
defaults follow the seed literally: 31 Oct / 6 Nov of B.E. year == the fiscal year. They
are configurable per fiscal year (``set_process_deadlines``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.inventory.keys import normalise_code, normalise_name
from indexer.inventory.rows import parse_due_date
from indexer.records import provenance as ev
from indexer.thai.dates import BE_OFFSET, format_thai_date, parse_thai_date
from schemas.models import Document, DocumentLink, InventoryItem, ProcessDeadline, Project, utcnow

# --- reading the inventory -------------------------------------------------------------------


def _session_of(session_or_core) -> tuple[Session, bool]:
    if isinstance(session_or_core, Session):
        return session_or_core, False
    return session_or_core.sessions(), True


def get_item(session: Session, code: str) -> InventoryItem | None:
    """The item with this code as typed (any case, Thai or Arabic digits), retired or not."""
    return session.scalar(select(InventoryItem).where(InventoryItem.code == normalise_code(code)))


class ItemRetired(LookupError):
    pass


class LinkError(LookupError):
    """No such document or item to link or to set a due date on."""


def resolve_item_code(session: Session, code: str) -> str:
    """The stored code of the item to deliver against, from the code as typed
    ('inv-๒๕๖๒-k7m2qx' -> 'INV-2562-K7M2QX'). LookupError when there is no such item;
    ItemRetired (a LookupError) when it was retired."""
    item = get_item(session, code)
    if item is None:
        raise LookupError(f"ไม่พบรายการรหัส {code} (no inventory item with code {code})")
    if item.retired_at is not None:
        raise ItemRetired(f"รายการ {item.code} ถูกยกเลิกแล้ว (item {item.code} is retired)")
    return item.code


def item_as_dict(item: InventoryItem, *, received: int | None = None) -> dict:
    project = item.project
    data = {
        "code": item.code,
        "fiscal_year": project.fiscal_year,
        "cluster": project.cluster.name if project.cluster else None,
        "province": item.province.name if item.province else None,
        "project_code": project.code,
        "project": project.name,
        "activity": item.activity.name if item.activity else None,
        "host_agency": item.agency.name if item.agency else None,
        "deliverable": item.title,
        "type": item.item_type,
        "quantity": item.quantity,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "due_date_th": format_thai_date(item.due_date, "short") if item.due_date else None,
        "retired_at": item.retired_at.isoformat() if item.retired_at else None,
    }
    if received is not None:
        data["received"] = received
    return data


def list_items(
    session_or_core,
    fiscal_year: int | None = None,
    *,
    project: str | None = None,
    include_retired: bool = False,
) -> list[dict]:
    """The inventory as dicts (see ``item_as_dict``) with the count of active links;
    retired items only when asked."""
    session, close = _session_of(session_or_core)
    try:
        query = select(InventoryItem).join(Project, InventoryItem.project_id == Project.id)
        if not include_retired:
            query = query.where(InventoryItem.retired_at.is_(None))
        if fiscal_year is not None:
            query = query.where(Project.fiscal_year == fiscal_year)
        items = list(
            session.scalars(query.order_by(Project.fiscal_year, Project.name, InventoryItem.id))
        )
        if project:
            wanted = normalise_name(project)
            items = [i for i in items if wanted in normalise_name(i.project.name)]
        counts: dict[int, int] = {}
        if items:
            for item_id in session.scalars(
                select(DocumentLink.item_id).where(
                    DocumentLink.active.is_(True),
                    DocumentLink.item_id.in_([i.id for i in items]),
                )
            ):
                counts[item_id] = counts.get(item_id, 0) + 1
        return [item_as_dict(i, received=counts.get(i.id, 0)) for i in items]
    finally:
        if close:
            session.close()


# --- retiring items --------------------------------------------------------------------------


def _retire(
    session: Session, items: list[InventoryItem], *, agent: str, reason: str | None, tool: str
) -> list[str]:
    """Retire the items not retired yet, each with its provenance event; their codes."""
    done = []
    for item in items:
        if item.retired_at is not None:
            continue
        item.retired_at = utcnow()
        ev.record(
            session,
            ev.INVENTORY_RETIRED,
            agent=agent,
            tool=tool,
            item_code=item.code,
            item_title=item.title,
            project=item.project.name,
            reason=reason,
        )
        done.append(item.code)
    return done


def retire_items(
    core, codes: Iterable[str], *, agent: str, reason: str | None = None
) -> dict[str, list[str]]:
    """Withdraw items from the inventory (a renamed or dropped deliverable): they leave the
    gap report and the suggestions, keep their links and history, and come back if a later
    import lists them. -> {"retired", "already_retired", "not_found"} (codes)."""
    out: dict[str, list[str]] = {"retired": [], "already_retired": [], "not_found": []}
    with core.transaction() as session:
        items = []
        for code in codes:
            item = get_item(session, code)
            if item is None:
                out["not_found"].append(code)
            elif item.retired_at is not None:
                out["already_retired"].append(item.code)
            elif item not in items:
                items.append(item)
        out["retired"] = _retire(
            session, items, agent=agent, reason=reason, tool="khlang inventory retire"
        )
    return out


# --- process deadlines -----------------------------------------------------------------------


def default_deadlines(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """Seed 000: 31 Oct and 6 Nov of B.E. year == fiscal year (see the module notes)."""
    year = fiscal_year - BE_OFFSET
    return dt.date(year, 10, 31), dt.date(year, 11, 6)


def process_deadlines(session_or_core, fiscal_year: int) -> dict:
    session, close = _session_of(session_or_core)
    try:
        row = session.get(ProcessDeadline, fiscal_year)
    finally:
        if close:
            session.close()
    inventory_default, cluster_default = default_deadlines(fiscal_year)
    inventory = row.inventory_to_dsss if row and row.inventory_to_dsss else inventory_default
    cluster = row.dsss_to_cluster if row and row.dsss_to_cluster else cluster_default
    return {
        "fiscal_year": fiscal_year,
        "inventory_to_dsss": inventory,
        "dsss_to_cluster": cluster,
        "configured": {
            "inventory_to_dsss": bool(row and row.inventory_to_dsss),
            "dsss_to_cluster": bool(row and row.dsss_to_cluster),
        },
    }


def set_process_deadlines(
    core,
    fiscal_year: int,
    *,
    inventory_to_dsss: dt.date | str | None = None,
    dsss_to_cluster: dt.date | str | None = None,
) -> dict:
    """Set one fiscal year's deadlines (dates or Thai date strings); None keeps a value."""
    values = {}
    for name, value in (
        ("inventory_to_dsss", inventory_to_dsss),
        ("dsss_to_cluster", dsss_to_cluster),
    ):
        if value is None:
            continue
        parsed = parse_thai_date(value)
        if parsed is None:
            raise ValueError(f"อ่านวันที่ไม่ได้ (unreadable date): {value}")
        values[name] = parsed
    with core.transaction() as session:
        row = session.get(ProcessDeadline, fiscal_year)
        if row is None:
            row = ProcessDeadline(fiscal_year=fiscal_year)
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
    return process_deadlines(core, fiscal_year)


# --- due dates -------------------------------------------------------------------------------


def set_due_date(core, code: str, due, *, agent: str, document_id: int | None = None) -> dict:
    """Set an item's due date, typically from a deadline a letter sets (issue 7: deadlines
    are offered as due dates). Recorded as a ``due-date-set`` event on that letter."""
    parsed = parse_due_date(due)
    if not isinstance(parsed, dt.date):
        raise ValueError(f"อ่านวันที่ไม่ได้: {due} (unreadable date)")
    with core.transaction() as session:
        item = get_item(session, code)
        if item is None:
            raise LinkError(f"ไม่พบรายการรหัส {code} (no inventory item with code {code})")
        previous = item.due_date
        item.due_date = parsed
        item.updated_at = dt.datetime.now(dt.UTC)
        document = session.get(Document, document_id) if document_id else None
        ev.record(
            session,
            ev.DUE_DATE_SET,
            agent=agent,
            document=document,
            item_code=item.code,
            due_date=parsed.isoformat(),
            previous=previous.isoformat() if previous else None,
        )
        session.flush()
        return item_as_dict(item)
