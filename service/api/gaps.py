"""The gap report: what each project still owes, as JSON, CSV or XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from service.api.common import (
    BadArgument,
    ProvinceRefused,
    _jsonable,
    _not_available,
    _optional,
)
from service.api_models.inventory import GapQuery, GapReport
from service.api_models.spec import STAFF, XLSX, Answers, api, files, read_query
from service.auth import permission_required
from service.context import core

bp = Blueprint("gaps", __name__)


def gap_params(args) -> dict:
    """Parameters of a gap report; a dsss officer's report is always their province's."""
    from indexer.thai.dates import parse_thai_date

    # read from ``args``, not the query string: the page fills in its default year there
    asked = read_query(GapQuery, args)
    params = {"fiscal_year": asked.fiscal_year}
    for key in ("cluster", "province", "agency", "project"):
        if getattr(asked, key):
            params[key] = getattr(asked, key)
    if asked.as_of:
        # as staff write dates: '๑ ธ.ค. ๒๕๖๒', '1/12/2562', ISO (the same parser as the CLI)
        params["as_of"] = parse_thai_date(asked.as_of)
        if params["as_of"] is None:
            raise BadArgument("as_of")
    principal = g.principal
    if principal.role == "dsss":
        if params.get("province") and params["province"] != principal.province:
            raise ProvinceRefused()
        if not principal.province:
            raise ProvinceRefused()
        params["province"] = principal.province
    return params


@bp.get("/api/gaps")
@permission_required("gaps")
@api.validate(query=GapQuery, resp=Answers(HTTP_200=(GapReport, "the report")), security=STAFF)
@files("200", "the report", "text/csv", XLSX)
def gaps():
    """Gap report: expected against received (dsss: own province only)"""
    gaps_module = _optional("indexer.inventory.gaps")
    if gaps_module is None:
        return _not_available()
    params = gap_params(request.args)
    fmt = request.context.query.format
    report = gaps_module.gap_report(core(), **params)
    if fmt == "json":
        return jsonify(_jsonable(report))
    reports = _optional("indexer.inventory.reports")
    if reports is None:
        return _not_available()
    name = f"gaps-{params['fiscal_year']}"
    if fmt == "csv":
        return Response(
            reports.gaps_csv(report),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    from indexer.inventory.report_settings import BadReportSetting, report_digits

    try:
        digits = report_digits(core(), request.args.get("digits"))
    except BadReportSetting:
        raise BadArgument("digits") from None
    return Response(
        reports.gaps_xlsx(report, digits=digits),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
    )
