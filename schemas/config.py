"""Where Khlang keeps its data, and the limits it works within.

One data directory holds the SQLite database, the search index and the preserved objects
(the embedded default). ``KHLANG_DATABASE_URL`` moves the database to PostgreSQL for larger
installations; the index and the objects stay under the data directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_MAX_FILE_SIZE = 2 * 1024**3  # 2 GiB: a long training video is the largest deliverable seen
# Bounds that make a ZIP bomb fail cleanly instead of filling the disk; they hold for a
# bundle and everything nested in it together.
DEFAULT_MAX_BUNDLE_TOTAL = 8 * 1024**3
DEFAULT_MAX_BUNDLE_RATIO = 200
DEFAULT_MAX_BUNDLE_FILES = 20_000
# The search engine, one of indexer.search.backend.BACKENDS (Whoosh is the only one so far).
DEFAULT_SEARCH_BACKEND = "whoosh"

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class ConfigError(ValueError):
    """A setting in the environment that cannot be read; the message says which and why."""


def parse_size(value: str, name: str) -> int:
    """Bytes from "2147483648", "500M", "1k", "2GiB" (K, M, G are powers of 1024)."""
    match = _SIZE.match(value)
    if not match or int(match[1]) == 0:
        raise ConfigError(
            f"{name}={value!r} ไม่ใช่ขนาดที่ใช้ได้ ใช้จำนวนไบต์ หรือตัวเลขตามด้วย K, M หรือ G เช่น 500M "
            f"(not a valid size: give bytes, or a number with K, M or G, e.g. 500M)"
        )
    return int(match[1]) * _UNITS[match[2].lower()]


def _positive_int(value: str, name: str) -> int:
    if not value.strip().isdigit() or int(value) == 0:
        raise ConfigError(f"{name}={value!r} ต้องเป็นจำนวนเต็มบวก (must be a positive whole number)")
    return int(value)


def _from_env(name: str, parse, default: int) -> int:
    value = os.environ.get(name)
    return parse(value, name) if value and value.strip() else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_bundle_total: int = DEFAULT_MAX_BUNDLE_TOTAL
    max_bundle_ratio: int = DEFAULT_MAX_BUNDLE_RATIO
    max_bundle_files: int = DEFAULT_MAX_BUNDLE_FILES
    # Where originals are kept: "" is <data-dir>/objects; else a folder or s3://BUCKET/PREFIX.
    object_store: str = ""
    # A second copy of every original (a folder on another disk, or s3://...); "" for none.
    replica: str = ""
    search_backend: str = DEFAULT_SEARCH_BACKEND
    extra: dict = field(default_factory=dict)

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def tmp_dir(self) -> Path:
        # Inside the data dir so that the final rename never crosses a filesystem.
        return self.data_dir / "tmp"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_changes(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def load(cls, data_dir: str | os.PathLike | None = None, database_url: str | None = None):
        """Settings from arguments, then environment, then defaults (ConfigError names a
        setting that cannot be read)."""
        directory = Path(data_dir or os.environ.get("KHLANG_DATA_DIR") or "./data").resolve()
        url = database_url or os.environ.get("KHLANG_DATABASE_URL") or ""
        if not url:
            url = f"sqlite:///{directory / 'khlang.sqlite3'}"
        return cls(
            data_dir=directory,
            database_url=url,
            max_file_size=_from_env("KHLANG_MAX_FILE_SIZE", parse_size, DEFAULT_MAX_FILE_SIZE),
            max_bundle_total=_from_env(
                "KHLANG_MAX_BUNDLE_TOTAL", parse_size, DEFAULT_MAX_BUNDLE_TOTAL
            ),
            max_bundle_ratio=_from_env(
                "KHLANG_MAX_BUNDLE_RATIO", _positive_int, DEFAULT_MAX_BUNDLE_RATIO
            ),
            max_bundle_files=_from_env(
                "KHLANG_MAX_BUNDLE_FILES", _positive_int, DEFAULT_MAX_BUNDLE_FILES
            ),
            object_store=_store_spec("KHLANG_OBJECT_STORE"),
            replica=_store_spec("KHLANG_REPLICA"),
            search_backend=(os.environ.get("KHLANG_SEARCH_BACKEND") or DEFAULT_SEARCH_BACKEND)
            .strip()
            .lower(),
        )


# Bounds on what one hostile or odd file may cost (see "Hostile and odd files" in the
# README). They reach the extractors, which also run in worker processes, through the
# environment: ExtractionLimits.load() reads it when a file is extracted. (The size of the
# pieces long texts are handled in, KHLANG_TEXT_PIECE_CHARS, is read by schemas.pieces.)
DEFAULT_MAX_FOLDER_DEPTH = 64
DEFAULT_MAX_PDF_PAGES = 3000
DEFAULT_MAX_OCR_SECONDS = 900
DEFAULT_MAX_SHEET_CELLS = 2_000_000
# Pillow's own bomb bound is 89 M pixels (a warning) and twice that (an error); 50 M
# pixels is an A4 page scanned at 600 dpi with room to spare, about 150 MB decoded as RGB.
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
# Address space of one prepare worker process (and of tesseract, pdftoppm or soffice it
# starts, which inherit it). It counts what is reserved, not what is used: a worker that
# OCRed a scan and read an XLSX peaked at about 0.7 GB of address space (VmPeak).
DEFAULT_WORKER_MEMORY = 2 * 1024**3


@dataclass(frozen=True)
class ExtractionLimits:
    max_folder_depth: int = DEFAULT_MAX_FOLDER_DEPTH
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    max_ocr_seconds: int = DEFAULT_MAX_OCR_SECONDS
    max_sheet_cells: int = DEFAULT_MAX_SHEET_CELLS
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    worker_memory: int = DEFAULT_WORKER_MEMORY

    @classmethod
    def load(cls) -> ExtractionLimits:
        return cls(
            max_folder_depth=_from_env(
                "KHLANG_MAX_FOLDER_DEPTH", _positive_int, DEFAULT_MAX_FOLDER_DEPTH
            ),
            max_pdf_pages=_from_env("KHLANG_MAX_PDF_PAGES", _positive_int, DEFAULT_MAX_PDF_PAGES),
            max_ocr_seconds=_from_env(
                "KHLANG_MAX_OCR_SECONDS", _positive_int, DEFAULT_MAX_OCR_SECONDS
            ),
            max_sheet_cells=_from_env(
                "KHLANG_MAX_SHEET_CELLS", _positive_int, DEFAULT_MAX_SHEET_CELLS
            ),
            max_image_pixels=_from_env(
                "KHLANG_MAX_IMAGE_PIXELS", _positive_int, DEFAULT_MAX_IMAGE_PIXELS
            ),
            worker_memory=_from_env("KHLANG_WORKER_MEMORY", parse_size, DEFAULT_WORKER_MEMORY),
        )


def _store_spec(name: str) -> str:
    value = (os.environ.get(name) or "").strip()
    if value.startswith("s3://") and not value.removeprefix("s3://").split("/")[0]:
        raise ConfigError(
            f"{name}={value!r} ไม่มีชื่อ bucket ใช้รูปแบบ s3://BUCKET/PREFIX "
            f"(no bucket name: use s3://BUCKET/PREFIX)"
        )
    if "://" in value and not value.startswith("s3://"):
        raise ConfigError(
            f"{name}={value!r} ใช้ได้เฉพาะโฟลเดอร์หรือ s3://BUCKET/PREFIX "
            f"(only a folder or s3://BUCKET/PREFIX is supported)"
        )
    return value
