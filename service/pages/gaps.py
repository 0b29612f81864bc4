"""The gap report page and its printable A4 version."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from service.actions import gaps as gap_actions
from service.actions.common import jsonable
from service.auth import permission_required
from service.context import core
from service.errors import BadArgument

bp = Blueprint("gaps", __name__)


@bp.get("/gaps")
@permission_required("gaps")
def gaps():
    return _gaps_page("gaps.html")


@bp.get("/gaps/print")
@permission_required("gaps")
def gaps_print():
    return _gaps_page("gaps_print.html")


def _gaps_page(template: str):
    from service.inventory_view import fiscal_years

    years = fiscal_years(core())
    args = request.args.to_dict()
    if not args.get("fiscal_year") and years:
        args["fiscal_year"] = str(years[0])
    report, params, problem = None, {}, None
    if args.get("fiscal_year"):
        try:
            params = gap_actions.gap_params(args)
        except BadArgument as exc:
            problem = exc.name
        except gap_actions.ProvinceRefused:
            abort(403)
        else:
            report = jsonable(gap_actions.report(params))
    export_args = {k: v for k, v in args.items() if k != "lang" and v}
    from indexer.inventory.report_settings import logo_path, report_settings

    page = render_template(
        template,
        office={**report_settings(core()), "has_logo": logo_path(core()).exists()},
        report=report,
        params=params,
        years=years,
        problem=problem,
        args=args,
        export_args=export_args,
    )
    # a parameter the user typed that cannot be read is their request's fault: 400, with
    # the form and its reason shown, as the API answers the same parameters
    return page, 400 if problem in ("fiscal_year", "as_of") else 200
