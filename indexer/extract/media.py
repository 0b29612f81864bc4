"""Images (Pillow metadata, tesseract OCR) and audio/video (technical metadata:
mutagen; ffprobe when installed; a minimal RIFF/AVI header reader otherwise)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

from schemas.config import ExtractionLimits

from . import ocr, ocr_pages
from .model import Extraction, UnsoundFile, add_repairs, repair, tool

FFPROBE_TIMEOUT = 60
#: Pages of a multi-page image (TIFF) read by OCR; past it a warning says so.
OCR_MAX_FRAMES = 50
EXTRA_MEDIA_MIMES = {"application/ogg", "application/x-matroska", "application/vnd.rn-realmedia"}
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_DATETIME = 0x0132
_EXIF_IFD = 0x8769


def _empty(method: str, tools: list[str]) -> Extraction:
    return Extraction(text="", method=method, tools=tools, repairs=[], fallbacks=[], warnings=[])


# --- images ---------------------------------------------------------------------


def _exif_date(image: Any) -> str | None:
    try:
        exif = image.getexif()
    except Exception:
        return None
    if not exif:
        return None
    try:
        value = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL)
    except Exception:
        value = None
    value = value or exif.get(_EXIF_DATETIME)
    return str(value).strip("\x00 ") or None if value else None


def _too_many_pixels(width: int, height: int, limit: int) -> str:
    size = f"of {width:,} x {height:,} pixels " if width else ""
    return (
        f"ภาพใหญ่เกิน {limit:,} พิกเซล จึงเก็บไว้โดยไม่อ่านข้อความด้วย OCR "
        f"(image {size}is over the limit of {limit:,} pixels: stored without OCR)"
    )


def extract_image(path: Path, *, ocr_enabled: bool = True) -> Extraction:
    from PIL import Image, UnidentifiedImageError

    result = _empty("ocr-image", [tool("pillow")])
    max_pixels = ExtractionLimits.load().max_image_pixels
    try:
        with Image.open(path) as image:
            result.metadata = {
                "width": image.width,
                "height": image.height,
                "format": image.format,
                "mode": image.mode,
            }
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                result.metadata["frames"] = frames
            taken = _exif_date(image)
            if taken:
                result.metadata["exif_datetime"] = taken
            if not ocr_enabled:
                result.ocr_skipped = "ปิดการอ่านด้วย OCR ไว้ (OCR disabled)"
                result.no_text_reason = result.ocr_skipped
                result.method = "none"
                return result
            # A multi-page TIFF is how scanners write a letter of several pages: every
            # page is read, not only the first (side by side: ocr_pages).
            numbers, large = frames_within_limits(image, max_pixels)
            if not numbers:
                # Image.open read only the header: nothing of the flood was decoded.
                result.no_text_reason = _too_many_pixels(image.width, image.height, max_pixels)
                result.ocr_skipped = result.no_text_reason
                result.method = "none"
                return result
            if frames > OCR_MAX_FRAMES:
                result.warnings.append(f"ocr-frames-limit:{OCR_MAX_FRAMES}")
    except Image.DecompressionBombError as exc:  # past twice Pillow's own bound, at open
        result.no_text_reason = f"{_too_many_pixels(0, 0, max_pixels)}: {exc}"
        result.method = "none"
        return result
    except UnidentifiedImageError as exc:
        raise UnsoundFile(
            "image-unreadable", "เปิดไฟล์ภาพไม่ได้ ไฟล์อาจเสียหาย", f"cannot read image: {exc}"
        ) from exc
    except (OSError, SyntaxError) as exc:  # Pillow: truncated or broken image data
        raise UnsoundFile("image-corrupt", "ไฟล์ภาพเสียหาย", f"broken image data: {exc}") from exc
    result = _frames_read(path, numbers, result)
    if large:
        reason = _frames_too_large(large, max_pixels)
        result.warnings.append(reason)
        result.ocr_skipped = " ".join(filter(None, [result.ocr_skipped, reason]))
    return result


def frames_within_limits(image: Any, max_pixels: int) -> tuple[list[int], list[int]]:
    """(the frames OCR reads, the frames left out as over ``max_pixels``) of an open image,
    1-based, of its first OCR_MAX_FRAMES. Each frame is measured (a TIFF's frames may
    differ in size) from its header only: nothing is decoded. A first frame over the limit
    leaves the whole image unread, as when it is the only one. The searchable copy keeps
    to the same frames (indexer/preserve/searchable.py)."""
    frames = getattr(image, "n_frames", 1)
    read: list[int] = []
    large: list[int] = []
    for number in range(1, min(frames, OCR_MAX_FRAMES) + 1):
        if number > 1:
            image.seek(number - 1)
        (large if image.width * image.height > max_pixels else read).append(number)
        if large == [1]:
            break
    if frames > 1:
        image.seek(0)
    return (read, large) if read else ([], large)


def _frames_too_large(numbers: list[int], limit: int) -> str:
    shown = ocr_pages.ranges(numbers)
    return (
        f"หน้า {shown} ของภาพใหญ่เกิน {limit:,} พิกเซล จึงไม่ได้อ่านด้วย OCR "
        f"(frames {shown} are over the limit of {limit:,} pixels: not read by OCR)"
    )


def frames_to_read(path: Path) -> list[int]:
    """The frames (1-based) ``extract_image`` would read by OCR: on a broker each page of a
    multi-page TIFF becomes a message of its own. [] for an image not read here (too large,
    unreadable: its own ingestion gives the reason)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return frames_within_limits(image, ExtractionLimits.load().max_image_pixels)[0]
    except Exception:  # any reason not to read it is the file's ingestion's to say
        return []


