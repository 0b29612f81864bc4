"""The gap report: what each project still owes, as JSON, CSV or XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from indexer.inventory import reports
from indexer.inventory.report_settings import BadReportSetting, report_digits
from service.actions.gaps import gap_params
from service.actions.gaps import report as gap_report
from service.api.common import BadArgument, _jsonable
from service.api_models.inventory import GapQuery, GapReport
from service.api_models.spec import STAFF, XLSX, Answers, api, files
from service.auth import permission_required
from service.context import core
from service.read_your_writes import replica_readable

bp = Blueprint("gaps", __name__)


@bp.get("/api/gaps")
@permission_required("gaps")
@api.validate(query=GapQuery, resp=Answers(HTTP_200=(GapReport, "the report")), security=STAFF)
@files("200", "the report", "text/csv", XLSX)
@replica_readable
def gaps():
    """Gap report: expected against received (dsss: own province only)"""
    params = gap_params(request.args)
    fmt = request.context.query.format
    report = gap_report(params)
    if fmt == "json":
        return jsonify(_jsonable(report))
    name = f"gaps-{params['fiscal_year']}"
    if fmt == "csv":
        return Response(
            reports.gaps_csv(report),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    try:
        digits = report_digits(core(), request.args.get("digits"))
    except BadReportSetting:
        raise BadArgument("digits") from None
    return Response(
        reports.gaps_xlsx(report, digits=digits),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
    )
