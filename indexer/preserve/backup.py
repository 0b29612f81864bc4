"""Backup and restore of a whole installation, while the service runs.

`khlang backup DIR` writes:

    database.sqlite3      SQLite's online backup API: a consistent copy even mid-ingestion
    database.pgdump       PostgreSQL: `pg_dump --format=custom` when pg_dump is installed
    objects/ab/cd/<sha>   every original the database copy refers to, hash-checked on the way
    objects-manifest.txt  with an S3 store: "<sha256>  <location>" instead of copies
    settings.json         the KHLANG_* settings (credentials left out) and what was copied
    secret_key            the key the service signs sessions with

The database is copied first: an original is always stored before its document is recorded,
so every document in the copy finds its object. `khlang restore DIR` brings it back into an
empty data directory and rebuilds the search index from the database.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from archive.objectstore import FolderStore, S3ObjectStore, copy_object
from indexer.core import Khlang
from schemas.config import Settings
from schemas.models import Document, utcnow

SETTINGS_KEPT = (
    "KHLANG_OBJECT_STORE",
    "KHLANG_REPLICA",
    "KHLANG_S3_ENDPOINT_URL",
    "KHLANG_S3_REGION",
    "KHLANG_REPLICA_S3_ENDPOINT_URL",
    "KHLANG_REPLICA_S3_REGION",
    "KHLANG_MAX_FILE_SIZE",
    "KHLANG_MAX_BUNDLE_TOTAL",
    "KHLANG_MAX_BUNDLE_RATIO",
    "KHLANG_MAX_BUNDLE_FILES",
)


class BackupError(ValueError):
    """A backup or restore that cannot go on; the message says which folder and why."""


def _empty_or_new(folder: Path, what: str) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(
            f"{folder}: โฟลเดอร์{what}ต้องว่างหรือยังไม่มี (the {what_en(what)} folder must be "
            f"empty or not exist yet)"
        )
    folder.mkdir(parents=True, exist_ok=True)


def what_en(what: str) -> str:
    return {"สำรอง": "backup", "ข้อมูล": "data"}.get(what, what)


def libpq_url(database_url: str) -> str:
    """SQLAlchemy's postgresql+psycopg://... as pg_dump and pg_restore take it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run_tool(command: list[str]) -> None:
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        # the URL (with any password) is left out of the message
        raise BackupError(
            f"{command[0]} ล้มเหลว ({command[0]} failed): {finished.stderr.strip()[-1000:]}"
        )


def _backup_database(settings: Settings, destination: Path) -> dict:
    if settings.is_sqlite:
        source_path = make_url(settings.database_url).database
        source = sqlite3.connect(source_path)
        target = sqlite3.connect(destination / "database.sqlite3")
        try:
            with target:
                source.backup(target)  # page by page; writers may go on meanwhile
        finally:
            target.close()
            source.close()
        return {"database": "database.sqlite3", "method": "sqlite3 online backup"}
    if shutil.which("pg_dump") is None:
        raise BackupError(
            "ไม่พบ pg_dump: ติดตั้ง postgresql-client หรือสำรองฐานข้อมูลเองด้วย "
            "pg_dump --format=custom แล้วเก็บไว้ในโฟลเดอร์สำรองชื่อ database.pgdump "
            "(pg_dump not found: install postgresql-client, or run pg_dump --format=custom "
            "yourself and keep it in the backup folder as database.pgdump)"
        )
    _run_tool(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            f"--file={destination / 'database.pgdump'}",
            libpq_url(settings.database_url),
        ]
    )
    return {"database": "database.pgdump", "method": "pg_dump --format=custom"}


def _documents_in_copy(destination: Path, settings: Settings) -> list[str]:
    """The SHA-256 of every document the database copy knows (objects to keep with it)."""
    if settings.is_sqlite:
        with sqlite3.connect(destination / "database.sqlite3") as connection:
            return [row[0] for row in connection.execute("SELECT sha256 FROM documents")]
    core = Khlang(settings)  # the dump was taken first: rows added since are not in it
    try:
        with core.sessions() as session:
            return list(session.scalars(select(Document.sha256)))
    finally:
        core.dispose()