def _frames_read(path: Path, numbers: list[int], result: Extraction) -> Extraction:
    """The frames' text, each frame read by OCR (ocr_pages); a frame that could not be read
    is named in the warnings, and the others still count."""
    from PIL import Image, UnidentifiedImageError

    budget = ExtractionLimits.load().max_ocr_seconds
    try:
        read = ocr_pages.read_pages(path, numbers, ocr_pages.frame_of_image, budget=budget)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnsoundFile("image-corrupt", "ไฟล์ภาพเสียหาย", f"broken image data: {exc}") from exc
    pages = [(n, read.read[n].page) for n in numbers if n in read.read and read.read[n].page]
    failed = read.failed()
    if failed and not pages:  # nothing read: OCR itself is unavailable, or every page failed
        result.ocr_skipped = " ".join(dict.fromkeys(r.error for r in failed))
        result.no_text_reason = result.ocr_skipped
        result.method = "none"
        return result
    reasons = [r.error for r in failed]
    if read.over:
        reasons.append(ocr_pages.over_budget_reason(budget, read.over))
    if reasons:
        result.warnings += reasons
        result.ocr_skipped = " ".join(reasons)
    texts = []
    for _number, page_ocr in pages:
        repaired = repair(page_ocr.text, layout=True)
        add_repairs(result.repairs, repaired.repairs)
        texts.append(repaired.text.strip())
    result.text = "\n\f\n".join(texts).strip()
    if result.text:
        result.metadata.update(ocr.page_metadata(pages))
        # each page's text as an invisible PDF page, for the scan's searchable copy
        # (indexer/preserve/searchable.py)
        result.ocr_layers = {number: page.layer for number, page in pages if page.layer}
    result.tools += [ocr.tesseract_version() or "tesseract", tool("pythainlp")]
    if not result.text:
        result.no_text_reason = "ไม่พบข้อความในภาพ (OCR found no text in the image)"
    return result


# --- audio / video ----------------------------------------------------------------


