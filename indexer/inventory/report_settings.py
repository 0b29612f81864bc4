"""How reports look at this office, kept in the settings table so that the web, the CLI
and every worker agree: the digits for figures ('thai' ๒๕๖๒ or 'arabic' 2562) and the
office's heading printed on the gap report (name, address). Each change is a provenance
event (who, the old and the new value), as every other admin action is."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from indexer.records import provenance as ev
from schemas.models import Event, Setting

DIGITS = ("thai", "arabic")
KEYS = {
    "digits": "report.digits",
    "office_name": "report.office_name",
    "office_address": "report.office_address",
}
DEFAULTS = {"digits": "thai", "office_name": "", "office_address": ""}
MAX_LENGTH = {"office_name": 200, "office_address": 500}


class BadReportSetting(ValueError):
    def __init__(self, name: str, message_th: str, message_en: str):
        super().__init__(message_en)
        self.name, self.message_th, self.message_en = name, message_th, message_en


def report_settings(core) -> dict:
    """{'digits', 'office_name', 'office_address'}, defaults where never set."""
    return {name: core.get_setting(key) or DEFAULTS[name] for name, key in KEYS.items()}


def report_digits(core, chosen: str | None = None) -> str:
    """The digits asked for (a request's ``digits``), else the office's setting."""
    if chosen:
        check_digits(chosen)
        return chosen
    return report_settings(core)["digits"]


def check_digits(value: str) -> str:
    if value not in DIGITS:
        raise BadReportSetting(
            "digits",
            f"ตัวเลขต้องเป็น thai หรือ arabic ไม่ใช่ “{value}”",
            f"digits must be thai or arabic, not {value!r}",
        )
    return value


def set_report_settings(core, *, agent: str, **values: str | None) -> dict:
    """Change some settings (None leaves one as it is); the new settings. The changes are
    one event naming each setting's old and new value (none when nothing changed)."""
    checked = {}
    for name, value in values.items():
        if value is None:
            continue
        if name not in KEYS:
            raise BadReportSetting(name, f"ไม่มีค่าตั้ง “{name}”", f"no setting {name!r}")
        value = value.strip()
        if name == "digits":
            check_digits(value)
        elif len(value) > MAX_LENGTH[name]:
            raise BadReportSetting(
                name,
                f"ยาวเกิน {MAX_LENGTH[name]} ตัวอักษร",
                f"longer than {MAX_LENGTH[name]} characters",
            )
        checked[name] = value
    with core.transaction() as db:
        changes = {}
        for name, value in checked.items():
            row = db.get(Setting, KEYS[name])
            old = row.value if row else DEFAULTS[name]
            if old != value:
                changes[name] = [old, value]
            db.merge(Setting(key=KEYS[name], value=value))
        if changes:
            ev.record(db, ev.REPORT_SETTINGS_CHANGED, agent=agent, **changes)
    return report_settings(core)


def report_settings_history(core, limit: int = 20) -> list[dict]:
    """The changes to the report settings, newest first (for the admin's form)."""
    with core.sessions() as db:
        rows = db.scalars(
            select(Event)
            .where(Event.event_type == ev.REPORT_SETTINGS_CHANGED)
            .order_by(Event.id.desc())
            .limit(limit)
        )
        return [ev.event_as_dict(e) for e in rows]


# The office's logo for the report heading: a derived file beside the data (never an
# original), re-encoded as PNG at most LOGO_SIDE pixels wide and high.
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_SIDE = 600


def logo_path(core):
    return core.settings.data_dir / "derived" / "office-logo.png"


def _logo_digest(core) -> str | None:
    path = logo_path(core)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else None


def set_logo(core, data: bytes, filename: str, *, agent: str) -> None:
    """Store an uploaded logo (PNG, JPEG, GIF or WebP); a clear error otherwise. The event
    names the old and new logo by the start of their SHA-256 (an image is no text to show)
    and the uploaded file's name."""
    import io

    from PIL import Image, UnidentifiedImageError

    if len(data) > LOGO_MAX_BYTES:
        raise BadReportSetting(
            "logo",
            f"{filename}: ไฟล์ใหญ่เกิน {LOGO_MAX_BYTES // 1024 // 1024} MB",
            f"{filename}: larger than {LOGO_MAX_BYTES // 1024 // 1024} MB",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "GIF", "WEBP"):
                raise UnidentifiedImageError(image.format)
            if image.width * image.height > 40_000_000:  # a decompression bomb
                raise UnidentifiedImageError("too many pixels")
            image.thumbnail((LOGO_SIDE, LOGO_SIDE))
            out = io.BytesIO()
            image.convert("RGBA").save(out, "PNG")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise BadReportSetting(
            "logo",
            f"{filename}: ไม่ใช่ไฟล์ภาพ PNG, JPEG, GIF หรือ WebP",
            f"{filename}: not a PNG, JPEG, GIF or WebP image",
        ) from None
    old = _logo_digest(core)
    path = logo_path(core)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(out.getvalue())
    partial.replace(path)
    new = _logo_digest(core)
    if new != old:
        with core.transaction() as db:
            ev.record(
                db, ev.REPORT_SETTINGS_CHANGED, agent=agent, logo=[old, new], filename=filename
            )
