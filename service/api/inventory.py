"""The inventory of expected outputs: list, template, import, retire, deadlines."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from indexer.inventory import (
    process_deadlines,
    retire_items,
    set_process_deadlines,
    template_xlsx,
)
from service.actions.inventory import list_items, run_import
from service.api.common import _jsonable, error
from service.api_models.inventory import (
    DeadlinesBody,
    ImportForm,
    ImportResult,
    InventoryList,
    InventoryQuery,
    ProcessDeadlines,
    RetireBody,
    RetireResult,
)
from service.api_models.spec import STAFF, XLSX, Answers, api, files
from service.auth import permission_required
from service.context import core
from service.read_your_writes import replica_readable

bp = Blueprint("inventory", __name__)


def inventory_rows(
    fiscal_year: int | None, province: str | None, project: str | None
) -> list[dict]:
    return list_items(core(), fiscal_year=fiscal_year, province=province, project=project)


@bp.get("/api/inventory")
@permission_required("inventory_read")
@api.validate(query=InventoryQuery, resp=Answers(HTTP_200=InventoryList), security=STAFF)
@replica_readable
def inventory():
    """Inventory items with counts received"""
    asked = request.context.query
    items = inventory_rows(asked.fiscal_year or None, asked.province, asked.project)
    return jsonify({"items": items})


@bp.get("/api/inventory/template")
@api.validate(resp=Answers(), security=STAFF)
@permission_required("inventory_read")
@files("200", "XLSX", XLSX)
def inventory_template():
    """The XLSX template for inventory lists"""
    data = template_xlsx()
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": "attachment; filename=inventory-template.xlsx; "
            "filename*=UTF-8''%E0%B9%81%E0%B8%9A%E0%B8%9A%E0%B8%9F%E0%B8%AD%E0%B8%A3%E0%B9%8C"
            "%E0%B8%A1%E0%B8%9A%E0%B8%B1%E0%B8%8D%E0%B8%8A%E0%B8%B5.xlsx"
        },
    )


@bp.post("/api/inventory/import")
@permission_required("inventory_manage")
@api.validate(form=ImportForm, resp=Answers(HTTP_200=ImportResult), security=STAFF)
def inventory_import():
    """Import an inventory list (XLSX or CSV; strategy, admin)"""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error(400, "no_file", "ไม่มีไฟล์บัญชี", "send the inventory file in 'file'")
    try:
        result = run_import(
            core(),
            upload,
            agent=g.principal.agent,
            strict=_flag(request.form.get("strict")),
            prune=_flag(request.form.get("prune")),
        )
    except ValueError as exc:
        return error(400, "bad_inventory", f"ไฟล์บัญชีไม่ถูกต้อง: {exc}", f"bad inventory file: {exc}")
    return jsonify(_jsonable(result))


def _flag(value) -> bool:
    """A form or JSON yes/no as scripts and forms send it."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "ใช่")


@bp.post("/api/inventory/retire")
@api.validate(json=RetireBody, resp=Answers(HTTP_200=RetireResult), security=STAFF)
@permission_required("inventory_manage")
def inventory_retire():
    """Retire (withdraw) items: they leave the gap report and the suggestions, keep their
    links and history (strategy, admin)"""
    body = request.get_json(silent=True) or {}
    codes = body.get("codes") if isinstance(body, dict) else None
    if isinstance(codes, str):
        codes = [codes]
    if not codes or not all(isinstance(c, str) and c.strip() for c in codes):
        return error(400, "codes_required", "กรุณาระบุรหัสรายการ", "codes (a list) is required")
    reason = body.get("reason")
    result = retire_items(
        core(), [c.strip() for c in codes], agent=g.principal.agent, reason=reason or None
    )
    return jsonify(result)


@bp.get("/api/inventory/deadlines/<int(min=2400, max=2700):fiscal_year>")
@api.validate(resp=Answers(HTTP_200=ProcessDeadlines), security=STAFF)
@permission_required("inventory_read")
@replica_readable
def inventory_deadlines(fiscal_year: int):
    """The process deadlines of a fiscal year (inventory to DSSS, DSSS to the cluster
    office)"""
    return jsonify(_jsonable(process_deadlines(core(), fiscal_year)))


@bp.put("/api/inventory/deadlines/<int(min=2400, max=2700):fiscal_year>")
@api.validate(json=DeadlinesBody, resp=Answers(HTTP_200=ProcessDeadlines), security=STAFF)
@permission_required("inventory_manage")
def set_inventory_deadlines(fiscal_year: int):
    """Set a fiscal year's process deadlines (strategy, admin), dates as staff write them
    ('๓๑ ต.ค. ๒๕๖๒')"""
    body = request.get_json(silent=True) or {}
    values = {
        name: str(body[name]).strip()
        for name in ("inventory_to_dsss", "dsss_to_cluster")
        if isinstance(body, dict) and body.get(name)
    }
    if not values:
        return error(
            400,
            "bad_argument",
            "กรุณาระบุ inventory_to_dsss หรือ dsss_to_cluster",
            "send inventory_to_dsss and/or dsss_to_cluster",
        )
    try:
        data = set_process_deadlines(core(), fiscal_year, **values)
    except ValueError:
        return error(400, "bad_date", "อ่านวันที่ไม่ได้", "unreadable date")
    return jsonify(_jsonable(data))