def _mutagen_metadata(path: Path) -> tuple[dict, str | None]:
    import mutagen

    try:
        media = mutagen.File(str(path))
    except mutagen.MutagenError:
        return {}, None
    if media is None:
        return {}, None
    meta: dict = {"container": type(media).__name__}
    info = getattr(media, "info", None)
    for attribute, key in (
        ("length", "duration_seconds"),
        ("bitrate", "bitrate"),
        ("sample_rate", "sample_rate"),
        ("channels", "channels"),
        ("bits_per_sample", "bits_per_sample"),
        ("codec", "codec"),
        ("codec_description", "codec_description"),
    ):
        value = getattr(info, attribute, None)
        if value not in (None, "", 0):
            meta[key] = round(value, 3) if isinstance(value, float) else value
    title = None
    tags = getattr(media, "tags", None)
    if tags:
        for key in ("TIT2", "title", "\xa9nam", "TITLE", "Title"):
            try:
                value = tags.get(key)
            except (KeyError, ValueError, TypeError):
                value = None
            if value:
                title = str(value[0] if isinstance(value, list) else value)
                break
    return meta, title


def _ffprobe_metadata(path: Path) -> dict:
    binary = shutil.which("ffprobe")
    if not binary:
        return {}
    try:
        done = subprocess.run(
            [
                binary,
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                str(path),
            ],
            capture_output=True,
            timeout=FFPROBE_TIMEOUT,
            check=False,
        )
        probe = json.loads(done.stdout or b"{}")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}
    meta: dict = {}
    fmt = probe.get("format", {})
    if fmt.get("duration"):
        meta["duration_seconds"] = round(float(fmt["duration"]), 3)
    if fmt.get("bit_rate"):
        meta["bitrate"] = int(fmt["bit_rate"])
    if fmt.get("format_name"):
        meta["container"] = fmt["format_name"]
    for stream in probe.get("streams", []):
        kind = stream.get("codec_type")
        if kind == "video" and "video_codec" not in meta:
            meta["video_codec"] = stream.get("codec_name")
            meta["width"], meta["height"] = stream.get("width"), stream.get("height")
        elif kind == "audio" and "audio_codec" not in meta:
            meta["audio_codec"] = stream.get("codec_name")
            if stream.get("sample_rate"):
                meta["sample_rate"] = int(stream["sample_rate"])
            if stream.get("channels"):
                meta["channels"] = stream["channels"]
    return {k: v for k, v in meta.items() if v is not None}


def _avi_metadata(path: Path) -> dict:
    """Width, height, frame rate and duration from an AVI's main header (avih)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head[:4] != b"RIFF" or head[8:12] != b"AVI ":
        return {}
    at = head.find(b"avih")
    if at < 0 or len(head) < at + 8 + 40:
        return {}
    fields = struct.unpack("<10I", head[at + 8 : at + 48])
    micro_per_frame, total_frames, width, height = fields[0], fields[4], fields[8], fields[9]
    meta: dict = {"container": "avi", "width": width, "height": height}
    if micro_per_frame:
        meta["frame_rate"] = round(1_000_000 / micro_per_frame, 3)
        meta["duration_seconds"] = round(total_frames * micro_per_frame / 1_000_000, 3)
    fcc = head.find(b"strh")
    if fcc >= 0 and head[fcc + 8 : fcc + 12] == b"vids":
        meta["video_codec"] = head[fcc + 12 : fcc + 16].decode("latin-1").strip("\x00 ")
    return meta


def extract_media(path: Path, mime: str) -> Extraction:
    is_video = mime.startswith("video/") or mime in {"application/x-matroska"}
    result = _empty("none", [tool("mutagen")])
    meta, title = _mutagen_metadata(path)
    probed = _ffprobe_metadata(path)
    if probed:
        result.tools.append("ffprobe")
        meta = {**meta, **{k: v for k, v in probed.items() if k not in meta or k == "container"}}
    if not meta.get("duration_seconds") and mime in {"video/x-msvideo", "video/avi"}:
        meta.update(_avi_metadata(path))
    if not meta:
        result.warnings.append("no-technical-metadata")
    result.metadata = meta
    result.title = title
    kind = "วิดีโอ" if is_video else "เสียง"
    english = "video" if is_video else "audio"
    result.no_text_reason = (
        f"ไฟล์{kind}ไม่มีข้อความให้อ่าน เก็บเฉพาะข้อมูลทางเทคนิค ({english} file: technical metadata only)"
    )
    return result
