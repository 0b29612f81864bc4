"""Real Thai text for benchmarks: the thaigov news releases in ../shared/corpus, streamed
from the tar.xz (never unpacked into the repository)."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
THAIGOV = [
    SHARED / "corpus" / "thaigov-2020-2022.tar.xz",
    SHARED / "corpus" / "thaigov-2025.tar.xz",
]


def thaigov_texts(limit: int | None = None) -> Iterator[tuple[str, str]]:
    """(name, text) pairs, in archive order, up to ``limit``."""
    count = 0
    for archive_path in THAIGOV:
        with tarfile.open(archive_path, "r:xz") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                yield Path(member.name).name, handle.read().decode("utf-8", "replace")
                count += 1
                if limit is not None and count >= limit:
                    return


def replicated(limit: int) -> Iterator[tuple[str, str]]:
    """``limit`` texts; past the real corpus, the corpus again with a copy number, so a
    replicated document stays distinct (different bytes, same language statistics)."""
    produced = 0
    copy = 0
    while produced < limit:
        for name, text in thaigov_texts(limit - produced):
            yield (
                (name if copy == 0 else f"{copy}-{name}"),
                (text if copy == 0 else f"{text}\nสำเนาที่ {copy}"),
            )
            produced += 1
        copy += 1
