"""Every setting Khlang reads, in one table, and the settings the core works within.

``SETTINGS`` below is the one list of environment settings (``KHLANG_*``, and the
Procfile's gunicorn ones): each entry gives the name, the default, what it means (as the
README's settings tables say it: they are written from this table by
``scripts/settings_table.py``, and a test keeps them equal) and the parser that reads it.
Adding a setting is one entry here (then run the script); the module is longer than
most (about 600 lines) because that table is kept whole, to be read top to bottom.
``check_environment()`` reads them all when the CLI or the web service starts, so that a
bad value is named, with the reason in Thai and English, before anything runs.

One data directory holds the SQLite database, the search index and the preserved objects
(the embedded default). ``KHLANG_DATABASE_URL`` moves the database to PostgreSQL for larger
installations; the index and the objects stay under the data directory.

This module is the bottom layer: it imports nothing from Khlang. It is longer than most
because the table is: one entry of a few lines per setting, kept together on purpose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


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


def _count(value: str, name: str) -> int:
    if not value.strip().isdigit():
        raise ConfigError(
            f"{name}={value!r} ต้องเป็นจำนวนเต็มตั้งแต่ 0 ขึ้นไป (must be a whole number, 0 or more)"
        )
    return int(value)


def _seconds(value: str, name: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ConfigError(
            f"{name}={value!r} ต้องเป็นจำนวนวินาทีตั้งแต่ 0 ขึ้นไป (must be a number of seconds, 0 or more)"
        )
    return seconds


def _flag(value: str, name: str) -> bool:
    word = value.strip().lower()
    if word not in _TRUE + _FALSE:
        raise ConfigError(
            f"{name}={value!r} ใช้ได้เฉพาะ 1 หรือ 0 (on/off, yes/no, true/false) "
            f"(must be 1 or 0: on/off, yes/no, true/false)"
        )
    return word in _TRUE


def _text(value: str, name: str) -> str:
    return value


def _hold_spec(value: str, name: str) -> str:
    """``STEP:PATTERN:SECONDS`` (indexer.runtime.holds): a crash test's hold point."""
    parts = value.strip().split(":")
    try:
        ok = len(parts) >= 3 and bool(parts[0]) and float(parts[-1]) >= 0
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(
            f"{name}={value!r} ต้องเป็น ขั้น:รูปแบบชื่อไฟล์:วินาที เช่น stored:*.pdf:30 "
            f"(must be STEP:PATTERN:SECONDS, e.g. stored:*.pdf:30)"
        )
    return value.strip()


def _store_spec(value: str, name: str) -> str:
    value = value.strip()
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


def _postgres_url(value: str, name: str) -> str:
    value = value.strip()
    if not value.startswith("postgresql"):
        raise ConfigError(
            f"{name} ต้องเป็นที่อยู่ฐานข้อมูล PostgreSQL เช่น postgresql+psycopg://USER@HOST/DB "
            f"(must be a PostgreSQL URL, e.g. postgresql+psycopg://USER@HOST/DB)"
        )
    return value


def _lowercase_name(value: str, name: str) -> str:
    """A name chosen from a list the reader checks (the search backend): case and spaces do
    not matter."""
    return value.strip().lower()


@dataclass(frozen=True)
class Setting:
    """One environment setting: its name, its value when unset, what it means, and how a
    value is read (``parse(value, name)`` returns it or raises ConfigError)."""

    name: str
    default: Any
    meaning: str
    parse: Callable[[str, str], Any] = _text
    # The default as the README shows it ("2 GiB", "secure"); the value itself if "".
    shown: str = ""
    # Which of the README's settings tables lists it (README_SECTIONS).
    section: str = "storage"
    # Names read the same way that share its row in the README (the S3 credentials).
    also: tuple[str, ...] = ()
    # The command-line option that sets it too, if any.
    option: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.also)

    def read(self, environ: Mapping[str, str] | None = None, name: str | None = None) -> Any:
        """The value in the environment, parsed; the default when unset or blank."""
        value = (os.environ if environ is None else environ).get(name or self.name)
        if value is None or not value.strip():
            return self.default
        return self.parse(value, name or self.name)

    @property
    def shown_default(self) -> str:
        return self.shown or str(self.default)


# The README's settings tables, in the order they appear, by section.
README_SECTIONS = ("storage", "web", "proxy", "cluster")