def backup(core: Khlang, destination: Path, *, progress=None) -> dict:
    destination = Path(destination)
    _empty_or_new(destination, "สำรอง")
    started = utcnow()
    report = _backup_database(core.settings, destination)
    hashes = _documents_in_copy(destination, core.settings)
    if isinstance(core.store, S3ObjectStore):
        # The objects stay where they are (an S3 store has its own durability and
        # versioning); the manifest says what the database copy needs from it.
        lines = [f"{sha}  {core.store.location(sha)}\n" for sha in hashes]
        (destination / "objects-manifest.txt").write_text("".join(lines), encoding="utf-8")
        report["objects"] = {"manifest": "objects-manifest.txt", "count": len(hashes)}
    else:
        target = FolderStore(destination / "objects")
        target.ensure()
        for done, sha256 in enumerate(hashes, start=1):
            copy_object(core.store, target, sha256)
            if progress:
                progress(done, len(hashes))
        shutil.rmtree(target.tmp_dir, ignore_errors=True)
        report["objects"] = {"folder": "objects", "count": len(hashes)}
    secret = core.settings.data_dir / "secret_key"
    if secret.is_file():
        shutil.copy2(secret, destination / "secret_key")
    settings = {name: os.environ[name] for name in SETTINGS_KEPT if os.environ.get(name)}
    report.update(
        ok=True,
        backup=str(destination),
        documents=len(hashes),
        started_at=started.isoformat(),
        finished_at=utcnow().isoformat(),
        settings=settings,
    )
    (destination / "settings.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return report


def restore(settings: Settings, source: Path, *, agent: str, progress=None) -> dict:
    """Bring a backup back into an empty data directory, then rebuild the search index."""
    from indexer.ingest.indexing import reindex

    source = Path(source)
    manifest_path = source / "settings.json"
    if not manifest_path.is_file():
        raise BackupError(
            f"{source}: ไม่ใช่โฟลเดอร์สำรองของคลัง ไม่มี settings.json "
            f"(not a Khlang backup: no settings.json)"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    _empty_or_new(settings.data_dir, "ข้อมูล")
    if manifest["database"] == "database.sqlite3":
        if not settings.is_sqlite:
            raise BackupError(
                f"{source}: สำรองจาก SQLite แต่ตั้ง KHLANG_DATABASE_URL ไว้ "
                f"(a SQLite backup, but KHLANG_DATABASE_URL is set)"
            )
        target_path = make_url(settings.database_url).database
        with sqlite3.connect(source / "database.sqlite3") as backup_db:
            target = sqlite3.connect(target_path)
            try:
                backup_db.backup(target)
            finally:
                target.close()
    else:
        if settings.is_sqlite or shutil.which("pg_restore") is None:
            raise BackupError(
                f"{source}: กู้คืนด้วย pg_restore --no-owner --dbname=URL database.pgdump "
                f"ลงฐานข้อมูล PostgreSQL ที่ว่าง (restore with pg_restore into an empty "
                f"PostgreSQL database named by KHLANG_DATABASE_URL)"
            )
        _run_tool(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={libpq_url(settings.database_url)}",
                str(source / "database.pgdump"),
            ]
        )
    if (source / "secret_key").is_file():
        shutil.copy2(source / "secret_key", settings.data_dir / "secret_key")
    core = Khlang(settings)
    try:
        core.init()  # a backup from an older version is migrated here
        copied = 0
        if (source / "objects").is_dir():
            backup_store = FolderStore(source / "objects", settings.tmp_dir)
            hashes = [name for name, _ in backup_store.iter_objects()]
            for done, sha256 in enumerate(hashes, start=1):
                if not core.store.exists(sha256):
                    copy_object(backup_store, core.store, sha256)
                    copied += 1
                if progress:
                    progress(done, len(hashes))
        rebuilt = reindex(core, agent=agent)
    finally:
        core.dispose()
    return {
        "ok": True,
        "restored": str(settings.data_dir),
        "documents": manifest["documents"],
        "objects_copied": copied,
        "indexed": rebuilt.get("documents"),
        "settings": manifest.get("settings", {}),
    }
