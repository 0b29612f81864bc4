"""The gap report: what the inventory expects against what has arrived, as of a date.

Every expected item gets a status:

- ``received``: its active linked documents cover the quantity;
- ``partial``: some arrived, fewer than the quantity;
- ``missing``: nothing yet, and not yet due (or no due date);
- ``overdue``: nothing yet, and the due date is before ``as_of``.

The report is evaluated on the day ``as_of`` (default: today in Thailand): it decides
what is past due, and a linked document counts for its item only if it had arrived (its
first submission) and been linked by the end of that day, so a report as of an earlier
day shows what was known then. (A document back-filled today counts from today.)
Arrival and link times are taken as dates in Thailand (UTC+7). ``unconfirmed`` counts
the links the system suggested that staff have not confirmed yet: they count as
received, and the report says how many they are, per item and in the summary.

``overdue`` (bool) is also set on partial items past their due date, and
``received_late`` on received items whose last needed document came after the due date.
Retired items are not in the report. A bundle (ZIP) is never a deliverable: links to one
(made before bundles were refused) do not count; its members do.

Per project, the summary report seed 000 asks for (รายงานสรุปผลการดำเนินงานโครงการ,
naming the activity and project and the fiscal year, with the cluster's logo) is looked
for among the project's linked documents, then among the other documents that name the
project; a summary report is a document of kind ``summary_report`` (a letter that asks for
"รายงานผลการดำเนินงาน" is not one). Its text is checked for the project name, each
activity name and a fiscal-year mention ('ปีงบประมาณ (พ.ศ.) ๒๕๖๒', not any 2562, such
as a date's). The logo cannot be checked from text and is reported as ``None``.

The other direction, ``unexpected``: documents of the fiscal year linked to no item.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from indexer.inventory.items import (
    normalise_name,
    process_deadlines,
    resolve_cluster,
)
from indexer.inventory.links import is_container
from indexer.inventory.suggest import SUMMARY_KIND, Haystack, suggest_items
from indexer.thai.dates import fiscal_year_of, fiscal_year_range, format_thai_date
from indexer.thai.digits import to_arabic_digits
from indexer.thai.gazetteer import clusters as gazetteer_clusters
from indexer.thai.gazetteer import find_provinces, province_by_name
from indexer.understand.entities import fiscal_year_mentions
from schemas.labels import GAP_FLAG_TH as FLAG_TH
from schemas.labels import GAP_STATUS_TH as STATUS_TH
from schemas.models import Document, DocumentLink, InventoryItem, Project, Submission

THAILAND = dt.timezone(dt.timedelta(hours=7), "ICT")
NAME_MATCH = 0.8  # trigram share for "the text names it"
STATUSES = ("received", "partial", "missing", "overdue")
UNEXPECTED_SUGGESTION_LIMIT = 200


def today_in_thailand() -> dt.date:
    return dt.datetime.now(THAILAND).date()


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC
    return moment.astimezone(THAILAND).date()


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _th(d: dt.date | None) -> str | None:
    return format_thai_date(d, "short") if d else None


def _known_by(day: dt.date | None, as_of: dt.date) -> bool:
    return day is not None and day <= as_of


def _arrivals(session, document_ids: list[int]) -> dict[int, dt.date]:
    if not document_ids:
        return {}
    out = {}
    for start in range(0, len(document_ids), 500):
        chunk = document_ids[start : start + 500]
        rows = session.execute(
            select(Submission.document_id, func.min(Submission.submitted_at))
            .where(Submission.document_id.in_(chunk), Submission.status != "rejected")
            .group_by(Submission.document_id)
        )
        for document_id, first in rows:
            out[document_id] = _local_date(first)
    return out


def _matches(name: str | None, wanted: str | None) -> bool:
    if not wanted:
        return True
    return bool(name) and normalise_name(wanted) in normalise_name(name)


def _filter_items(items, *, cluster, province, agency, project):
    cluster_name = resolve_cluster(cluster) if cluster else None
    cluster_provinces = set()
    if cluster:
        for c in gazetteer_clusters():
            if c.name == cluster_name:
                cluster_provinces = set(c.provinces)
    province_name = None
    if province:
        found = province_by_name(province)
        province_name = found.name if found else province.strip()
    out = []
    for item in items:
        p = item.project
        if cluster:
            in_cluster = (
                p.cluster and (p.cluster.name == cluster_name or _matches(p.cluster.name, cluster))
            ) or (item.province and item.province.name in cluster_provinces)
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


def _doc_brief(
    document: Document, arrived: dt.date | None, link: DocumentLink | None = None
) -> dict:
    data = {
        "document_id": document.id,
        "title": document.title,
        "filename": document.filename,
        "kind": document.kind,
        "arrived": _iso(arrived),
        "arrived_th": _th(arrived),
    }
    if link is not None:
        data["method"] = link.method
        data["linked_by"] = link.linked_by
    return data


def _check_summary(document: Document, project: Project, activities: list[str]) -> dict:
    hay = Haystack((document.title or "") + "\n" + (document.text or ""))
    names_project = hay.match(project.name) >= NAME_MATCH
    named = {a: hay.match(a) >= NAME_MATCH for a in activities}
    text = (document.title or "") + "\n" + (document.text or "")
    names_year = project.fiscal_year in fiscal_year_mentions(to_arabic_digits(text))
    return {
        "document_id": document.id,
        "title": document.title,
        "names_project": names_project,
        "names_activities": named,
        "names_all_activities": all(named.values()) if named else True,
        "names_fiscal_year": names_year,
        "logo": None,  # not checkable from text
    }


def _summary_checks(
    session,
    project: Project,
    activities: list[str],
    linked_docs: list[Document],
    as_of: dt.date,
) -> dict:
    linked_reports = [d for d in linked_docs if d.kind == SUMMARY_KIND]
    found_by = "linked" if linked_reports else None
    reports = linked_reports
    if not reports:
        candidates = session.scalars(
            select(Document).where(
                Document.kind == SUMMARY_KIND,
                or_(Document.fiscal_year == project.fiscal_year, Document.fiscal_year.is_(None)),
            )
        )
        candidates = list(candidates)
        arrivals = _arrivals(session, [d.id for d in candidates])
        reports = [
            d
            for d in candidates
            if _known_by(arrivals.get(d.id), as_of)
            and Haystack((d.title or "") + "\n" + (d.text or "")).match(project.name) >= NAME_MATCH
        ]
        found_by = "matched" if reports else None
    checks = [_check_summary(d, project, activities) for d in reports]
    checks.sort(
        key=lambda c: (c["names_project"], c["names_all_activities"], c["names_fiscal_year"]),
        reverse=True,
    )
    best = checks[0] if checks else None
    flags = []
    if best is None:
        flags.append("no_summary_report")
    else:
        if found_by == "matched":
            flags.append("summary_report_not_linked")
        if not best["names_project"]:
            flags.append("summary_missing_project")
        if not best["names_all_activities"]:
            flags.append("summary_missing_activity")
        if not best["names_fiscal_year"]:
            flags.append("summary_missing_fiscal_year")
    return {
        "project": project.name,
        "project_code": project.code,
        "fiscal_year": project.fiscal_year,
        "host_agency": project.agency.name if project.agency else None,
        "province": project.province.name if project.province else None,
        "activities": activities,
        "summary_report": best,
        "summary_reports": checks,
        "found_by": found_by,
        "flags": flags,
        "flags_th": [FLAG_TH[f] for f in flags],
        "ok": not flags,
    }


def _group(items: list[dict], key: str) -> list[dict]:
    groups: dict[str, dict] = {}
    for item in items:
        name = item.get(key) or "(ไม่ระบุ)"
        g = groups.setdefault(
            name,
            {"name": name, "items": 0, "expected": 0, "covered": 0, "overdue_codes": []}
            | {s: 0 for s in STATUSES}
            | {"unconfirmed": 0},
        )
        g["items"] += 1
        g["unconfirmed"] += item["unconfirmed"]
        g[item["status"]] += 1
        g["expected"] += item["quantity"]
        g["covered"] += min(item["received"], item["quantity"])
        if item["overdue"]:
            g["overdue_codes"].append(item["code"])
    out = []
    for g in sorted(groups.values(), key=lambda g: g["name"]):
        g["late"] = len(g["overdue_codes"])
        g["completeness"] = round(g["covered"] / g["expected"], 4) if g["expected"] else 1.0
        out.append(g)
    return out


def gap_report(
    core,
    fiscal_year: int,
    *,
    cluster: str | None = None,
    province: str | None = None,
    agency: str | None = None,
    project: str | None = None,
    as_of: dt.date | None = None,
    suggest_unexpected: bool = True,
) -> dict:
    """What is expected, what arrived, what is missing and who is late (see module notes).
    JSON-ready: dates are ISO strings, with ``*_th`` companions as staff write them."""
    as_of = as_of or today_in_thailand()
    with core.sessions() as session:
        items = list(
            session.scalars(
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
        )
        items = _filter_items(
            items, cluster=cluster, province=province, agency=agency, project=project
        )
        item_ids = [i.id for i in items]
        links_by_item: dict[int, list[DocumentLink]] = defaultdict(list)
        for start in range(0, len(item_ids), 500):
            for link in session.scalars(
                select(DocumentLink)
                .where(
                    DocumentLink.item_id.in_(item_ids[start : start + 500]),
                    DocumentLink.active.is_(True),
                )
                .options(selectinload(DocumentLink.document))
                .order_by(DocumentLink.id)
            ):
                links_by_item[link.item_id].append(link)
        arrivals = _arrivals(
            session, sorted({lk.document_id for ls in links_by_item.values() for lk in ls})
        )

        rows = []
        docs_by_project: dict[int, dict[int, Document]] = defaultdict(dict)
        for item in sorted(
            items,
            key=lambda i: (i.project.name, i.activity.name if i.activity else "", i.title, i.code),
        ):
            # what had arrived and been linked by the end of as_of; never a bundle
            counted = [
                (arrivals.get(link.document_id), link)
                for link in links_by_item.get(item.id, [])
                if not is_container(link.document)
                and _known_by(arrivals.get(link.document_id), as_of)
                and _known_by(_local_date(link.linked_at), as_of)
            ]
            counted.sort(key=lambda pair: (pair[0] or dt.date.min, pair[1].id))
            received = len(counted)
            due = item.due_date
            past_due = due is not None and as_of > due
            if received >= item.quantity:
                status = "received"
            elif received:
                status = "partial"
            else:
                status = "overdue" if past_due else "missing"
            completing = counted[item.quantity - 1][0] if received >= item.quantity else None
            for _, link in counted:
                docs_by_project[item.project_id][link.document_id] = link.document
            p = item.project
            rows.append(
                {
                    "code": item.code,
                    "fiscal_year": p.fiscal_year,
                    "cluster": p.cluster.name if p.cluster else None,
                    "province": (item.province or p.province).name
                    if (item.province or p.province)
                    else None,
                    "project_code": p.code,
                    "project": p.name,
                    "activity": item.activity.name if item.activity else None,
                    "host_agency": (item.agency or p.agency).name
                    if (item.agency or p.agency)
                    else None,
                    "deliverable": item.title,
                    "type": item.item_type,
                    "quantity": item.quantity,
                    "received": received,
                    # of which linked by suggestion and not yet confirmed by staff
                    "unconfirmed": sum(1 for _, lk in counted if lk.method == "suggested"),
                    "status": status,
                    "status_th": STATUS_TH[status],
                    "due_date": _iso(due),
                    "due_date_th": _th(due),
                    "overdue": status != "received" and past_due,
                    "received_late": bool(completing and due and completing > due),
                    "first_arrival": _iso(counted[0][0]) if counted else None,
                    "last_arrival": _iso(counted[-1][0]) if counted else None,
                    "documents": [
                        _doc_brief(link.document, arrived, link) for arrived, link in counted
                    ],
                }
            )

        projects = []
        seen_projects: dict[int, Project] = {}
        activities: dict[int, list[str]] = defaultdict(list)
        for item in items:
            seen_projects[item.project_id] = item.project
            if item.activity and item.activity.name not in activities[item.project_id]:
                activities[item.project_id].append(item.activity.name)
        for project_id, p in sorted(seen_projects.items(), key=lambda kv: kv[1].name):
            linked = list(docs_by_project.get(project_id, {}).values())
            projects.append(_summary_checks(session, p, activities[project_id], linked, as_of))

        unexpected = _unexpected(
            session,
            fiscal_year,
            as_of,
            cluster=cluster,
            province=province,
            agency=agency,
            project=project,
            suggest=suggest_unexpected,
        )
        deadlines = process_deadlines(session, fiscal_year)

    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    unconfirmed = [r for r in rows if r["unconfirmed"]]
    expected = sum(r["quantity"] for r in rows)
    covered = sum(min(r["received"], r["quantity"]) for r in rows)
    by_agency = _group(rows, "host_agency")
    most_overdue = sorted(
        (
            {"host_agency": g["name"], "overdue": g["late"], "codes": g["overdue_codes"]}
            for g in by_agency
            if g["late"]
        ),
        key=lambda g: (-g["overdue"], g["host_agency"]),
    )[:10]
    return {
        "fiscal_year": fiscal_year,
        "as_of": as_of.isoformat(),
        "as_of_th": _th(as_of),
        "filters": {"cluster": cluster, "province": province, "agency": agency, "project": project},
        "deadlines": {
            name: {
                "date": _iso(deadlines[name]),
                "date_th": _th(deadlines[name]),
                "passed": as_of > deadlines[name],
                "configured": deadlines["configured"][name],
            }
            for name in ("inventory_to_dsss", "dsss_to_cluster")
        },
        "items": rows,
        "unexpected": unexpected,
        "projects": projects,
        "by_province": _group(rows, "province"),
        "by_agency": by_agency,
        "most_overdue": most_overdue,
        "summary": {
            "items": len(rows),
            **counts,
            "overdue_items": sum(1 for r in rows if r["overdue"]),
            "received_late": sum(1 for r in rows if r["received_late"]),
            # received on the strength of links the system suggested, not yet confirmed
            "unconfirmed_items": len(unconfirmed),
            "unconfirmed_links": sum(r["unconfirmed"] for r in unconfirmed),
            "no_due_date": sum(1 for r in rows if not r["due_date"]),
            "expected_quantity": expected,
            "received_quantity": covered,
            "completeness": round(covered / expected, 4) if expected else 1.0,
            "unexpected": len(unexpected),
            "projects": len(projects),
            "projects_flagged": sum(1 for p in projects if not p["ok"]),
            "projects_without_summary_report": sum(
                1 for p in projects if "no_summary_report" in p["flags"]
            ),
        },
    }


def _unexpected(
    session, fiscal_year, as_of, *, cluster, province, agency, project, suggest
) -> list[dict]:
    """Documents of the fiscal year (by their own fiscal year, or, when unknown, arrived
    between the year's start and a year after its end) that had arrived by as_of and had
    no active link then. Bundles are containers, not deliverables."""
    linked = select(DocumentLink.document_id).where(DocumentLink.active.is_(True))
    first_linked: dict[int, dt.date] = {}
    for document_id, linked_at in session.execute(
        select(DocumentLink.document_id, DocumentLink.linked_at).where(
            DocumentLink.active.is_(True)
        )
    ):
        day = _local_date(linked_at)
        first_linked[document_id] = min(first_linked.get(document_id, day), day)
    linked_later = [d for d, day in first_linked.items() if day > as_of]
    start, end = fiscal_year_range(fiscal_year)
    documents = list(
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
    arrivals = _arrivals(session, [d.id for d in documents])
    wanted_provinces: set[str] = set()
    if province:
        found = province_by_name(province)
        wanted_provinces = {found.name if found else province.strip()}
    elif cluster:
        name = resolve_cluster(cluster)
        wanted_provinces = {p for c in gazetteer_clusters() if c.name == name for p in c.provinces}
    out = []
    for document in documents:
        arrived = arrivals.get(document.id)
        if not _known_by(arrived, as_of):
            continue  # every arrival was rejected, or it came after as_of
        if document.fiscal_year is None and not (
            start <= arrived <= dt.date(end.year + 1, end.month, end.day)
        ):
            continue
        text = f"{document.title}\n{document.filename}\n{(document.text or '')[:5000]}"
        if wanted_provinces and not (set(find_provinces(text)) & wanted_provinces):
            continue
        if project and Haystack(text).match(project) < NAME_MATCH:
            continue
        if agency and Haystack(text).match(agency) < NAME_MATCH:
            continue
        entry = _doc_brief(document, arrived)
        entry["fiscal_year"] = document.fiscal_year
        entry["arrival_fiscal_year"] = fiscal_year_of(arrived)
        if suggest and len(out) < UNEXPECTED_SUGGESTION_LIMIT:
            entry["suggestions"] = [s.as_dict() for s in suggest_items(session, document, limit=3)]
        out.append(entry)
    return out
