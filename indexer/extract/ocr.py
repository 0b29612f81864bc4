"""Tesseract OCR (tha+eng) and pdftoppm rasterising, through their command lines.

Every call has a timeout, so a pathological page can never hang ingestion."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

OCR_LANGUAGES = "tha+eng"
OCR_TIMEOUT = 120  # seconds per image
RASTER_TIMEOUT = 60  # seconds per page
RASTER_DPI = 300


class OcrUnavailable(Exception):
    """OCR is needed but cannot run; str(exc) is a Thai-first reason."""


def _first_line(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    out = (done.stdout or done.stderr).strip().splitlines()
    return out[0] if out else ""


@lru_cache(maxsize=1)
def tesseract_version() -> str | None:
    """'tesseract 5.3.0', or None when tesseract is not installed."""
    if not shutil.which("tesseract"):
        return None
    return _first_line(["tesseract", "--version"]) or "tesseract"


@lru_cache(maxsize=1)
def tesseract_languages() -> frozenset[str]:
    if not shutil.which("tesseract"):
        return frozenset()
    try:
        done = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    lines = done.stdout.strip().splitlines()
    return frozenset(line.strip() for line in lines[1:])


@lru_cache(maxsize=1)
def pdftoppm_version() -> str | None:
    if not shutil.which("pdftoppm"):
        return None
    line = _first_line(["pdftoppm", "-v"])
    return f"pdftoppm {line.split()[-1]}" if line else "pdftoppm"


def check_ocr_available() -> None:
    """Raise OcrUnavailable with a reason when tesseract with Thai data is missing.

    Looked up on every call (it is cheap): a tool removed while the service runs must give
    a clear reason, not a failure that looks like a broken file."""
    if not shutil.which("tesseract") or tesseract_version() is None:
        raise OcrUnavailable("ไม่ได้ติดตั้ง tesseract จึงอ่านข้อความจากภาพไม่ได้ (tesseract not installed)")
    if "tha" not in tesseract_languages():
        raise OcrUnavailable("tesseract ไม่มีข้อมูลภาษาไทย (tesseract-ocr-tha) (Thai OCR data missing)")


def ocr_image(path: Path) -> str:
    """OCR one image file with tesseract tha+eng; raises OcrUnavailable."""
    check_ocr_available()
    try:
        done = subprocess.run(
            ["tesseract", str(path), "stdout", "-l", OCR_LANGUAGES, "--psm", "3"],
            capture_output=True,
            timeout=OCR_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrUnavailable(f"OCR ใช้เวลาเกิน {OCR_TIMEOUT} วินาที (OCR timed out)") from exc
    except OSError as exc:  # the binary vanished or cannot run: OCR, not the file, failed
        raise OcrUnavailable(f"เรียกใช้ tesseract ไม่ได้ (cannot run tesseract: {exc})") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrUnavailable(
            "tesseract อ่านภาพไม่ได้ (tesseract failed: "
            + (message[-1] if message else str(done.returncode))
            + ")"
        )
    return done.stdout.decode("utf-8", "replace")


def ocr_pdf_page(pdf: Path, page_number: int, dpi: int = RASTER_DPI) -> str:
    """Rasterise one page (1-based) with pdftoppm and OCR it; raises OcrUnavailable."""
    check_ocr_available()
    if not shutil.which("pdftoppm") or pdftoppm_version() is None:
        raise OcrUnavailable(
            "ไม่ได้ติดตั้ง pdftoppm (poppler-utils) จึงแปลงหน้า PDF เป็นภาพไม่ได้ (pdftoppm not installed)"
        )
    with tempfile.TemporaryDirectory(prefix="khlang-ocr-") as tmp:
        stem = Path(tmp) / "page"
        args = ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(page_number)]
        args += ["-l", str(page_number), "-singlefile", str(pdf), str(stem)]
        try:
            done = subprocess.run(args, capture_output=True, timeout=RASTER_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise OcrUnavailable("แปลงหน้า PDF เป็นภาพนานเกินไป (pdftoppm timed out)") from exc
        except OSError as exc:
            raise OcrUnavailable(f"เรียกใช้ pdftoppm ไม่ได้ (cannot run pdftoppm: {exc})") from exc
        image = stem.with_suffix(".png")
        if done.returncode != 0 or not image.exists():
            raise OcrUnavailable("แปลงหน้า PDF เป็นภาพไม่ได้ (pdftoppm failed)")
        return ocr_image(image)
