"""The home page: each role's day's work, where they land after signing in.

- a DSSS officer: their own recent uploads and jobs with their outcome, and their
  province's items overdue or due within DUE_SOON_DAYS;
- strategy staff: recent arrivals and the links the system suggested, waiting for a
  person to confirm them; with the admin, completeness by province and fiscal year;
- the admin: users, tokens, the latest fixity run and the index's health;
- a viewer or a visitor: the latest (published, for a visitor) documents.

Everything comes from the queries the other pages use (indexer.inventory.gaps for items and
completeness, indexer.ingest.jobs for jobs, indexer.preserve.fixity, Khlang.health); only the short
lists of recent rows are read here.

The gap reports behind the home page (one per fiscal year shown) cost the most of a load,
and every strategy and admin user asks for the same ones; they are kept for REPORT_TTL
seconds, keyed by their parameters and by the newest provenance event's id: every change
a report depends on (an arrival, a link, an inventory import, a due date) records an
event, so a change is seen on the next load.
"""

from __future__ import annotations

import datetime as dt
import threading

from cachetools import TTLCache
from flask import Blueprint, g, render_template
from sqlalchemy import func, select

from indexer.inventory.gaps import gap_facts, today_in_thailand
from indexer.preserve.fixity import latest_run
from schemas.models import (
    ApiToken,
    Batch,
    Document,
    DocumentLink,
    Event,
    InventoryItem,
    Submission,
    User,
)
from service import i18n
from service.actions import accounts
from service.actions.inventory import fiscal_years
from service.context import core as _core
from service.read_your_writes import replica_readable

bp = Blueprint("home", __name__)

RECENT = 10
DUE_SOON_DAYS = 30
YEARS_AT_A_GLANCE = 3  # the latest fiscal years in the completeness table
REPORT_TTL = 60.0  # seconds; "today" moves and a late arrival's status with it
_reports: TTLCache = TTLCache(maxsize=64, ttl=REPORT_TTL)
_reports_lock = threading.Lock()  # TTLCache is not thread-safe; requests are threads
WAITING_SHOWN = 20

i18n.EN.update(
    {
        "หน้าหลัก": "Home",
        "งานของฉันวันนี้": "My work today",
        "การนำเข้าล่าสุดของฉัน": "My recent uploads",
        "ยังไม่มีการนำเข้า": "No uploads yet",
        "งาน": "Job",
        "เมื่อ": "When",
        "ผล": "Outcome",
        "ไฟล์": "files",
        "กำลังทำ": "running",
        "เสร็จแล้ว": "finished",
        "ล้มเหลว": "failed",
        "รายการของจังหวัดที่เลยกำหนดหรือใกล้ถึงกำหนด": ("My province's items overdue or due soon"),
        "ไม่มีรายการเลยกำหนดหรือใกล้ถึงกำหนด": "Nothing overdue or due soon",
        "เลยกำหนด": "Overdue",
        "ใกล้ถึงกำหนด": "Due soon",
        "กำหนดส่ง": "Due",
        "ได้รับ": "Received",
        "เอกสารเข้ามาล่าสุด": "Recent arrivals",
        "การเชื่อมโยงที่ระบบเสนอ รอยืนยัน": "Suggested links waiting for confirmation",
        "ไม่มีการเชื่อมโยงรอยืนยัน": "No links waiting",
        "ยืนยันที่หน้าเอกสาร": "Confirm on the document's page",
        "ความครบถ้วนรายจังหวัดและปีงบประมาณ": "Completeness by province and fiscal year",
        "ยังไม่มีบัญชีทรัพยากร/ผลลัพธ์": "No inventory yet",
        "ผู้ใช้งาน": "Active users",
        "ผู้ใช้ที่ปิดใช้งาน": "Deactivated users",
        "โทเคนที่ใช้ได้": "Active tokens",
        "สุขภาพของระบบ": "System health",
        "ดัชนีค้นหา": "Search index",
        "ฐานข้อมูล": "Database",
        "ที่เก็บไฟล์": "File store",
        "ปกติ": "OK",
        "มีปัญหา": "Problem",
        "จัดการผู้ใช้และโทเคน": "Manage users and tokens",
        "เอกสารล่าสุด": "Latest documents",
        "ยังไม่มีเอกสาร": "No documents yet",
        "ปีงบประมาณ": "Fiscal year",
        "รายการ": "Item",
    }
)


