"""Tesseract OCR (tha+eng) and pdftoppm rasterising, through their command lines.

Every call has a timeout, so a pathological page can never hang ingestion."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.thai.ocr_words import correct_ocr_text

from .tesseract_call import TESSERACT_ENV

OCR_LANGUAGES = "tha+eng"
OCR_TIMEOUT = 120  # seconds per image
RASTER_TIMEOUT = 60  # seconds per page
RASTER_DPI = 300
#: Where an extraction's metadata keeps each OCR'd page's confidence: {"3": 71.5}.
CONFIDENCE_KEY = "ocr_confidence"
# the pages turned upright before they were read: {page: clockwise degrees}
ROTATION_KEY = "ocr_rotation"
#: Pages whose mean word confidence is below this are flagged for review: on the scan
#: corpus (bench/bench_ocr.py) pages under it lost more than one word in ten.
LOW_CONFIDENCE = 80.0
#: Tesseract's orientation confidence under which a page is read as it lies. OCRmyPDF's
#: default threshold; turned letters scored 44-56 (bench/bench_ocr.py --rotated).
MIN_ORIENTATION_CONFIDENCE = 14.0
#: Tesseract's page segmentation: one column of text (--psm 4). On the scan bench's letters
#: (bench/bench_ocr.py) its automatic segmentation (--psm 3) kept 98.4% of a clean page's
#: words against 99.4%: it takes the upper marks of a letter's first line for a line of
#: their own and loses its ที่, and splits a line's end off as a block. --psm 6 (one block)
#: read 0.3 points more words than --psm 3 but 8.6 points fewer numbers. A page laid out in
#: columns is read across them, a line at a time: such a page (page_layout.py) is cut at its
#: gutter and each column read as one (bench/ocr_two_columns.py).
PAGE_SEGMENTATION = "4"
#: The pages read as two columns: {page: 2}, beside ROTATION_KEY.
COLUMNS_KEY = "ocr_columns"


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


@dataclass
class OcrPage:
    """One page's recognised text and tesseract's mean word confidence (0-100; None when
    it recognised no word)."""

    text: str
    confidence: float | None
    layer: bytes | None = None  # the text alone as an invisible PDF page (when asked for)
    rotation: int = 0  # clockwise degrees the page was turned to read it (0, 90, 180, 270)
    columns: int = 1  # 2 when it was read as two columns, one at a time


def pages_to_review(technical: dict | None) -> list[int]:
    """The OCR'd pages (1-based) whose confidence is below LOW_CONFIDENCE, from a document's
    technical metadata; [] for text that was not OCR'd."""
    confidences = (technical or {}).get(CONFIDENCE_KEY) or {}
    low = []
    for page, confidence in confidences.items():
        if str(page).isdigit() and (confidence is None or float(confidence) < LOW_CONFIDENCE):
            low.append(int(page))
    return sorted(low)


def page_rotation(image: Path) -> int:
    """Degrees (90, 180, 270) to turn the page clockwise so that its text stands upright, by
    Tesseract's orientation detection (osd.traineddata, tesseract-ocr-osd); 0 when upright,
    when OSD is not installed, or when it is unsure (a page with little text).

    Measured on the bench's letters: upright and turned pages were told apart with
    confidences of 44-56, at 0.8 CPU seconds a page."""
    if "osd" not in tesseract_languages():
        return 0
    args = ["tesseract", str(image), "stdout", "--psm", "0", "-l", "osd"]
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            timeout=OCR_TIMEOUT,
            check=False,
            env={**os.environ, **TESSERACT_ENV},
        )
    except (OSError, subprocess.TimeoutExpired):  # the reading that follows will say why
        return 0
    found = dict(
        line.split(":", 1) for line in done.stdout.decode("utf-8", "replace").splitlines()
        if ":" in line
    )  # fmt: skip
    try:
        rotate = int(found.get("Rotate", "0").strip())
        confidence = float(found.get("Orientation confidence", "0").strip())
    except ValueError:
        return 0
    return rotate if rotate in (90, 180, 270) and confidence >= MIN_ORIENTATION_CONFIDENCE else 0


