"""The administrator's form for how reports look: the office's heading printed on the gap
report (name, address) and the digits of every figure (Thai or Arabic). Kept in the
settings table (indexer.inventory.report_settings). Thai first; English with ?lang=en."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from indexer.inventory.report_settings import (
    LOGO_MAX_BYTES,
    BadReportSetting,
    logo_path,
    report_settings,
    report_settings_history,
    set_logo,
    set_report_settings,
)
from service import context, i18n
from service.auth import login_required

bp = Blueprint("report_settings", __name__)

i18n.EN.update(
    {
        "ตั้งค่ารายงาน": "Report settings",
        "ชื่อหน่วยงาน (หัวรายงาน)": "Office name (report heading)",
        "ที่อยู่หน่วยงาน": "Office address",
        "ตัวเลขในรายงานและหน้าเว็บ": "Digits on reports and pages",
        "เลขไทย (๒๕๖๒)": "Thai digits (๒๕๖๒)",
        "เลขอารบิก (2562)": "Arabic digits (2562)",
        "บันทึก": "Save",
        "บันทึกแล้ว": "Saved",
        "ตราหน่วยงาน (PNG หรือ JPEG)": "Office logo (PNG or JPEG)",
        "ตราหน่วยงาน": "Office logo",
        "ประวัติการตั้งค่ารายงาน": "Report settings history",
    }
)


@bp.route("/admin/reports", methods=["GET", "POST"])
@login_required
def report_settings_page():
    if g.principal.role != "admin":
        abort(403)
    core = context.core()
    status = 200
    if request.method == "POST":
        try:
            logo = request.files.get("logo")
            if logo and logo.filename:
                set_logo(
                    core, logo.read(LOGO_MAX_BYTES + 1), logo.filename, agent=g.principal.agent
                )
            set_report_settings(
                core,
                office_name=request.form.get("office_name", ""),
                office_address=request.form.get("office_address", ""),
                digits=request.form.get("digits") or "thai",
                agent=g.principal.agent,
            )
        except BadReportSetting as exc:
            message = exc.message_th if i18n.current_lang() == "th" else exc.message_en
            flash(f"{exc.name}: {message}", "error")
            status = 400
        else:
            flash(i18n.translate("บันทึกแล้ว"), "info")
            return redirect(url_for("report_settings.report_settings_page"))
    return render_template(
        "report_settings.html",
        settings=report_settings(core),
        has_logo=logo_path(core).exists(),
        history=report_settings_history(core),
    ), status


@bp.get("/office-logo.png")
@login_required
def office_logo():
    """The logo on the printed report (any signed-in user may print a report)."""
    path = logo_path(context.core())
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=300)
