"""The gap report worded for people: Thai companions beside the codes and dates.

The report's data carries codes (``status``, ``flags``) and ISO dates; the JSON the API
and ``khlang gaps --json`` answer has always carried ``*_th`` companions beside them
(``status_th``, ``due_date_th``, ``flags_th``...), each right after the field it words.
They are added here, from the catalogue (schemas.labels), and nowhere else.
"""

from __future__ import annotations

from indexer.inventory.reports import thai_date as short_thai_date
from schemas.labels import GAP_FLAG_TH, GAP_STATUS_TH


def thai_date(value: str | None) -> str | None:
    """'2019-10-31' -> '๓๑ ต.ค. ๒๕๖๒' (the short form staff write, as the exports); None
    stays None in the JSON."""
    return short_thai_date(value) or None


# field -> how its companion field_th is worded
_WORDING = {
    "status": GAP_STATUS_TH.__getitem__,
    "flags": lambda flags: [GAP_FLAG_TH[f] for f in flags],
    "as_of": thai_date,
    "due_date": thai_date,
    "arrived": thai_date,
    "date": thai_date,
}


def _worded(data: dict) -> dict:
    """``data`` with each known field followed by its ``_th`` companion."""
    out = {}
    for key, value in data.items():
        out[key] = value
        if key in _WORDING:
            out[f"{key}_th"] = _WORDING[key](value)
    return out


def with_thai(report: dict) -> dict:
    """The report with its Thai companions, in the order its JSON has always had."""
    worded = _worded(report)
    worded["deadlines"] = {name: _worded(d) for name, d in report["deadlines"].items()}
    worded["items"] = [
        _worded(item) | {"documents": [_worded(d) for d in item["documents"]]}
        for item in report["items"]
    ]
    worded["unexpected"] = [_worded(d) for d in report["unexpected"]]
    worded["projects"] = [_worded(p) for p in report["projects"]]
    return worded
