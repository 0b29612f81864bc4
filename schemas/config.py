"""Where Khlang keeps its data, and the limits it works within.

One data directory holds the SQLite database, the search index and the preserved objects
(the embedded default). ``KHLANG_DATABASE_URL`` moves the database to PostgreSQL for larger
installations; the index and the objects stay under the data directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_MAX_FILE_SIZE = 2 * 1024**3  # 2 GiB: a long training video is the largest deliverable seen


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # Bounds that make a ZIP bomb fail cleanly instead of filling the disk.
    max_bundle_total: int = 8 * 1024**3
    max_bundle_ratio: int = 200
    max_bundle_files: int = 20_000
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
        """Settings from arguments, then environment, then defaults."""
        directory = Path(data_dir or os.environ.get("KHLANG_DATA_DIR") or "./data").resolve()
        url = database_url or os.environ.get("KHLANG_DATABASE_URL") or ""
        if not url:
            url = f"sqlite:///{directory / 'khlang.sqlite3'}"
        limit = int(os.environ.get("KHLANG_MAX_FILE_SIZE") or DEFAULT_MAX_FILE_SIZE)
        return cls(data_dir=directory, database_url=url, max_file_size=limit)
