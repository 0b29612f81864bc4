"""The administrator's preservation page: the last fixity run and its failures, and which
originals do not yet have their second copy. Thai first; English with ?lang=en."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from sqlalchemy import select

from indexer.preserve.fixity import latest_run
from indexer.preserve.replication import not_yet_replicated
from indexer.records import provenance as ev
from schemas.models import Event
from service import i18n
from service.auth import login_required
from service.context import core as _core

bp = Blueprint("preservation", __name__)

SHOWN = 200  # rows per list; the CLI's --json has them all

i18n.EN.update(
    {
        "การเก็บรักษา": "Preservation",
        "ที่เก็บต้นฉบับ": "Where originals are kept",
        "สำเนาที่สอง": "Second copy",
        "ยังไม่ได้ตั้งสำเนาที่สอง (KHLANG_REPLICA)": "No second copy configured (KHLANG_REPLICA)",
        "การตรวจความถูกต้องครั้งล่าสุด": "Latest fixity check",
        "ยังไม่เคยตรวจ ใช้คำสั่ง khlang verify": "Never run: use khlang verify",
        "ผ่าน": "Passed",
        "ไม่ผ่าน": "FAILED",
        "ตรวจแล้ว": "Checked",
        "จาก": "of",
        "ตรวจครบทุกเอกสาร": "Every document checked",
        "ตรวจบางส่วน (รอบถัดไปตรวจต่อ)": "Partial run (the next run continues)",
        "ซ่อมแล้ว": "Repaired",
        "ปัญหาที่พบ": "Failures",
        "เอกสาร": "Document",
        "สำเนา": "Copy",
        "ตำแหน่ง": "Location",
        "เหตุผล": "Reason",
        "ไฟล์หาย": "missing",
        "ไฟล์เสียหาย": "corrupt",
        "ไฟล์ไม่มีเจ้าของ": "orphan",
        "ชุดหลัก": "primary",
        "ชุดสำรอง": "replica",
        "ยังไม่ได้ทำสำเนาที่สอง": "Not yet replicated",
        "ทุกไฟล์มีสำเนาที่สองแล้ว": "Every original has its second copy",
        "ไฟล์ รอคำสั่ง khlang replicate เมื่อที่เก็บสำรองกลับมาใช้ได้": (
            "files, waiting for khlang replicate once the replica is reachable again"
        ),
        "เริ่ม": "Started",
        "เสร็จ": "Finished",
        "จาก (ต้นทาง)": "From",
    }
)


def _pending_reasons(core, document_ids: list[int]) -> dict[int, str]:
    """The latest 'pending' reason of each not-yet-replicated document."""
    if not document_ids:
        return {}
    with core.sessions() as session:
        rows = session.execute(
            select(Event.document_id, Event.detail)
            .where(
                Event.event_type == ev.REPLICATED,
                Event.outcome == "pending",
                Event.document_id.in_(document_ids),
            )
            .order_by(Event.id)
        )
        return {document_id: (detail or {}).get("reason", "") for document_id, detail in rows}


@bp.get("/admin/preservation")
@login_required
def preservation():
    if g.principal.role != "admin":
        abort(403)
    core = _core()
    run = latest_run(core)
    pending = not_yet_replicated(core) if core.replica is not None else []
    shown = pending[:SHOWN]
    reasons = _pending_reasons(core, [document_id for document_id, _, _ in shown])
    failures = []
    if run is not None:
        report = run.report or {}
        for kind in ("missing", "corrupt", "orphans"):
            for entry in report.get(kind, []):
                failures.append({**entry, "kind": kind})
    return render_template(
        "preservation.html",
        store=core.store.describe(),
        replica=core.replica.describe() if core.replica is not None else None,
        run=run,
        failures=failures[:SHOWN],
        repaired=(run.report or {}).get("repaired", [])[:SHOWN] if run else [],
        pending=[
            {"document_id": d, "sha256": s, "filename": f, "reason": reasons.get(d, "")}
            for d, s, f in shown
        ],
        pending_count=len(pending),
    )
