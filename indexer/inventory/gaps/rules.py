"""The gap report's rules: what counts as arrived by a day, an item's status, the flags
on a project's summary report, and the totals. No database and no Thai wording here:
``query`` reads, these decide, ``labels`` words the result for people.
"""

from __future__ import annotations

import datetime as dt

from indexer.inventory.suggest import Haystack
from indexer.thai.digits import to_arabic_digits
from indexer.understand.entities import fiscal_year_mentions
from schemas.labels import UNSPECIFIED_TH
from schemas.models import Document, Project

THAILAND = dt.timezone(dt.timedelta(hours=7), "ICT")
NAME_MATCH = 0.8  # trigram share for "the text names it"
STATUSES = ("received", "partial", "missing", "overdue")


def today_in_thailand() -> dt.date:
    return dt.datetime.now(THAILAND).date()


def local_date(moment: dt.datetime | None) -> dt.date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC
    return moment.astimezone(THAILAND).date()


def iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def known_by(day: dt.date | None, as_of: dt.date) -> bool:
    return day is not None and day <= as_of


def item_status(received: int, quantity: int, past_due: bool) -> str:
    if received >= quantity:
        return "received"
    if received:
        return "partial"
    return "overdue" if past_due else "missing"


def names_it(text: str, name: str) -> bool:
    return Haystack(text).match(name) >= NAME_MATCH


def check_summary(document: Document, project: Project, activities: list[str]) -> dict:
    """What a summary report's text names: the project, each activity, the fiscal year."""
    text = (document.title or "") + "\n" + (document.text or "")
    hay = Haystack(text)
    named = {a: hay.match(a) >= NAME_MATCH for a in activities}
    return {
        "document_id": document.id,
        "title": document.title,
        "names_project": hay.match(project.name) >= NAME_MATCH,
        "names_activities": named,
        "names_all_activities": all(named.values()) if named else True,
        "names_fiscal_year": project.fiscal_year in fiscal_year_mentions(to_arabic_digits(text)),
        "logo": None,  # not checkable from text
    }


def best_first(checks: list[dict]) -> list[dict]:
    return sorted(
        checks,
        key=lambda c: (c["names_project"], c["names_all_activities"], c["names_fiscal_year"]),
        reverse=True,
    )


def summary_flags(best: dict | None, found_by: str | None) -> list[str]:
    """What is wrong with a project's summary report (codes; see schemas.labels)."""
    if best is None:
        return ["no_summary_report"]
    flags = []
    if found_by == "matched":
        flags.append("summary_report_not_linked")
    if not best["names_project"]:
        flags.append("summary_missing_project")
    if not best["names_all_activities"]:
        flags.append("summary_missing_activity")
    if not best["names_fiscal_year"]:
        flags.append("summary_missing_fiscal_year")
    return flags


def group(items: list[dict], key: str) -> list[dict]:
    """Counts by province or by host agency (an item without one: under "(ไม่ระบุ)")."""
    groups: dict[str, dict] = {}
    for item in items:
        name = item.get(key) or UNSPECIFIED_TH
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


def most_overdue(by_agency: list[dict]) -> list[dict]:
    """The ten host agencies with the most overdue items."""
    return sorted(
        (
            {"host_agency": g["name"], "overdue": g["late"], "codes": g["overdue_codes"]}
            for g in by_agency
            if g["late"]
        ),
        key=lambda g: (-g["overdue"], g["host_agency"]),
    )[:10]


def summary(rows: list[dict], projects: list[dict], unexpected: list[dict]) -> dict:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    unconfirmed = [r for r in rows if r["unconfirmed"]]
    expected = sum(r["quantity"] for r in rows)
    covered = sum(min(r["received"], r["quantity"]) for r in rows)
    return {
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
    }
