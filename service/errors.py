"""Typed errors and the one place that turns them into an answer.

Actions (service.actions) raise ``KhlangError(status, code, message_th, message_en)``;
the API answers it as ``{"error": {"code", "message" (Thai), "message_en"}}`` and the pages
as the Thai (or English) error page with the reason. A page whose flow says a refusal
differently (a flash on the page it came from) catches the error itself.

May import: flask, werkzeug and service.i18n, so every module of the service can raise these.
"""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class KhlangError(Exception):
    """A refusal the asker can act on: HTTP status, stable code, Thai and English reason,
    and any headers the answer needs (Retry-After)."""

    def __init__(
        self,
        status: int,
        code: str,
        message_th: str,
        message_en: str,
        *,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message_en)
        self.status, self.code = status, code
        self.message_th, self.message_en = message_th, message_en
        self.headers = dict(headers or {})

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_th


HTTP_ERRORS = {
    400: ("bad_request", "คำขอไม่ถูกต้อง", "bad request"),
    401: ("unauthorized", "ต้องเข้าสู่ระบบหรือใช้โทเคน", "log in or send an API token"),
    403: ("forbidden", "ไม่มีสิทธิ์ทำรายการนี้", "not allowed for your role or province"),
    404: ("not_found", "ไม่พบรายการที่ขอ", "not found"),
    405: ("method_not_allowed", "ไม่รองรับวิธีเรียกนี้", "method not allowed"),
    409: ("conflict", "สถานะไม่ถูกต้องสำหรับรายการนี้", "conflict"),
    413: ("too_large", "ไฟล์หรือคำขอใหญ่เกินกำหนด", "request too large"),
}


def http_status(status: int) -> KhlangError:
    """The plain error of an HTTP status (401: log in, 403: not allowed, ...)."""
    return KhlangError(status, *HTTP_ERRORS[status])


class BadArgument(KhlangError):
    """A parameter the asker sent that cannot be read or is out of range."""

    def __init__(self, name: str):
        super().__init__(400, "bad_argument", f"ค่า {name} ไม่ถูกต้อง", f"invalid value for {name}")
        self.name = name


def error(status: int, code: str, message_th: str, message_en: str):
    """Errors are JSON with a stable code and a message in Thai and English."""
    response = jsonify({"error": {"code": code, "message": message_th, "message_en": message_en}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="khlang"'
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def khlang_error_response(exc: KhlangError):
    """The one answer to a KhlangError: JSON under /api/, the error page elsewhere."""
    if _is_api():
        response = error(exc.status, exc.code, exc.message_th, exc.message_en)
    else:
        from service.i18n import current_lang

        page = render_template("error.html", status=exc.status, reason=exc.message(current_lang()))
        response = Flask.response_class(page, status=exc.status, mimetype="text/html")
    response.headers.update(exc.headers)
    return response


def http_error_response(exc: HTTPException):
    """API paths answer JSON; pages answer an HTML page in the user's language."""
    status = exc.code or 500
    if _is_api():
        code, th, en = HTTP_ERRORS.get(status, ("error", "เกิดข้อผิดพลาด", exc.name.lower()))
        if status == 401 and getattr(g, "auth_error", None) == "bad_token":
            code, th, en = "bad_token", "โทเคนไม่ถูกต้องหรือถูกยกเลิก", "unknown or revoked token"
        return error(status, code, th, en)
    return render_template("error.html", status=status), status


def refuse_csrf():
    if request.path.startswith("/api/"):
        return error(
            400,
            "csrf_failed",
            "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
            "missing or wrong CSRF token; reload the page",
        )
    return render_template("error.html", status=400, csrf=True), 400


def register(app: Flask) -> None:
    app.register_error_handler(KhlangError, khlang_error_response)
    app.register_error_handler(HTTPException, http_error_response)
