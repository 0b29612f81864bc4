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

from indexer.inventory.gaps import query, rules
from indexer.inventory.gaps.labels import with_thai
from indexer.inventory.gaps.rules import iso, known_by, local_date, today_in_thailand
from indexer.inventory.items import process_deadlines
from indexer.inventory.links import is_container
from indexer.inventory.suggest import SUMMARY_KIND, suggest_items
from indexer.thai.dates import fiscal_year_of, fiscal_year_range
from indexer.thai.gazetteer import find_provinces
from schemas.models import Document, DocumentLink, InventoryItem, Project

UNEXPECTED_SUGGESTION_LIMIT = 200


def gap_report(core, fiscal_year: int, **filters) -> dict:
    """What is expected, what arrived, what is missing and who is late (see module notes).
    JSON-ready: dates are ISO strings, with ``*_th`` companions as staff write them (the
    shape the API and ``khlang gaps --json`` answer); ``gap_facts`` is the same without."""
    return with_thai(gap_facts(core, fiscal_year, **filters))


def gap_facts(
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
    """The gap report's data: codes and ISO dates, no wording (see gaps.labels)."""
    as_of = as_of or today_in_thailand()
    filters = {"cluster": cluster, "province": province, "agency": agency, "project": project}
    with core.sessions() as session:
        items = query.items(session, fiscal_year, **filters)
        links_by_item = query.active_links(session, [i.id for i in items])
        arrivals = query.arrivals(
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
                and known_by(arrivals.get(link.document_id), as_of)
                and known_by(local_date(link.linked_at), as_of)
            ]
            counted.sort(key=lambda pair: (pair[0] or dt.date.min, pair[1].id))
            for _, link in counted:
                docs_by_project[item.project_id][link.document_id] = link.document
            rows.append(_item_row(item, counted, as_of))

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

        unexpected = _unexpected(session, fiscal_year, as_of, **filters, suggest=suggest_unexpected)
        deadlines = process_deadlines(session, fiscal_year)

    by_agency = rules.group(rows, "host_agency")
    return {
        "fiscal_year": fiscal_year,
        "as_of": as_of.isoformat(),
        "filters": filters,
        "deadlines": {
            name: {
                "date": iso(deadlines[name]),
                "passed": as_of > deadlines[name],
                "configured": deadlines["configured"][name],
            }
            for name in ("inventory_to_dsss", "dsss_to_cluster")
        },
        "items": rows,
        "unexpected": unexpected,
        "projects": projects,
        "by_province": rules.group(rows, "province"),
        "by_agency": by_agency,
        "most_overdue": rules.most_overdue(by_agency),
        "summary": rules.summary(rows, projects, unexpected),
    }


def _item_row(item: InventoryItem, counted: list, as_of: dt.date) -> dict:
    """One expected item against what counted for it (``(arrived, link)``, oldest first)."""
    received = len(counted)
    due = item.due_date
    past_due = due is not None and as_of > due
    status = rules.item_status(received, item.quantity, past_due)
    completing = counted[item.quantity - 1][0] if received >= item.quantity else None
    p = item.project
    province = item.province or p.province
    agency = item.agency or p.agency
    return {
        "code": item.code,
        "fiscal_year": p.fiscal_year,
        "cluster": p.cluster.name if p.cluster else None,
        "province": province.name if province else None,
        "project_code": p.code,
        "project": p.name,
        "activity": item.activity.name if item.activity else None,
        "host_agency": agency.name if agency else None,
        "deliverable": item.title,
        "type": item.item_type,
        "quantity": item.quantity,
        "received": received,
        # of which linked by suggestion and not yet confirmed by staff
        "unconfirmed": sum(1 for _, lk in counted if lk.method == "suggested"),
        "status": status,
        "due_date": iso(due),
        "overdue": status != "received" and past_due,
        "received_late": bool(completing and due and completing > due),
        "first_arrival": iso(counted[0][0]) if counted else None,
        "last_arrival": iso(counted[-1][0]) if counted else None,
        "documents": [_doc_brief(link.document, arrived, link) for arrived, link in counted],
    }


def _doc_brief(
    document: Document, arrived: dt.date | None, link: DocumentLink | None = None
) -> dict:
    data = {
        "document_id": document.id,
        "title": document.title,
        "filename": document.filename,
        "kind": document.kind,
        "arrived": iso(arrived),
    }
    if link is not None:
        data["method"] = link.method
        data["linked_by"] = link.linked_by
    return data


def _summary_checks(
    session,
    project: Project,
    activities: list[str],
    linked_docs: list[Document],
    as_of: dt.date,
) -> dict:
    """The project's summary report: among its linked documents, else among the others
    that name it; checked for what it should name."""
    reports = [d for d in linked_docs if d.kind == SUMMARY_KIND]
    found_by = "linked" if reports else None
    if not reports:
        reports = query.summary_candidates(session, project, as_of)
        found_by = "matched" if reports else None
    checks = rules.best_first([rules.check_summary(d, project, activities) for d in reports])
    best = checks[0] if checks else None
    flags = rules.summary_flags(best, found_by)
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
        "ok": not flags,
    }


def _unexpected(
    session, fiscal_year, as_of, *, cluster, province, agency, project, suggest
) -> list[dict]:
    """Documents of the fiscal year (by their own fiscal year, or, when unknown, arrived
    between the year's start and a year after its end) that had arrived by as_of and had
    no active link then. Bundles are containers, not deliverables."""
    start, end = fiscal_year_range(fiscal_year)
    documents = query.unlinked_documents(session, fiscal_year, as_of)
    arrivals = query.arrivals(session, [d.id for d in documents])
    wanted_provinces: set[str] = set()
    if province:
        wanted_provinces = {query.province_named(province)}
    elif cluster:
        wanted_provinces = query.cluster_provinces(cluster)
    out = []
    for document in documents:
        arrived = arrivals.get(document.id)
        if not known_by(arrived, as_of):
            continue  # every arrival was rejected, or it came after as_of
        if document.fiscal_year is None and not (
            start <= arrived <= dt.date(end.year + 1, end.month, end.day)
        ):
            continue
        text = f"{document.title}\n{document.filename}\n{(document.text or '')[:5000]}"
        if wanted_provinces and not (set(find_provinces(text)) & wanted_provinces):
            continue
        if project and not rules.names_it(text, project):
            continue
        if agency and not rules.names_it(text, agency):
            continue
        entry = _doc_brief(document, arrived)
        entry["fiscal_year"] = document.fiscal_year
        entry["arrival_fiscal_year"] = fiscal_year_of(arrived)
        if suggest and len(out) < UNEXPECTED_SUGGESTION_LIMIT:
            entry["suggestions"] = [s.as_dict() for s in suggest_items(session, document, limit=3)]
        out.append(entry)
    return out