_2G = 2 * 1024**3
_S3 = ("ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY")
_AS_ABOVE = "K, M, G as above"

SETTINGS: tuple[Setting, ...] = (
    # --- where the data lives, and what one file may cost (README "Configuration")
    Setting(
        "KHLANG_DATA_DIR",
        None,
        "the data directory: SQLite database, search index, preserved objects",
        shown="`./data`",
        option="--data-dir",
    ),
    Setting(
        "KHLANG_DATABASE_URL",
        None,
        "a PostgreSQL URL (e.g. `postgresql+psycopg://user@host/db`) for larger installations",
        shown="SQLite in the data directory",
    ),
    # 2 GiB: a long training video is the largest deliverable seen.
    Setting(
        "KHLANG_MAX_FILE_SIZE",
        _2G,
        "largest single file accepted: bytes, or a number with K, M or G (`500M`)",
        parse_size,
        "2 GiB",
    ),
    # The bundle bounds make a ZIP bomb fail cleanly instead of filling the disk; they
    # hold for a bundle and everything nested in it together.
    Setting(
        "KHLANG_MAX_BUNDLE_TOTAL",
        8 * 1024**3,
        "most bytes unpacked from a ZIP/7z bundle and every bundle nested in it, together "
        f"({_AS_ABOVE})",
        parse_size,
        "8 GiB",
    ),
    Setting(
        "KHLANG_MAX_BUNDLE_FILES",
        20_000,
        "most members of a bundle and every bundle nested in it, together",
        _positive_int,
    ),
    Setting(
        "KHLANG_MAX_BUNDLE_RATIO",
        200,
        "highest compression ratio (unpacked : packed) of a whole bundle, and of each member "
        "over 64 KiB",
        _positive_int,
    ),
    # Bounds on what one hostile or odd file may cost (README "Hostile and odd files").
    # They reach the extractors, which also run in worker processes, through the
    # environment: ExtractionLimits.load() reads it when a file is extracted.
    Setting(
        "KHLANG_MAX_FOLDER_DEPTH",
        64,
        "deepest folder level `khlang ingest` enters; a deeper folder is refused with a reason",
        _positive_int,
    ),
    Setting(
        "KHLANG_MAX_PDF_PAGES",
        3000,
        "pages read of one PDF; the rest is stored, not read, and the `extracted` event says so",
        _positive_int,
    ),
    # Page images of the document page's preview are derived files, made again on demand;
    # 2 GiB holds about 10,000 pages at the preview's size.
    Setting(
        "KHLANG_PREVIEW_CACHE",
        _2G,
        "most bytes the preview's page images may take under `data/derived/previews/`; the "
        f"pages used longest ago are removed first ({_AS_ABOVE})",
        parse_size,
        "2 GiB",
    ),
    Setting(
        "KHLANG_MAX_OCR_SECONDS",
        900,
        "OCR time spent on one document; pages past it are listed in an `ocr-skipped` event",
        _positive_int,
    ),
    # Two page processes halve a scan's wall time on two cores (bench/bench_ocr_pages.py);
    # more than the cores only queue tesseracts behind each other.
    Setting(
        "KHLANG_OCR_WORKERS",
        min(2, os.cpu_count() or 1),
        "processes that OCR the pages of one scanned PDF or multi-page TIFF at once (each "
        "renders and reads one page at a time)",
        _positive_int,
        "min(2, cores)",
    ),
    Setting(
        "KHLANG_OCR_PAGE_SECONDS",
        120,
        "time one page's OCR may take; past it the page is left unread, named with the reason "
        "in the document's warnings, and the other pages are kept",
        _positive_int,
    ),
    Setting(
        "KHLANG_MAX_SHEET_CELLS",
        2_000_000,
        "cells read of one workbook (XLSX); the cut is a warning in the `extracted` event",
        _positive_int,
    ),
    # Pillow's own bomb bound is 89 M pixels (a warning) and twice that (an error); 50 M
    # pixels is an A4 page scanned at 600 dpi with room to spare, about 150 MB as RGB.
    Setting(
        "KHLANG_MAX_IMAGE_PIXELS",
        50_000_000,
        "largest image (width x height) decoded for OCR; a larger one is stored without text",
        _positive_int,
    ),
    # It counts what is reserved, not what is used: a worker that OCRed a scan and read
    # an XLSX peaked at about 0.7 GB of address space (VmPeak).
    Setting(
        "KHLANG_WORKER_MEMORY",
        _2G,
        "address space of each `--workers` process (RLIMIT_AS, also for the tesseract, "
        f"pdftoppm and LibreOffice it starts; {_AS_ABOVE}); a file that needs more is stored "
        "without text with the reason",
        parse_size,
        "2G",
    ),
    Setting(
        "KHLANG_TEXT_PIECE_CHARS",
        1_000_000,
        "size of the pieces a long text is repaired, encoded and counted in (memory, not results)",
        _positive_int,
    ),
    Setting(
        "KHLANG_SEARCH_BACKEND",
        "whoosh",
        "the search engine: `whoosh` (embedded) or `postgres` (in the PostgreSQL database, "
        "shared by several app servers; see [Search on PostgreSQL](#search-on-postgresql)); "
        "an unknown name stops the start with a Thai/English error",
        _lowercase_name,
    ),
    Setting(
        "KHLANG_OBJECT_STORE",
        "",
        "where originals are kept: a folder, or `s3://BUCKET/PREFIX` (see "
        "[Preservation](#preservation-การเก็บรักษา))",
        _store_spec,
        "`objects/` in the data directory",
    ),
    Setting(
        "KHLANG_S3_ENDPOINT_URL",
        None,
        "the S3-compatible service and its credentials",
        shown="boto3's own (`AWS_*`, `~/.aws`)",
        also=tuple(f"KHLANG_S3_{suffix}" for suffix in _S3[1:]),
    ),
    Setting(
        "KHLANG_REPLICA",
        "",
        "the second copy of every original: a folder (another disk, an NFS mount) or "
        "`s3://BUCKET/PREFIX`",
        _store_spec,
        "none",
    ),
    Setting(
        "KHLANG_REPLICA_S3_ENDPOINT_URL",
        None,
        "the replica's S3 service when it is not the same one",
        shown="the `KHLANG_S3_*` values",
        also=tuple(f"KHLANG_REPLICA_S3_{suffix}" for suffix in _S3[1:]),
    ),
    Setting(
        "KHLANG_TEST_DATABASE_URL",
        None,
        "tests: also run the database-facing tests on this PostgreSQL",
        shown="unset (`.ci/run` sets it when PostgreSQL answers on 127.0.0.1:5432)",
    ),
    # --- the web service (README "Web service and API")
    Setting(
        "KHLANG_SECRET_KEY",
        None,
        "session signing key",
        shown="generated once into `data/secret_key`",
        section="web",
    ),
    # 2 GiB: the largest single deliverable seen is a video.
    Setting(
        "KHLANG_MAX_UPLOAD",
        _2G,
        "largest upload request: bytes, or a number with K, M or G (`500M`)",
        parse_size,
        "2 GiB",
        section="web",
    ),
    # None: decided by create_app (on, but off under TESTING or KHLANG_DEV).
    Setting(
        "KHLANG_SECURE_COOKIES",
        None,
        "`0` for plain-http development",
        _flag,
        "secure",
        section="web",
    ),
    Setting(
        "KHLANG_DEV",
        False,
        "`1`: development on this machine (cookies without Secure, as `KHLANG_SECURE_COOKIES=0`)",
        _flag,
        "off",
        section="web",
    ),
    Setting("WEB_CONCURRENCY", 3, "gunicorn workers (`Procfile`)", _positive_int, section="web"),
    Setting(
        "PORT", 8000, "the port gunicorn listens on (`Procfile`)", _positive_int, section="web"
    ),
    # None: decided by create_app (on, but off under TESTING).
    Setting(
        "KHLANG_WARM_SEARCH",
        None,
        "`0`: do not build the search tables in the background when a worker starts",
        _flag,
        "on",
        section="web",
    ),
    Setting(
        "MAX_REQUESTS",
        20000,
        "requests after which a gunicorn worker is replaced (`Procfile`)",
        _count,
        section="web",
    ),
    Setting(
        "MAX_REQUESTS_JITTER",
        2000,
        "up to this many more, at random, so that workers are not all replaced at once",
        _count,
        section="web",
    ),
    # One less than the Procfile's 4 threads: a worker keeps a thread for the rest.
    Setting(
        "KHLANG_SEARCH_SLOTS",
        3,
        "searches one worker runs at once",
        _positive_int,
        section="web",
    ),
    Setting(
        "KHLANG_SEARCH_WAIT",
        5.0,
        "seconds a search waits for a slot before `503 busy`",
        _seconds,
        "5",
        section="web",
    ),
    # --- behind a reverse proxy, and login throttling (README "Security")
    # Every other request: JSON and forms. The reuse text is cut at 50,000 characters
    # (about 150 KB of Thai in UTF-8), so 2 MiB is room to spare, and 300 MB is refused.
    Setting(
        "KHLANG_MAX_BODY",
        2 * 1024**2,
        f"largest request body on routes that take no files: bytes ({_AS_ABOVE})",
        parse_size,
        "2 MiB",
        section="proxy",
    ),
    Setting(
        "KHLANG_PROXY_COUNT",
        0,
        "reverse proxies in front whose `X-Forwarded-For`/`-Proto` to trust",
        _count,
        section="proxy",
    ),
    Setting(
        "KHLANG_LOGIN_WINDOW",
        900,
        "seconds a failed login counts",
        _count,
        section="proxy",
    ),
    # An office behind one NAT address shares the count.
    Setting(
        "KHLANG_LOGIN_ADDRESS_LIMIT",
        20,
        "failed logins from one address before it is refused (a provincial office behind one "
        "NAT address shares this count: raise it for large offices)",
        _count,
        section="proxy",
    ),
    Setting(
        "KHLANG_LOGIN_ACCOUNT_LIMIT",
        5,
        "failed logins on one account before it is slowed",
        _count,
        section="proxy",
    ),
    Setting(
        "KHLANG_LOGIN_ACCOUNT_DELAY",
        30,
        "seconds between attempts on a slowed account",
        _count,
        section="proxy",
    ),
    # Cluster mode (README "Running on several machines"): jobs on a message broker.
    Setting(
        "KHLANG_BROKER_URL",
        "",
        "the message broker (`amqp://USER:PASS@HOST:5672//`); set, it is cluster mode: web "
        "servers only queue uploads and `khlang worker` processes ingest them",
        section="cluster",
        shown="none (jobs run in the process that received them)",
    ),
    Setting(
        "KHLANG_QUEUE",
        "khlang",
        "the queue's name: installations (or test runs) sharing one broker keep apart by it",
        section="cluster",
    ),
    Setting(
        "KHLANG_SPOOL_DIR",
        "",
        "the folder every worker reads a job's received files from (a shared mount)",
        section="cluster",
        shown="`spool/` in the data directory",
    ),
    Setting(
        "KHLANG_HOLD_AT",
        "",
        "for crash tests only, never on a serving installation: `STEP:PATTERN:SECONDS` makes "
        "the process working on a file whose name matches wait at that step (`stored`, "
        "`enqueue`; `ocr-page`, on a broker, where the name is `NAME page N`)",
        _hold_spec,
        section="cluster",
        shown="none",
    ),
    # A streaming standby (README "Read replica") takes searches and listings off the primary.
    Setting(
        "KHLANG_DATABASE_READ_URL",
        "",
        "a read replica (a streaming standby of `KHLANG_DATABASE_URL`): the postgres search "
        "backend's searches and the read-only pages (document, inventory, gap report, home) "
        "read there, never writes; a user's own changes are read from the primary until the "
        "replica has replayed them; down or lagging, reads go to the primary",
        _postgres_url,
        section="cluster",
        shown="none (every read on the primary)",
    ),
    Setting(
        "KHLANG_READ_REPLICA_MAX_LAG",
        30.0,
        "seconds the read replica may be behind the primary and still answer reads",
        _seconds,
        "30",
        section="cluster",
    ),
)

