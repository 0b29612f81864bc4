"""What every API route shares: the error answer, the HTTP errors' codes, the refusal of
a wrong argument, and turning results into JSON.
"""

from __future__ import annotations

from flask import g, jsonify, request
from werkzeug.exceptions import HTTPException


def error(status: int, code: str, message_th: str, message_en: str):
    """Errors are JSON with a stable code and a message in Thai and English."""
    response = jsonify({"error": {"code": code, "message": message_th, "message_en": message_en}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="khlang"'
    return response


HTTP_ERRORS = {
    400: ("bad_request", "คำขอไม่ถูกต้อง", "bad request"),
    401: ("unauthorized", "ต้องเข้าสู่ระบบหรือใช้โทเคน", "log in or send an API token"),
    403: ("forbidden", "ไม่มีสิทธิ์ทำรายการนี้", "not allowed for your role or province"),
    404: ("not_found", "ไม่พบรายการที่ขอ", "not found"),
    405: ("method_not_allowed", "ไม่รองรับวิธีเรียกนี้", "method not allowed"),
    409: ("conflict", "สถานะไม่ถูกต้องสำหรับรายการนี้", "conflict"),
    413: ("too_large", "ไฟล์หรือคำขอใหญ่เกินกำหนด", "request too large"),
}


def http_error_response(exc: HTTPException):
    """API paths answer JSON; pages answer an HTML page in the user's language."""
    status = exc.code or 500
    if request.path.startswith("/api/") or request.path == "/healthz":
        code, th, en = HTTP_ERRORS.get(status, ("error", "เกิดข้อผิดพลาด", exc.name.lower()))
        if status == 401 and getattr(g, "auth_error", None) == "bad_token":
            code, th, en = "bad_token", "โทเคนไม่ถูกต้องหรือถูกยกเลิก", "unknown or revoked token"
        return error(status, code, th, en)
    from flask import render_template

    return render_template("error.html", status=status), status


def refuse_csrf():
    if request.path.startswith("/api/"):
        return error(
            400,
            "csrf_failed",
            "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
            "missing or wrong CSRF token; reload the page",
        )
    from flask import render_template

    return render_template("error.html", status=400, csrf=True), 400


class BadArgument(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _not_found():
    return error(404, "not_found", "ไม่พบเอกสาร", "document not found")


def _optional(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _not_available():
    return error(503, "not_available", "ส่วนนี้ยังไม่พร้อมใช้งาน", "this part is not available yet")


def _jsonable(value):
    import dataclasses
    import datetime as dt

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


class ProvinceRefused(Exception):
    pass
