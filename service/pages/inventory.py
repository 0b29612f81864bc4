"""The inventory page: the items of a fiscal year, and importing a file."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, render_template, request

from service.auth import permission_required
from service.context import core
from service.i18n import current_lang
from service.read_your_writes import replica_readable

bp = Blueprint("inventory", __name__)


@bp.route("/inventory", methods=["GET", "POST"])
@permission_required("inventory_read")
@replica_readable  # the GET; an import (POST) is the primary's
def inventory():
    from service.actions.inventory import fiscal_years, list_items, run_import

    import_result = None
    if request.method == "POST":
        if not g.principal.can("inventory_manage"):
            abort(403)
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            flash("กรุณาเลือกไฟล์บัญชี" if current_lang() == "th" else "Choose a file", "error")
        else:
            try:
                import_result = run_import(core(), upload_file, agent=g.principal.agent)
            except ValueError as exc:
                flash(str(exc), "error")
    years = fiscal_years(core())
    try:
        fiscal_year = int(request.args.get("fiscal_year") or 0) or None
    except ValueError:
        fiscal_year = None
    if fiscal_year is None and years and "fiscal_year" not in request.args:
        fiscal_year = years[0]
    province = (request.args.get("province") or "").strip() or None
    project = (request.args.get("project") or "").strip() or None
    items = list_items(core(), fiscal_year=fiscal_year)
    provinces = sorted({i["province"] for i in items if i.get("province")})
    projects = sorted({i["project"] for i in items if i.get("project")})
    if province:
        items = [i for i in items if i.get("province") == province]
    if project:
        items = [i for i in items if i.get("project") == project]
    return render_template(
        "inventory.html",
        items=items,
        years=years,
        fiscal_year=fiscal_year,
        province=province,
        project=project,
        provinces=provinces,
        projects=projects,
        import_result=import_result,
    )
