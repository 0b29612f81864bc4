"""Legacy .doc, .xls and .ppt: converted by LibreOffice (`soffice`, when present) to their
modern forms, then read by the extractors of :mod:`.office`. Apart from them because it is
the one extractor that runs another program, with its own time limit and profile folder.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .model import Extraction, UnsoundFile
from .office import extract_docx, extract_pptx, extract_xlsx

SOFFICE_TIMEOUT = 180  # seconds

_LEGACY_TARGET = {
    "application/msword": "docx",
    "application/vnd.ms-excel": "xlsx",
    "application/vnd.ms-powerpoint": "pptx",
}


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _soffice_version(binary: str) -> str:
    try:
        done = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        words = done.stdout.split()
        return f"LibreOffice {words[1]}" if len(words) > 1 else "LibreOffice"
    except (OSError, subprocess.TimeoutExpired):
        return "LibreOffice"


def _legacy_target(path: Path, mime: str, filename: str | None = None) -> str:
    if mime in _LEGACY_TARGET:
        return _LEGACY_TARGET[mime]
    # libmagic names only "a compound file": the name the file came with tells which
    # kind (the stored copy's own path has no suffix).
    suffix = Path(filename or path.name).suffix.lower()
    return {".xls": "xlsx", ".ppt": "pptx"}.get(suffix, "docx")


# Every legacy Office file is an OLE2 compound file: with this header, a file LibreOffice
# cannot convert still looks sound, and is kept without text rather than refused.
OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


def _convert(binary: str, path: Path, target: str, workdir: Path) -> tuple[Path | None, str]:
    """(converted file, "") or (None, why the conversion failed)."""
    source = workdir / f"source{path.suffix.lower() or '.' + target[:-1]}"
    shutil.copyfile(path, source)
    args = [
        binary,
        f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
        "--headless",
        "--convert-to",
        target,
        "--outdir",
        str(workdir),
        str(source),
    ]
    try:
        done = subprocess.run(args, capture_output=True, timeout=SOFFICE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None, f"LibreOffice conversion timed out after {SOFFICE_TIMEOUT} s"
    converted = source.with_suffix("." + target)
    if converted.exists():
        return converted, ""
    said = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return None, f"LibreOffice could not convert the file ({said[-1] if said else done.returncode})"


def _looks_sound(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(OLE2_SIGNATURE)) == OLE2_SIGNATURE


def extract_legacy_office(
    path: Path, mime: str, *, ocr_enabled: bool = True, filename: str | None = None
) -> Extraction:
    binary = soffice_path()
    if binary is None:
        return Extraction.without_text(
            "ไฟล์ Office รุ่นเก่า (.doc/.xls/.ppt) ต้องใช้ LibreOffice (soffice) ในการอ่าน "
            "แต่เครื่องนี้ไม่ได้ติดตั้งไว้ (legacy Office file: soffice not installed, no text)",
            metadata={"mime": mime},
        )
    target = _legacy_target(path, mime, filename)
    with tempfile.TemporaryDirectory(prefix="khlang-soffice-") as tmp:
        converted, failure = _convert(binary, path, target, Path(tmp))
        if converted is None and _looks_sound(path):
            return Extraction.without_text(
                f"LibreOffice อ่านข้อความจากไฟล์ Office รุ่นเก่านี้ไม่ได้ จึงเก็บไว้โดยไม่มีข้อความ ({failure})",
                metadata={"mime": mime, "converter": _soffice_version(binary)},
            )
        if converted is None:
            raise UnsoundFile(
                "legacy-office-corrupt",
                "LibreOffice เปิดไฟล์ Office รุ่นเก่านี้ไม่ได้ ไฟล์อาจเสียหาย",
                failure,
            )
        inner = {"docx": extract_docx, "xlsx": extract_xlsx, "pptx": extract_pptx}[target]
        result = inner(converted)
    result.method = "legacy-office"
    result.tools.insert(0, _soffice_version(binary))
    result.fallbacks.append(f"converted:{target}")
    return result
