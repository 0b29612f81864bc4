"""Page images of a document's original, for the preview on its page.

PDFs (and scans in PDF) are rendered page by page with pdftoppm; office files are first
converted to PDF with LibreOffice; images are scaled (each frame of a multi-page TIFF is a
page); anything else has no page images and the page shows its text.

Every rendering is a derived file, never an original: it is cached under
``data/derived/previews/<sha256>/`` (beside the derived store of searchable copies, out of
the preserved objects that ``khlang verify`` checks), made from a read of the original,
written atomically, and can be deleted at any time to be made again. Each tool runs with a
timeout and a bounded output size, so a hostile file costs seconds, not the server.

The cache is bounded (``KHLANG_PREVIEW_CACHE``): each use of a cached file touches its
modification time, and when a new rendering takes the cache over the bound the files used
longest ago are removed until it is within it again. Files that other processes add are
counted within a minute (the cache is measured again then).
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.extract.legacy_office import soffice_path
from schemas.config import setting

PREVIEW_WIDTH = 1200  # pixels: sharp on a laptop, small enough to load on a phone
RENDER_TIMEOUT = 60  # seconds for one page
CONVERT_TIMEOUT = 120  # seconds for LibreOffice to make the PDF of an office file
MAX_IMAGE_PIXELS = 80_000_000  # a larger image is not decoded (decompression bombs)

OFFICE_MIMES = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/rtf",
    "text/rtf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}


class PreviewFailed(Exception):
    """The original could not be rendered; the reason in Thai and English."""

    def __init__(self, message_th: str, message_en: str):
        super().__init__(message_en)
        self.message_th, self.message_en = message_th, message_en


@dataclass(frozen=True)
class PreviewSource:
    """What a document's preview is made from: ``pdf``, ``office`` (through its PDF
    rendering), ``image``, or ``none`` (the text is shown instead)."""

    kind: str
    sha256: str
    mime: str


def preview_kind(mime: str) -> str:
    if mime == "application/pdf":
        return "pdf"
    if mime in OFFICE_MIMES:
        return "office"
    if mime.startswith("image/"):
        return "image"
    return "none"


def previews_dir(core, sha256: str) -> Path:
    return core.settings.data_dir / "derived" / "previews" / sha256


@contextlib.contextmanager
def original_path(core, sha256: str) -> Iterator[Path]:
    """A local path to read the original from: the stored file itself in a folder store,
    a temporary copy from S3. Only ever read."""
    store = core.store
    try:
        yield store.path_for(sha256)
        return
    except TypeError:  # an S3 store has no local path
        pass
    core.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=core.settings.tmp_dir, prefix="preview-") as copy:
        with store.open(sha256) as source:
            shutil.copyfileobj(source, copy)
        copy.flush()
        yield Path(copy.name)


def _publish(made: Path, target: Path) -> Path:
    """Move a finished rendering into the cache in one step: a reader never sees half a
    file, and two requests rendering the same page at once both succeed. Then trim the
    cache to its bound (never the file just made)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(made, target)
    _keep_in_bound(target.parent.parent, setting("KHLANG_PREVIEW_CACHE"), target)
    return target


# root -> (when its size was last measured, its bytes since, as this process knows them).
# Measuring stats every file of the cache (tens of thousands at its default bound), so a
# rendering adds its own bytes to the last measure and measures again only when that sum
# passes the bound or the measure is a minute old (other processes add files too).
_MEASURED: dict[Path, tuple[float, int]] = {}
REMEASURE_SECONDS = 60


def _keep_in_bound(root: Path, limit: int, made: Path) -> None:
    added = made.stat().st_size
    measured_at, size = _MEASURED.get(root, (float("-inf"), 0))
    if time.monotonic() - measured_at < REMEASURE_SECONDS and size + added <= limit:
        _MEASURED[root] = (measured_at, size + added)
        return
    _MEASURED[root] = (time.monotonic(), trim_cache(root, limit, keep=made))


def _used(path: Path) -> Path:
    """A cached file about to be served: mark it used (its mtime), so it is trimmed last."""
    with contextlib.suppress(OSError):
        os.utime(path)
    return path


def trim_cache(root: Path, limit: int, keep: Path | None = None) -> int:
    """Remove the files used longest ago until those under ``root`` take at most ``limit``
    bytes; the bytes left. A file another request removes meanwhile is skipped."""
    files = []
    for path in root.rglob("*"):
        with contextlib.suppress(OSError):
            info = path.stat()
            if path.is_file():
                files.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= limit:
            break
        if path == keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            total -= size
    return total


