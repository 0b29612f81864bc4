"""What every page shares: labels of letter fields and facts (the code labels are in
schemas.labels), and the template context (who is asking, label functions, URLs for a
language or a changed search).
"""

from __future__ import annotations

from flask import g, request, url_for

from schemas.labels import CATEGORY_TH as CATEGORY_LABELS
from schemas.labels import EVENT_EN as EVENT_LABELS_EN
from schemas.labels import EVENT_TH as EVENT_LABELS_TH
from schemas.labels import GAP_FLAG_TH, GAP_STATUS_TH
from schemas.labels import INGEST_STATUS_TH as STATUS_LABELS
from schemas.labels import KIND_TH as KIND_LABELS_TH
from service.actions.publication import STATE_LABELS
from service.i18n import current_lang
from service.report_format import figure

PAGE_SIZE = 20
LETTER_FIELDS = [
    ("number", "ที่"),
    ("urgency", "ชั้นความเร็ว"),
    ("office", "ส่วนราชการ"),
    ("date", "วันที่"),
    ("subject", "เรื่อง"),
    ("addressee", "เรียน"),
    ("references", "อ้างถึง"),
    ("enclosures", "สิ่งที่ส่งมาด้วย"),
    ("signatory", "ผู้ลงนาม"),
    ("position", "ตำแหน่ง"),
    ("contact", "ติดต่อ"),
]
FACT_FIELDS = [
    ("provinces", "จังหวัด"),
    ("districts", "อำเภอ"),
    ("projects", "โครงการ"),
    ("activities", "กิจกรรม"),
    ("deadlines", "กำหนดเวลา"),
    ("amounts", "จำนวนเงิน"),
]


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        for key in ("raw", "text", "district", "unit"):
            if value.get(key):
                extra = value.get("province") or value.get("phone")
                return f"{value[key]} ({extra})" if extra else str(value[key])
        return ", ".join(f"{v}" for v in value.values() if v)
    if isinstance(value, list | tuple):
        return "; ".join(_as_text(v) for v in value if v)
    return str(value)


def _date_text(value) -> str:
    from service.report_format import thai_date

    try:
        return thai_date(value)
    except Exception:
        return str(value)


def letter_rows(letter: dict) -> list[tuple[str, str]]:
    rows = []
    for key, label in LETTER_FIELDS:
        value = letter.get(key)
        if not value:
            continue
        text = _date_text(value) if key == "date" and isinstance(value, str) else _as_text(value)
        rows.append((label, text))
    return rows


def fact_rows(meta: dict) -> list[tuple[str, list[str]]]:
    rows = []
    for key, label in FACT_FIELDS:
        values = meta.get(key) or []
        if not values:
            continue
        if key == "deadlines":
            shown = [
                f"{_date_text(d['date']) if d.get('date') else ''} {d.get('sentence') or ''}".strip()
                for d in values
                if isinstance(d, dict)
            ]
        else:
            shown = [_as_text(v) for v in values]
        rows.append((label, [v for v in shown if v][:12]))
    return rows


def kind_label(kind: str | None) -> str:
    if current_lang() == "en":
        return (kind or "").replace("-", " ")
    return KIND_LABELS_TH.get(kind, kind or "")


def facet_value_label(field: str, value) -> str:
    if field == "kind":
        return kind_label(value)
    if field == "category" and current_lang() == "th":
        return CATEGORY_LABELS.get(value, value)
    if field == "fiscal_year":
        return figure(value)
    if field == "has_deadline":
        yes = value in ("yes", True, "true")
        if current_lang() == "th":
            return "มี" if yes else "ไม่มี"
        return "yes" if yes else "no"
    return str(value)


def event_label(event: str) -> str:
    if current_lang() == "en":
        return EVENT_LABELS_EN.get(event, event)
    return EVENT_LABELS_TH.get(event, event)


def layout_context() -> dict:
    """What every template may use (registered for the whole app in service.pages)."""
    return {
        "principal": getattr(g, "principal", None),
        "kind_label": kind_label,
        "facet_value_label": facet_value_label,
        "event_label": event_label,
        "state_labels": STATE_LABELS,
        "status_labels": STATUS_LABELS,
        "category_labels": CATEGORY_LABELS,
        "gap_status_labels": GAP_STATUS_TH,
        "gap_flag_labels": GAP_FLAG_TH,
        "lang_url": _lang_url,
        "search_url": _search_url,
    }


def _search_url(**changes) -> str:
    """The search page's URL with some parameters changed (None removes one); any change
    other than the page number goes back to page 1."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("pages.search.search", **args)


def _lang_url(lang: str) -> str:
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return url_for(request.endpoint or "pages.search.search", **(request.view_args or {}), **args)
