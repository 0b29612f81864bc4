"""What the gap report reads from the database: the expected items (with the filters),
their active links, when documents first arrived, summary-report candidates, and the
documents of the year linked to no item. Reading only; ``rules`` decides what it means.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from indexer.inventory.gaps.rules import known_by, local_date, names_it
from indexer.inventory.keys import normalise_name
from indexer.inventory.rows import resolve_cluster
from indexer.inventory.suggest import SUMMARY_KIND
from indexer.thai.gazetteer import clusters as gazetteer_clusters
from indexer.thai.gazetteer import province_by_name
from schemas.models import Document, DocumentLink, InventoryItem, Project, Submission

BATCH = 500  # ids per IN (...): well under SQLite's and PostgreSQL's limits


def arrivals(session, document_ids: list[int]) -> dict[int, dt.date]:
    """Each document's first arrival (a submission that was not rejected), as a day."""
    out = {}
    for start in range(0, len(document_ids), BATCH):
        chunk = document_ids[start : start + BATCH]
        rows = session.execute(
            select(Submission.document_id, func.min(Submission.submitted_at))
            .where(Submission.document_id.in_(chunk), Submission.status != "rejected")
            .group_by(Submission.document_id)
        )
        for document_id, first in rows:
            out[document_id] = local_date(first)
    return out


def _matches(name: str | None, wanted: str | None) -> bool:
    if not wanted:
        return True
    return bool(name) and normalise_name(wanted) in normalise_name(name)


def cluster_provinces(cluster: str | None) -> set[str]:
    name = resolve_cluster(cluster) if cluster else None
    return {p for c in gazetteer_clusters() if c.name == name for p in c.provinces}


def province_named(province: str) -> str:
    found = province_by_name(province)
    return found.name if found else province.strip()


def items(session, fiscal_year: int, *, cluster, province, agency, project) -> list:
    """The year's items that are not retired, within the filters."""
    found = session.scalars(
        select(InventoryItem)
        .join(Project, InventoryItem.project_id == Project.id)
        .where(Project.fiscal_year == fiscal_year, InventoryItem.retired_at.is_(None))
        .options(
            selectinload(InventoryItem.project).selectinload(Project.cluster),
            selectinload(InventoryItem.project).selectinload(Project.province),
            selectinload(InventoryItem.project).selectinload(Project.agency),
            selectinload(InventoryItem.activity),
            selectinload(InventoryItem.agency),
            selectinload(InventoryItem.province),
        )
    )
    cluster_name = resolve_cluster(cluster) if cluster else None
    in_cluster_provinces = cluster_provinces(cluster) if cluster else set()
    province_name = province_named(province) if province else None
    out = []
    for item in found:
        p = item.project
        if cluster:
            in_cluster = (
                p.cluster and (p.cluster.name == cluster_name or _matches(p.cluster.name, cluster))
            ) or (item.province and item.province.name in in_cluster_provinces)
            if not in_cluster:
                continue
        if province_name:
            where = (
                item.province.name if item.province else (p.province.name if p.province else None)
            )
            if where != province_name:
                continue
        if agency:
            who = item.agency.name if item.agency else (p.agency.name if p.agency else None)
            if not _matches(who, agency):
                continue
        if project and not (
            _matches(p.name, project) or (p.code and p.code.strip() == project.strip())
        ):
            continue
        out.append(item)
    return out


def active_links(session, item_ids: list[int]) -> dict[int, list[DocumentLink]]:
    """The active links of each item, oldest first, with their documents."""
    links: dict[int, list[DocumentLink]] = defaultdict(list)
    for start in range(0, len(item_ids), BATCH):
        for link in session.scalars(
            select(DocumentLink)
            .where(
                DocumentLink.item_id.in_(item_ids[start : start + BATCH]),
                DocumentLink.active.is_(True),
            )
            .options(selectinload(DocumentLink.document))
            .order_by(DocumentLink.id)
        ):
            links[link.item_id].append(link)
    return links


def summary_candidates(session, project: Project, as_of: dt.date) -> list[Document]:
    """Summary reports, linked or not, that had arrived by ``as_of`` and name the project."""
    candidates = list(
        session.scalars(
            select(Document).where(
                Document.kind == SUMMARY_KIND,
                or_(Document.fiscal_year == project.fiscal_year, Document.fiscal_year.is_(None)),
            )
        )
    )
    arrived = arrivals(session, [d.id for d in candidates])
    return [
        d
        for d in candidates
        if known_by(arrived.get(d.id), as_of)
        and names_it((d.title or "") + "\n" + (d.text or ""), project.name)
    ]


def unlinked_documents(session, fiscal_year: int, as_of: dt.date) -> list[Document]:
    """Documents of the fiscal year (or of no known year) that had no active link at the
    end of ``as_of``; never a bundle (a container, not a deliverable)."""
    linked = select(DocumentLink.document_id).where(DocumentLink.active.is_(True))
    first_linked: dict[int, dt.date] = {}
    for document_id, linked_at in session.execute(
        select(DocumentLink.document_id, DocumentLink.linked_at).where(
            DocumentLink.active.is_(True)
        )
    ):
        day = local_date(linked_at)
        first_linked[document_id] = min(first_linked.get(document_id, day), day)
    linked_later = [d for d, day in first_linked.items() if day > as_of]
    return list(
        session.scalars(
            select(Document)
            .where(
                or_(Document.id.not_in(linked), Document.id.in_(linked_later)),
                Document.category != "archive",  # is_container
                or_(Document.fiscal_year == fiscal_year, Document.fiscal_year.is_(None)),
            )
            .order_by(Document.id)
        )
    )