def prepare_page(path: Path, out: Path) -> tuple[Path, int]:
    """The page as tesseract reads it best: greyscale, dust specks removed by a 3x3 median,
    turned upright when it was scanned sideways or upside down. Returns the prepared image
    and the clockwise degrees it was turned.

    Measured with bench/bench_ocr.py on scanned letters: with the median filter 62.9% of the
    numbers came back instead of 58.6% (Thai words 95.6% and 95.7%), and clean renders kept
    0.7 points more words; upscaling, unsharp masking and Otsu binarisation lowered recall."""
    from PIL import Image, ImageFilter

    with Image.open(path) as image:
        image.convert("L").filter(ImageFilter.MedianFilter(3)).save(out, dpi=(RASTER_DPI,) * 2)
    rotation = page_rotation(out)
    if rotation:
        with Image.open(out) as image:
            upright = image.rotate(-rotation, expand=True)  # Pillow turns anticlockwise
        upright.save(out, dpi=(RASTER_DPI,) * 2)
    return out, rotation


def mean_confidence(tsv: str) -> float | None:
    """Mean confidence of the recognised words in tesseract's TSV output, weighted by each
    word's length so that a long misread word counts more than a stray mark."""
    total = weight = 0.0
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) < 12 or not cells[11].strip():
            continue
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        if confidence >= 0:
            length = len(cells[11].strip())
            total += confidence * length
            weight += length
    return round(total / weight, 1) if weight else None


