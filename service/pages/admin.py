"""The admin's pages for users and API tokens (the same core as the API and the CLI:
service.actions.accounts). Thai first; English with ?lang=en."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from service import i18n
from service.actions import accounts
from service.auth import ROLE_LABELS, ROLES, permission_required
from service.context import core

bp = Blueprint("admin", __name__)

i18n.EN.update(
    {
        "ผู้ใช้และโทเคน": "Users and tokens",
        "ผู้ใช้": "Users",
        "โทเคนสำหรับสคริปต์": "API tokens",
        "เพิ่มผู้ใช้": "Add a user",
        "ชื่อผู้ใช้": "User name",
        "บทบาท": "Role",
        "จังหวัด": "Province",
        "จังหวัด (เฉพาะ DSSS)": "Province (DSSS only)",
        "รหัสผ่าน": "Password",
        "รหัสผ่านใหม่": "New password",
        "อย่างน้อย ๘ ตัวอักษร": "at least 8 characters",
        "สถานะ": "Status",
        "ใช้งาน": "Active",
        "ปิดใช้งาน": "Deactivated",
        "ปิดบัญชี": "Deactivate",
        "เปิดบัญชี": "Reactivate",
        "บันทึก": "Save",
        "สร้างเมื่อ": "Created",
        "ใช้ล่าสุด": "Last used",
        "ยังไม่เคยใช้": "Never used",
        "ชื่อโทเคน": "Token name",
        "สร้างโทเคน": "Create a token",
        "ยกเลิกโทเคน": "Revoke",
        "ยกเลิกแล้ว": "Revoked",
        "เก็บโทเคนนี้ไว้ จะไม่แสดงอีก": "Keep this token: it is not shown again",
        "ส่งเป็น": "Send it as",
        "การเปลี่ยนบทบาท จังหวัด หรือรหัสผ่าน ทำให้ผู้ใช้ต้องเข้าสู่ระบบใหม่": (
            "A new role, province or password signs the user out everywhere"
        ),
        "ประวัติการจัดการบัญชี": "Account history",
        "ผู้ทำ": "By",
        "หน้าของรายชื่อผู้ใช้": "Pages of the user list",
        "เมื่อ": "When",
        "รายละเอียด": "Details",
        "เพิ่มผู้ใช้แล้ว": "User added",
        "บันทึกการเปลี่ยนแปลงแล้ว": "Changes saved",
        "ยกเลิกโทเคนแล้ว": "Token revoked",
    }
)


def _message(exc: accounts.AccountError) -> str:
    return exc.message_en if i18n.current_lang() == "en" else exc.message_th


USERS_PER_PAGE = 50  # an office with hundreds of officers: one screen at a time


def _accounts_page(status: int = 200, **extra):
    pages = max(1, -(-accounts.count_users(core()) // USERS_PER_PAGE))
    asked = request.args.get("page", "1")
    page_number = min(pages, max(1, int(asked))) if asked.isdigit() else 1
    page = render_template(
        "admin_accounts.html",
        users=accounts.list_users(
            core(), offset=(page_number - 1) * USERS_PER_PAGE, limit=USERS_PER_PAGE
        ),
        users_page=page_number,
        users_pages=pages,
        tokens=accounts.list_tokens(core()),
        history=accounts.recent_account_events(core()),
        roles=ROLES,
        role_labels=ROLE_LABELS,
        **extra,
    )
    return page, status


@bp.get("/admin/accounts")
@permission_required("accounts")
def accounts_page():
    return _accounts_page()


@bp.post("/admin/users")
@permission_required("accounts")
def add_user():
    form = request.form
    try:
        accounts.create_user(
            core(),
            form.get("name", ""),
            form.get("role", ""),
            form.get("password", ""),
            form.get("province"),
            agent=g.principal.agent,
        )
    except accounts.AccountError as exc:
        # the form comes back with what was typed (but the password) and the reason
        return _accounts_page(exc.status, error=_message(exc), typed=form)
    flash("เพิ่มผู้ใช้แล้ว", "success")
    return redirect(url_for("admin.accounts_page") + "#users")


@bp.post("/admin/users/<name>")
@permission_required("accounts")
def change_user(name: str):
    form = request.form
    changes: dict = {}
    if form.get("role"):
        changes["role"] = form["role"]
    if "province" in form:
        changes["province"] = form["province"] or None
    if form.get("password"):
        changes["password"] = form["password"]
    if form.get("active") in ("0", "1"):
        changes["active"] = form["active"] == "1"
    try:
        accounts.change_user(core(), name, agent=g.principal.agent, **changes)
    except accounts.AccountError as exc:
        return _accounts_page(exc.status, error=_message(exc))
    flash("บันทึกการเปลี่ยนแปลงแล้ว", "success")
    return redirect(url_for("admin.accounts_page") + "#users")


@bp.post("/admin/tokens")
@permission_required("accounts")
def add_token():
    form = request.form
    try:
        created = accounts.create_token(
            core(),
            form.get("name", ""),
            form.get("role", ""),
            form.get("province"),
            agent=g.principal.agent,
        )
    except accounts.AccountError as exc:
        return _accounts_page(exc.status, error=_message(exc), typed_token=form)
    # shown in this answer only, never kept in the session cookie or a flash message
    return _accounts_page(201, new_token=created)


@bp.post("/admin/tokens/<int:token_id>/revoke")
@permission_required("accounts")
def revoke_token(token_id: int):
    try:
        accounts.revoke_token(core(), token_id, agent=g.principal.agent)
    except accounts.AccountError as exc:
        return _accounts_page(exc.status, error=_message(exc))
    flash("ยกเลิกโทเคนแล้ว", "success")
    return redirect(url_for("admin.accounts_page") + "#tokens")