def _run(args: list[str], timeout: int, what_th: str, what_en: str) -> None:
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PreviewFailed(
            f"{what_th}ใช้เวลาเกิน {timeout} วินาที", f"{what_en} took over {timeout} s"
        ) from exc
    except OSError as exc:
        raise PreviewFailed(f"{what_th}ไม่ได้ ({exc})", f"{what_en} failed ({exc})") from exc
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[-1] if said else f"exit {done.returncode}"
        raise PreviewFailed(f"{what_th}ไม่ได้ ({reason})", f"{what_en} failed ({reason})")


def _pdf_of(core, source: PreviewSource, work: Path) -> Path:
    """The PDF to render pages from: the original, or an office file's LibreOffice PDF
    (cached as ``document.pdf``)."""
    if source.kind == "pdf":
        return work  # the caller's path of the original
    cached = previews_dir(core, source.sha256) / "document.pdf"
    if cached.is_file():
        return _used(cached)
    binary = soffice_path()
    if binary is None:
        raise PreviewFailed(
            "เครื่องนี้ไม่ได้ติดตั้ง LibreOffice จึงแสดงตัวอย่างไฟล์ Office ไม่ได้",
            "LibreOffice (soffice) is not installed: no preview of office files",
        )
    with tempfile.TemporaryDirectory(prefix="khlang-preview-") as tmp:
        folder = Path(tmp)
        # LibreOffice picks its filter by the name: the stored copy has no suffix
        copy = folder / ("document" + (mimetypes.guess_extension(source.mime) or ""))
        shutil.copyfile(work, copy)
        _run(
            [
                binary,
                f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder / "out"),
                str(copy),
            ],
            CONVERT_TIMEOUT,
            "แปลงไฟล์ Office เป็น PDF",
            "converting the office file to PDF",
        )
        made = folder / "out" / "document.pdf"
        if not made.is_file():
            raise PreviewFailed(
                "LibreOffice แปลงไฟล์นี้เป็น PDF ไม่ได้", "LibreOffice made no PDF of this file"
            )
        return _publish(made, cached)


def _pdf_pages(pdf: Path) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(pdf, strict=False).pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise PreviewFailed(
            "อ่านจำนวนหน้าของ PDF ไม่ได้", f"cannot read the PDF's pages ({exc})"
        ) from exc


def _open_image(path: Path):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        return Image.open(path)
    except (OSError, Image.DecompressionBombError) as exc:
        raise PreviewFailed("เปิดภาพนี้ไม่ได้", f"cannot open the image ({exc})") from exc


def page_count(core, source: PreviewSource) -> int:
    """How many pages the preview has (0 for ``none``); cached beside the pages."""
    if source.kind == "none":
        return 0
    cached = previews_dir(core, source.sha256) / "pages.txt"
    with contextlib.suppress(FileNotFoundError):  # (trimmed between the check and the read)
        if cached.is_file():
            return int(_used(cached).read_text())
    with original_path(core, source.sha256) as original:
        if source.kind == "image":
            with _open_image(original) as image:
                count = getattr(image, "n_frames", 1)
        else:
            count = _pdf_pages(_pdf_of(core, source, original))
    with tempfile.NamedTemporaryFile("w", dir=core.settings.tmp_dir, delete=False) as out:
        out.write(str(count))
    _publish(Path(out.name), cached)
    return count


def page_image(core, source: PreviewSource, page: int) -> Path:
    """The PNG of one page (1-based), rendered and cached on first use."""
    target = previews_dir(core, source.sha256) / f"page-{page}.png"
    if target.is_file():
        return _used(target)
    core.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    with (
        original_path(core, source.sha256) as original,
        tempfile.TemporaryDirectory(dir=core.settings.tmp_dir, prefix="preview-") as tmp,
    ):
        made = Path(tmp) / "page.png"
        if source.kind == "image":
            _scale_image(original, page, made)
        else:
            pdf = _pdf_of(core, source, original)
            _run(
                [
                    "pdftoppm",
                    "-png",
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-scale-to",
                    str(PREVIEW_WIDTH),
                    "-singlefile",
                    str(pdf),
                    str(made.with_suffix("")),
                ],
                RENDER_TIMEOUT,
                f"แสดงหน้า {page} ของ PDF",
                f"rendering page {page} of the PDF",
            )
        return _publish(made, target)


def _scale_image(original: Path, page: int, out: Path) -> None:
    from PIL import Image, ImageOps

    with _open_image(original) as image:
        try:
            image.seek(page - 1)
            frame = ImageOps.exif_transpose(image.copy())
            frame.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH * 2), Image.Resampling.LANCZOS)
            if frame.mode not in ("RGB", "RGBA", "L", "LA"):
                frame = frame.convert("RGB")
            frame.save(out, "PNG", optimize=False)
        except (OSError, EOFError, ValueError) as exc:
            raise PreviewFailed("แสดงภาพนี้ไม่ได้", f"cannot render the image ({exc})") from exc
