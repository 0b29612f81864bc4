"""What arrives for ingestion and what becomes of each file: a ``Source`` (a path on disk,
named as it arrived) and its ``FileResult`` (ingested, duplicate, stored without text, or
rejected with a reason). Shared by the pipeline and the bundle unpacker, which makes new
Sources from a bundle's members.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer.names import readable_name

INGESTED = "ingested"
DUPLICATE = "duplicate"
WITHOUT_TEXT = "stored-without-text"
REJECTED = "rejected"

# Files that operating systems leave in folders and bundles; they are nobody's deliverable.
JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
JUNK_DIRS = {"__macosx"}


@dataclass
class Source:
    """One file to ingest: a path on disk, named as it arrived."""

    local_path: Path
    original_name: str
    display_path: str  # what the user gave, or "bundle.zip/inner/path.pdf"
    source_path: str | None = None
    bundle_path: str | None = None  # path inside the bundle it came from
    bundle_document_id: int | None = None
    bundle_sha256: str | None = None
    bundle_tool: str | None = None


@dataclass
class FileResult:
    path: str
    status: str
    document_id: int | None = None
    sha256: str | None = None
    error: str | None = None
    filename: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "document_id": self.document_id,
            "status": self.status,
            "sha256": self.sha256,
            "error": self.error,
            "filename": self.filename,
            "warnings": self.warnings,
        }

    @property
    def ok(self) -> bool:
        return self.status in (INGESTED, DUPLICATE)


def is_junk(name: str) -> bool:
    parts = [p.lower() for p in re.split(r"[\\/]", name) if p]
    return bool(parts) and (parts[-1] in JUNK_NAMES or any(p in JUNK_DIRS for p in parts))


def _source(path: Path, name: str, shown: str) -> Source:
    """A file found on disk; its names as the sender wrote them (see indexer.names)."""
    return Source(
        path,
        readable_name(name),
        readable_name(shown),
        source_path=readable_name(str(path.resolve())),
    )


def _refused(shown: str, code: str, name: str) -> FileResult:
    return FileResult(
        readable_name(shown), REJECTED, error=message(code), filename=readable_name(name)
    )


def expand_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Source | FileResult]:
    """Files and folders to Sources, in a stable order; problems become rejected results."""
    for given in paths:
        path = Path(given)
        shown = str(given)
        if path.is_symlink():
            yield _refused(shown, "symlink", path.name)
        elif path.is_dir():
            found = False
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d.lower() not in JUNK_DIRS)
                for name in sorted(files):
                    full = Path(root) / name
                    if is_junk(name):
                        continue
                    found = True
                    if full.is_symlink():
                        yield _refused(str(full), "symlink", name)
                        continue
                    yield _source(full, name, str(full))
                # Symbolic links to folders are listed in dirs; refuse them visibly.
                for name in list(dirs):
                    if (Path(root) / name).is_symlink():
                        dirs.remove(name)
                        found = True
                        yield _refused(str(Path(root) / name), "symlink", name)
            if not found:
                yield _refused(shown, "empty-folder", path.name)
        elif path.exists():
            yield _source(path, path.name, shown)
        else:
            yield _refused(shown, "missing", path.name)


MESSAGES = {
    "missing": "ไม่พบไฟล์หรือโฟลเดอร์นี้ (no such file or folder)",
    "empty-folder": "โฟลเดอร์นี้ไม่มีไฟล์ (the folder contains no files)",
    "symlink": "ไม่รับลิงก์สัญลักษณ์ (symbolic links are not followed)",
    "zero-byte": "ไฟล์ว่าง ขนาด 0 ไบต์ (zero-byte file)",
    "unreadable": "อ่านไฟล์ไม่ได้ (the file cannot be read: {reason})",
    "no-space": "ที่เก็บต้นฉบับเต็ม ไฟล์นี้ยังไม่ถูกเก็บ นำเข้าใหม่เมื่อเพิ่มพื้นที่แล้ว "
    "(the store is out of space: {reason}; the file was not kept, ingest it again once "
    "space is freed)",
    "too-large": "ไฟล์ใหญ่เกินขนาดที่กำหนด {limit} ไบต์ (file is over the size limit)",
    "not-a-file": "ไม่ใช่ไฟล์ปกติ (not a regular file)",
    "unexpected": "เกิดข้อผิดพลาดที่ไม่คาดคิดกับไฟล์นี้ รายละเอียดอยู่ในบันทึกของระบบ "
    "(unexpected error: {error}; the traceback is in the log)",
}


def message(code: str, **values) -> str:
    return MESSAGES[code].format(**values)


def unexpected_error(exc: BaseException) -> str:
    """The per-file reason for an error no check foresaw (the traceback goes to the log)."""
    return message("unexpected", error=f"{type(exc).__name__}: {exc}"[:500])
