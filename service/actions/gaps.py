"""The gap report's parameters as the asker may have them, and the report itself."""

from __future__ import annotations

from flask import g

from indexer.inventory.gaps import gap_facts, gap_report
from indexer.thai.dates import parse_thai_date
from service.api_models.inventory import GapQuery
from service.api_models.spec import read_query
from service.context import core
from service.errors import BadArgument, KhlangError


class ProvinceRefused(KhlangError):
    """A dsss officer asked for another province's report (or has no province)."""

    def __init__(self):
        super().__init__(
            403,
            "forbidden",
            "ดูรายงานได้เฉพาะจังหวัดที่รับผิดชอบ",
            "you may see your own province only",
        )


def gap_params(args) -> dict:
    """Parameters of a gap report; a dsss officer's report is always their province's."""
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


def report(params: dict) -> dict:
    """The gap report for ``gap_params``' parameters."""
    return gap_report(core(), **params)


def facts(params: dict) -> dict:
    """The same report in codes only, for the pages, which word it themselves."""
    return gap_facts(core(), **params)
