"""The inventory as the pages and the API use it (indexer.inventory.items does the work):
listing with the province filter, the choices for the upload form, and imports from an
uploaded file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from schemas.models import InventoryItem, Project


def list_items(core, *, fiscal_year=None, province=None, project=None) -> list[dict]:
    from indexer.inventory import items as inventory

    items = inventory.list_items(core, fiscal_year, project=project)
    if province:
        items = [i for i in items if i.get("province") == province]
    return items


def fiscal_years(core) -> list[int]:
    with core.sessions() as session:
        return sorted(
            {y for y in session.scalars(select(Project.fiscal_year).distinct()) if y},
            reverse=True,
        )


def upload_choices(core, principal) -> list[dict]:
    """Project → activity → item choices for the upload form; a dsss officer sees only the
    items of their own province (the server checks again on upload). Not retired items."""
    from indexer.inventory.items import item_province_id

    with core.sessions() as session:
        items = session.scalars(
            select(InventoryItem)
            .where(InventoryItem.retired_at.is_(None))
            .options(selectinload(InventoryItem.project), selectinload(InventoryItem.activity))
            .order_by(InventoryItem.project_id, InventoryItem.activity_id, InventoryItem.id)
        ).all()
        out = []
        for item in items:
            if not principal.may_act_for_province(item_province_id(item)):
                continue
            out.append(
                {
                    "code": item.code,
                    "title": item.title,
                    "fiscal_year": item.project.fiscal_year,
                    "project": item.project.name,
                    "activity": item.activity.name if item.activity else "",
                }
            )
        return out


def upload_menus(choices: list[dict]) -> dict:
    """The project and activity menus of the upload form. An activity belongs to its
    project: two projects may both have a "กิจกรรมอบรม", and each keeps its own entry
    (``shared`` marks such names, so the form can say which project each is in)."""
    projects = list(dict.fromkeys(c["project"] for c in choices))
    pairs = list(dict.fromkeys((c["project"], c["activity"]) for c in choices if c["activity"]))
    projects_of: dict[str, int] = {}
    for _, activity in pairs:
        projects_of[activity] = projects_of.get(activity, 0) + 1
    activities = [
        {"project": project, "activity": activity, "shared": projects_of[activity] > 1}
        for project, activity in pairs
    ]
    return {"projects": projects, "activities": activities}


def run_import(core, upload, *, agent: str, strict: bool = False, prune: bool = False) -> dict:
    from indexer.inventory import items as inventory

    data = upload.read()
    try:
        result = inventory.import_inventory(
            core, data, filename=upload.filename, agent=agent, strict=strict, prune=prune
        )
    except inventory.InventoryFileError as exc:
        raise ValueError(str(exc)) from exc
    return result.as_dict()


def get_item(session, code: str):
    from indexer.inventory.items import get_item as find

    return find(session, code)
