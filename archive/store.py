"""Content-addressed object store under ``<data-dir>/objects/``.

Each original is kept exactly once, at ``objects/ab/cd/<sha256>``. A write goes to a temporary
file in the same filesystem, is fsynced, then renamed into place, so a crash at any moment
leaves either no object or a whole one, never a partial file under its final name. Objects are
made read-only and never rewritten: a second arrival of the same bytes finds the object there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class FileTooLarge(ValueError):
    """The file is over the configured size limit."""

    def __init__(self, limit: int):
        super().__init__(f"larger than the limit of {limit:,} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Staged:
    sha256: str
    size: int
    path: Path


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    path: Path
    created: bool  # False when these bytes were already in the store


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ObjectStore:
    def __init__(self, root: Path, tmp_dir: Path | None = None):
        self.root = Path(root)
        self.tmp_dir = Path(tmp_dir) if tmp_dir else self.root / ".tmp"

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path_for(sha256), "rb")

    def stage_stream(self, stream: BinaryIO, max_size: int | None = None) -> Staged:
        """Copy a stream to a temporary file in the store, hashing as it goes.

        Nothing is acknowledged yet: ``commit`` moves it into place, ``discard`` drops it.
        The pipeline identifies and extracts the staged copy, so an unsound file is refused
        before it ever becomes an object.
        """
        self.ensure()
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp_dir, prefix="incoming-")
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise FileTooLarge(max_size)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
        return Staged(digest.hexdigest(), size, tmp_path)

    def stage_file(self, path: Path, max_size: int | None = None) -> Staged:
        with open(path, "rb") as handle:
            return self.stage_stream(handle, max_size=max_size)

    def commit(self, staged: Staged) -> StoredObject:
        """Move a staged file into place atomically; keep the existing object if present."""
        final = self.path_for(staged.sha256)
        if final.is_file():
            staged.path.unlink(missing_ok=True)
            return StoredObject(staged.sha256, staged.size, final, created=False)
        return self.replace(staged)

    def replace(self, staged: Staged) -> StoredObject:
        """Move a staged file into place over whatever is there: how a corrupt object is
        replaced by a newly arrived copy whose hash was checked while it was staged."""
        final = self.path_for(staged.sha256)
        self._make_folders(final.parent)
        os.chmod(staged.path, 0o444)
        # os.replace is atomic: two writers of the same bytes both end with one whole file,
        # and a reader sees the old file or the new one, never a mix.
        os.replace(staged.path, final)
        _fsync_directory(final.parent)
        return StoredObject(staged.sha256, staged.size, final, created=True)

    def _make_folders(self, folder: Path) -> None:
        """Create ``folder`` (``ab/cd`` under the root) durably: a new folder's own name
        lives in its parent, and without the parent's fsync a power cut could take the
        folder, and the objects fsynced into it, away."""
        if folder.is_dir():
            return
        new = [f for f in (folder.parent, folder) if not f.is_dir()]  # ab, then ab/cd
        folder.mkdir(parents=True, exist_ok=True)
        for created in new:
            _fsync_directory(created.parent)

    def discard(self, staged: Staged) -> None:
        staged.path.unlink(missing_ok=True)

    def put_stream(self, stream: BinaryIO, max_size: int | None = None) -> StoredObject:
        return self.commit(self.stage_stream(stream, max_size=max_size))

    def put_file(self, path: Path, max_size: int | None = None) -> StoredObject:
        with open(path, "rb") as handle:
            return self.put_stream(handle, max_size=max_size)

    def iter_objects(self) -> Iterator[tuple[str, Path]]:
        """Every file in the store, with the hash its name claims: also files that are not
        where an object belongs (``path != path_for(name)``), which verify reports."""
        if not self.root.is_dir():
            return
        for folder, subfolders, files in os.walk(self.root):
            subfolders[:] = sorted(d for d in subfolders if Path(folder, d) != self.tmp_dir)
            for name in sorted(files):
                yield name, Path(folder, name)

    def check(self, sha256: str) -> str:
        """'ok', 'missing' or 'corrupt' for one object."""
        path = self.path_for(sha256)
        if not path.is_file():
            return "missing"
        return "ok" if sha256_of_file(path) == sha256 else "corrupt"

    # What killed writers leave in tmp: staged objects, unpacked bundle members, and
    # upload request bodies spooled to disk (upload job folders, tmp/uploads/job-*, are
    # resumable jobs' files: indexer.ingest.jobs removes them).
    LEFTOVERS = ("incoming-*", "bundle-*", "uploads/upload-*")

    def clean_tmp(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files a killed writer left behind; they were never acknowledged.

        Only old ones: a younger file may belong to an ingestion still running elsewhere.
        """
        removed = 0
        cutoff = time.time() - older_than_seconds
        if not self.tmp_dir.is_dir():
            return 0
        for pattern in self.LEFTOVERS:
            for leftover in self.tmp_dir.glob(pattern):
                try:
                    if leftover.lstat().st_mtime >= cutoff:
                        continue
                    if leftover.is_dir() and not leftover.is_symlink():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink(missing_ok=True)
                except FileNotFoundError:
                    continue  # its writer finished meanwhile
                removed += 1
        return removed