def my_jobs(core, agent: str) -> list[dict]:
    """The officer's latest jobs with the count of each outcome (ingested, duplicate,
    rejected, ...), as the job page shows them one at a time."""
    with core.sessions() as db:
        batches = db.scalars(
            select(Batch).where(Batch.agent == agent).order_by(Batch.id.desc()).limit(RECENT)
        ).all()
        ids = [b.id for b in batches]
        counts: dict[int, dict[str, int]] = {i: {} for i in ids}
        if ids:
            for batch_id, status, n in db.execute(
                select(Submission.batch_id, Submission.status, func.count())
                .where(Submission.batch_id.in_(ids))
                .group_by(Submission.batch_id, Submission.status)
            ):
                counts[batch_id][status] = n
        return [
            {
                "id": b.id,
                "created_at": b.created_at,
                "status": b.status,
                "total": b.total,
                "item_code": b.item_code,
                "counts": counts[b.id],
            }
            for b in batches
        ]


def cached_gap_facts(core, year: int, *, as_of: dt.date, province: str | None = None) -> dict:
    """The gap report's facts (without suggestions for unexpected documents), shared by
    the home pages until the data changes or REPORT_TTL passes. Read only."""
    with core.sessions() as session:
        version = session.scalar(select(func.max(Event.id)))
    key = (core.settings.database_url, version, year, province, as_of)
    with _reports_lock:
        report = _reports.get(key)
    if report is None:
        report = gap_facts(core, year, province=province, as_of=as_of, suggest_unexpected=False)
        with _reports_lock:
            _reports[key] = report
    return report


def due_items(core, province: str, today: dt.date | None = None) -> list[dict]:
    """The province's items not yet received, overdue or due within DUE_SOON_DAYS, from
    the gap report of each fiscal year that has items (overdue first, then by date)."""
    today = today or today_in_thailand()
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    rows = []
    for year in fiscal_years(core):
        report = cached_gap_facts(core, year, province=province, as_of=today)
        for row in report["items"]:
            if row["status"] == "received" or not row["due_date"]:
                continue
            due = dt.date.fromisoformat(row["due_date"])
            if row["overdue"] or due <= soon:
                rows.append(row)
    return sorted(rows, key=lambda r: (not r["overdue"], r["due_date"]))


def completeness_by_province(core) -> dict:
    """{years, provinces, cells[(province, year)] -> gap group} over the latest years."""
    years = fiscal_years(core)[:YEARS_AT_A_GLANCE]
    cells, provinces = {}, set()
    for year in years:
        report = cached_gap_facts(core, year, as_of=today_in_thailand())
        for group in report["by_province"]:
            provinces.add(group["name"])
            cells[(group["name"], year)] = group
    return {"years": years, "provinces": sorted(provinces), "cells": cells}


def recent_documents(core, *, published_only: bool) -> list[Document]:
    query = select(Document).order_by(Document.id.desc()).limit(RECENT)
    if published_only:
        query = query.where(Document.publication == "published")
    with core.sessions() as db:
        return db.scalars(query).all()


def waiting_links(core) -> list[dict]:
    """Active links the suggester made and no person has confirmed yet."""
    with core.sessions() as db:
        rows = db.execute(
            select(DocumentLink.document_id, Document.title, InventoryItem.code,
                   InventoryItem.title, DocumentLink.linked_at)
            .join(Document, DocumentLink.document_id == Document.id)
            .join(InventoryItem, DocumentLink.item_id == InventoryItem.id)
            .where(DocumentLink.active.is_(True), DocumentLink.method == "suggested")
            .order_by(DocumentLink.linked_at.desc())
            .limit(WAITING_SHOWN)
        ).all()  # fmt: skip
    return [
        {"document_id": d, "title": t, "code": c, "deliverable": i, "linked_at": at}
        for d, t, c, i, at in rows
    ]


def admin_overview(core) -> dict:
    with core.sessions() as db:
        active = db.scalar(select(func.count()).select_from(User).where(User.active.is_(True)))
        inactive = db.scalar(select(func.count()).select_from(User).where(User.active.is_(False)))
        tokens = db.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.revoked.is_(False))
        )
    return {
        "users_active": active,
        "users_inactive": inactive,
        "tokens_active": tokens,
        "fixity": latest_run(core),
        "health": core.health()["checks"],
        "history": accounts.recent_account_events(core, limit=5),
    }


@bp.get("/home")
@replica_readable
def home():
    principal = g.principal
    core = _core()
    context: dict = {"today": today_in_thailand(), "due_soon_days": DUE_SOON_DAYS}
    role = principal.role
    if principal.can("upload"):
        context["jobs"] = my_jobs(core, principal.agent)
    if role == "dsss" and principal.province:
        context["due"] = due_items(core, principal.province)
    if role in ("strategy", "admin"):
        context["arrivals"] = recent_documents(core, published_only=False)
        context["waiting"] = waiting_links(core)
        context["completeness"] = completeness_by_province(core)
    if role == "admin":
        context["admin"] = admin_overview(core)
    if role in (None, "viewer"):
        context["latest"] = recent_documents(core, published_only=not principal.can("read_all"))
    return render_template("home.html", **context)