_BY_NAME = {name: entry for entry in SETTINGS for name in entry.names}


def setting(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The value of one setting of the table: the environment's, parsed, else the default
    (ConfigError names a value that cannot be read)."""
    return _BY_NAME[name].read(environ, name)


def default(name: str) -> Any:
    return _BY_NAME[name].default


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Read every setting of the table, so that a bad value stops the CLI or the service
    before anything runs; ConfigError says each bad one, with the reason."""
    problems = []
    for entry in SETTINGS:
        for name in entry.names:
            try:
                entry.read(environ, name)
            except ConfigError as exc:
                problems.append(str(exc))
    if problems:
        raise ConfigError("; ".join(problems))


def current_values(environ: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(name, value set in the environment or "", default as shown) for each setting;
    credentials and the secret key are shown as set or not, never themselves."""
    environ = os.environ if environ is None else environ
    rows = []
    for entry in SETTINGS:
        for name in entry.names:
            value = environ.get(name, "")
            hidden = ("SECRET", "ACCESS_KEY", "DATABASE_URL", "DATABASE_READ_URL")
            if value and any(word in name for word in hidden):
                value = "(set)"
            rows.append((name, value, entry.shown_default))
    return rows


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    max_file_size: int = default("KHLANG_MAX_FILE_SIZE")
    max_bundle_total: int = default("KHLANG_MAX_BUNDLE_TOTAL")
    max_bundle_ratio: int = default("KHLANG_MAX_BUNDLE_RATIO")
    max_bundle_files: int = default("KHLANG_MAX_BUNDLE_FILES")
    # Where originals are kept: "" is <data-dir>/objects; else a folder or s3://BUCKET/PREFIX.
    object_store: str = ""
    # A second copy of every original (a folder on another disk, or s3://...); "" for none.
    replica: str = ""
    search_backend: str = default("KHLANG_SEARCH_BACKEND")
    # A streaming standby searches may read ("" for none), and how far behind it may be.
    database_read_url: str = ""
    read_replica_max_lag: float = default("KHLANG_READ_REPLICA_MAX_LAG")
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
        directory = Path(data_dir or setting("KHLANG_DATA_DIR") or "./data").resolve()
        url = database_url or setting("KHLANG_DATABASE_URL") or ""
        if not url:
            url = f"sqlite:///{directory / 'khlang.sqlite3'}"
        read_url = setting("KHLANG_DATABASE_READ_URL")
        if read_url and not url.startswith("postgresql"):
            raise ConfigError(
                "KHLANG_DATABASE_READ_URL ใช้ได้เมื่อฐานข้อมูลหลักเป็น PostgreSQL เท่านั้น "
                "ตั้ง KHLANG_DATABASE_URL ด้วย (a read replica needs the database itself on "
                "PostgreSQL: set KHLANG_DATABASE_URL too)"
            )
        return cls(
            data_dir=directory,
            database_url=url,
            max_file_size=setting("KHLANG_MAX_FILE_SIZE"),
            max_bundle_total=setting("KHLANG_MAX_BUNDLE_TOTAL"),
            max_bundle_ratio=setting("KHLANG_MAX_BUNDLE_RATIO"),
            max_bundle_files=setting("KHLANG_MAX_BUNDLE_FILES"),
            object_store=setting("KHLANG_OBJECT_STORE"),
            replica=setting("KHLANG_REPLICA"),
            search_backend=setting("KHLANG_SEARCH_BACKEND"),
            database_read_url=read_url,
            read_replica_max_lag=setting("KHLANG_READ_REPLICA_MAX_LAG"),
        )


@dataclass(frozen=True)
class ExtractionLimits:
    """Bounds on what one hostile or odd file may cost, read where files are read (the
    extractors also run in worker processes, which inherit the environment)."""

    max_folder_depth: int = default("KHLANG_MAX_FOLDER_DEPTH")
    max_pdf_pages: int = default("KHLANG_MAX_PDF_PAGES")
    max_ocr_seconds: int = default("KHLANG_MAX_OCR_SECONDS")
    ocr_workers: int = default("KHLANG_OCR_WORKERS")
    ocr_page_seconds: int = default("KHLANG_OCR_PAGE_SECONDS")
    max_sheet_cells: int = default("KHLANG_MAX_SHEET_CELLS")
    max_image_pixels: int = default("KHLANG_MAX_IMAGE_PIXELS")
    worker_memory: int = default("KHLANG_WORKER_MEMORY")

    @classmethod
    def load(cls) -> ExtractionLimits:
        return cls(
            max_folder_depth=setting("KHLANG_MAX_FOLDER_DEPTH"),
            max_pdf_pages=setting("KHLANG_MAX_PDF_PAGES"),
            max_ocr_seconds=setting("KHLANG_MAX_OCR_SECONDS"),
            ocr_workers=setting("KHLANG_OCR_WORKERS"),
            ocr_page_seconds=setting("KHLANG_OCR_PAGE_SECONDS"),
            max_sheet_cells=setting("KHLANG_MAX_SHEET_CELLS"),
            max_image_pixels=setting("KHLANG_MAX_IMAGE_PIXELS"),
            worker_memory=setting("KHLANG_WORKER_MEMORY"),
        )
