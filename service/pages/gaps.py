"""The gap report page and its printable A4 version."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from service.actions import gaps as gap_actions
from service.actions.common import jsonable
from service.auth import permission_required
from service.context import core
from service.errors import BadArgument
from service.read_your_writes import replica_readable

bp = Blueprint("gaps", __name__)


@bp.get("/gaps")
@permission_required("gaps")
@replica_readable
def gaps():
    return _gaps_page("gaps.html")


@bp.get("/gaps/print")
@permission_required("gaps")
@replica_readable
def gaps_print():
    return _gaps_page("gaps_print.html")


def _gaps_page(template: str):
    from service.actions.inventory import fiscal_years

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
            report = jsonable(gap_actions.facts(params))
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


def gaps_print_page(core, report: dict, params: dict, *, lang: str = "th") -> str:
    """The printable A4 gap report (the /gaps/print page: its template, chart and tables) as
    one HTML file that stands on its own, for `khlang gaps --format html`: the stylesheet
    is written into the page. Rendered by the web service's own app, so the page and the
    file never differ."""
    from pathlib import Path

    from flask import g, render_template

    from indexer.inventory.report_settings import report_settings
    from service import create_app
    from service.auth import ANONYMOUS

    app = create_app(
        {
            "KHLANG_DATA_DIR": str(core.settings.data_dir),
            "KHLANG_DATABASE_URL": core.settings.database_url,
            "KHLANG_REPAIR_INDEX_AT_START": False,
            "KHLANG_WARM_SEARCH": False,
            # a short-lived CLI process: it must not take over interrupted upload jobs
            "KHLANG_RESUME_JOBS_AT_START": False,
            "SECRET_KEY": "unused: no session is opened",
        }
    )
    css = (Path(app.static_folder) / "css" / "khlang.css").read_text(encoding="utf-8")
    try:
        with app.test_request_context("/gaps/print", query_string={"lang": lang}):
            g.principal = ANONYMOUS
            return render_template(
                "gaps_print.html",
                report=report,
                params=params,
                problem=None,
                inline_css=css,
                office=report_settings(core),
            )
    finally:
        app.extensions["khlang"].dispose()