def _read(image: Path, out: Path) -> tuple[str, str]:
    """Tesseract's reading of ``image`` as one column, put right (Latin-written Thai words,
    Thai digits, tone marks): (text, TSV); raises OcrUnavailable."""
    args = ["tesseract", str(image), str(out), "-l", OCR_LANGUAGES, "--psm", PAGE_SEGMENTATION]
    try:
        done = subprocess.run(
            [*args, "txt", "tsv"],
            capture_output=True,
            timeout=OCR_TIMEOUT,
            check=False,
            env={**os.environ, **TESSERACT_ENV},
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrUnavailable(f"OCR ใช้เวลาเกิน {OCR_TIMEOUT} วินาที (OCR timed out)") from exc
    except OSError as exc:  # the binary vanished or cannot run: OCR, not the file, failed
        raise OcrUnavailable(f"เรียกใช้ tesseract ไม่ได้ (cannot run tesseract: {exc})") from exc
    text_file, tsv_file = out.with_suffix(".txt"), out.with_suffix(".tsv")
    if done.returncode != 0 or not text_file.exists():
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrUnavailable(
            "tesseract อ่านภาพไม่ได้ (tesseract failed: "
            + (message[-1] if message else str(done.returncode))
            + ")"
        )
    tsv = tsv_file.read_text("utf-8", "replace") if tsv_file.exists() else ""
    text = text_file.read_text("utf-8", "replace")
    # ๔ ๖ ๗ ๘ ๙, which Tesseract's Thai models cannot write (thai_digit_reader.py);
    # when Pillow cannot read the page, Tesseract's digits are kept.
    with contextlib.suppress(OSError, ValueError):
        # imported here: NumPy, which it needs, is over 100 MB of address space that
        # a prepare worker reading only text must not carry under KHLANG_WORKER_MEMORY
        from .latin_in_thai import reread_latin_words
        from .thai_digit_reader import reread_thai_digits

        # Thai words written in Latin letters ("wa." for พ.ศ.), read again with the
        # Thai model first: the digit reader then sees พ.ศ. before a year
        text, tsv, _changed = reread_latin_words(image, text, tsv)
        text, _changed = reread_thai_digits(image, text, tsv)
    return correct_ocr_text(text), tsv


def _shifted(tsv: str, dx: int, page: int) -> list[str]:
    """A TSV's rows (no header) with their boxes moved ``dx`` pixels right, numbered as
    ``page`` so that the two columns' lines keep apart (text_layer.line_boxes)."""
    rows = []
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 12 and cells[6].lstrip("-").isdigit():
            cells[1], cells[6] = str(page), str(int(cells[6]) + dx)
        rows.append("\t".join(cells))
    return rows


def _read_columns(prepared: Path, gutter: int, tmp: Path) -> tuple[str, str]:
    """A two-column page read one column at a time, each as one column (read across the
    gutter, the columns' lines interleave): column one's text, then column two's; one TSV
    with column two's boxes where they lie on the page."""
    from PIL import Image

    with Image.open(prepared) as image:
        halves = [(0, 0, gutter, image.height), (gutter, 0, image.width, image.height)]
        for n, box in enumerate(halves):
            image.crop(box).save(tmp / f"column-{n}.png", dpi=(RASTER_DPI,) * 2)
    (left, left_tsv), (right, right_tsv) = (
        _read(tmp / f"column-{n}.png", tmp / f"column-{n}") for n in range(2)
    )
    tsv = "\n".join([*left_tsv.splitlines()[:1], *_shifted(left_tsv, 0, 1)])
    tsv = "\n".join([tsv, *_shifted(right_tsv, gutter, 2)])
    return left.rstrip("\n") + "\n\n" + right, tsv


def ocr_image_page(path: Path, *, layer: bool = False) -> OcrPage:
    """OCR one image file with tesseract tha+eng: its text and confidence, and with
    ``layer`` the text as an invisible PDF page (indexer/extract/text_layer.py, from the same
    recognition: no second OCR); raises OcrUnavailable."""
    check_ocr_available()
    with tempfile.TemporaryDirectory(prefix="khlang-ocr-") as tmp:
        try:
            prepared, rotation = prepare_page(path, Path(tmp) / "prepared.png")
        except (OSError, ValueError):  # Pillow cannot re-read it: give tesseract the original
            prepared, rotation = path, 0
        gutter = None
        with contextlib.suppress(OSError, ValueError):
            from .page_layout import page_gutter  # NumPy: imported when needed, see _read

            gutter = page_gutter(prepared)
        if gutter is None:
            text, tsv = _read(prepared, Path(tmp) / "out")
        else:
            text, tsv = _read_columns(prepared, gutter, Path(tmp))
        columns = 1 if gutter is None else 2
        page = OcrPage(text, mean_confidence(tsv), rotation=rotation, columns=columns)
        # A turned page's boxes are those of the upright image, not of the page the
        # searchable copy lays them on: no layer rather than a misplaced one.
        if layer and not rotation:
            from PIL import Image

            from .text_layer import invisible_page

            with Image.open(prepared) as image:
                size = image.size
            page.layer = invisible_page(text, tsv, size, RASTER_DPI)
        return page


def page_metadata(pages: list[tuple[int, OcrPage]]) -> dict:
    """What a file's pages read by OCR leave in its technical metadata: each page's
    confidence, and the pages turned upright and read as two columns (only those)."""
    out: dict = {CONFIDENCE_KEY: {str(n): page.confidence for n, page in pages}}
    turned = {str(n): page.rotation for n, page in pages if page.rotation}
    columns = {str(n): page.columns for n, page in pages if page.columns > 1}
    for key, found in ((ROTATION_KEY, turned), (COLUMNS_KEY, columns)):
        if found:
            out[key] = found
    return out


def ocr_image(path: Path) -> str:
    """OCR one image file with tesseract tha+eng; raises OcrUnavailable."""
    return ocr_image_page(path).text


def ocr_pdf_page(pdf: Path, page_number: int, dpi: int = RASTER_DPI) -> str:
    """Rasterise one page (1-based) with pdftoppm and OCR it; raises OcrUnavailable."""
    return ocr_pdf_page_with_confidence(pdf, page_number, dpi).text


def ocr_pdf_page_with_confidence(
    pdf: Path, page_number: int, dpi: int = RASTER_DPI, *, layer: bool = False
) -> OcrPage:
    """:func:`ocr_pdf_page` with the page's confidence (and text layer, see ocr_image_page)."""
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
        return ocr_image_page(image, layer=layer)
