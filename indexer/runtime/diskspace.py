"""Out of disk space: recognised wherever it surfaces, and said the same way.

A full disk shows as ``OSError(ENOSPC)`` (or EDQUOT, a quota) from a file write, as
SQLite's "database or disk is full", or as PostgreSQL's DISK FULL (SQLSTATE 53100), often
wrapped by SQLAlchemy or re-raised by a worker process. Each affected file gets this
reason; what was stored stays stored, and documents not yet indexed are indexed by the next
ingest or service start.
"""

from __future__ import annotations

import errno
import sqlite3

NO_SPACE = (
    "พื้นที่ดิสก์ของคลังเต็ม จึงบันทึกไฟล์นี้ไม่ได้ ให้ผู้ดูแลเพิ่มพื้นที่แล้วนำเข้าอีกครั้ง "
    "(no space left on the archive's disk; free some space and ingest the file again)"
)
NOT_YET_SEARCHABLE = (
    "เก็บไฟล์แล้วแต่ยังค้นหาไม่ได้ เพราะพื้นที่ดิสก์เต็มขณะทำดัชนี จะทำดัชนีให้เองเมื่อนำเข้าครั้งถัดไป"
    "หรือเมื่อเริ่มบริการใหม่ (stored, but not yet searchable: the disk filled up while indexing; "
    "it is indexed by the next ingest or service start)"
)
_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL = "database or disk is full"
_POSTGRES_DISK_FULL = "53100"


def is_no_space(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it wraps or was raised from) is a full disk."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _ERRNOS:
            return True
        if isinstance(exc, sqlite3.OperationalError) and _SQLITE_FULL in str(exc):
            return True
        if getattr(exc, "sqlstate", None) == _POSTGRES_DISK_FULL:
            return True
        if _SQLITE_FULL in str(exc) or "No space left on device" in str(exc):
            return True  # re-raised by the indexing process as a RuntimeError naming it
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False
