"""ZIP bundles: the bundle itself is kept as a document, then every member is ingested with
its path inside the bundle as provenance.

Bundles come from Thai Windows machines, whose ZIP tools write member names in cp874 without
the UTF-8 flag. Unpacking refuses traversal and absolute paths and stops at configured bounds
(total size, compression ratio, member count, nesting depth), so a ZIP bomb fails cleanly
with a reason instead of filling the disk.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from indexer.extract import Extraction, UnsoundFile
from indexer.identify import identify

if TYPE_CHECKING:
    from indexer.pipeline import FileResult, Ingestor, Source

ZIP_MIMES = {"application/zip", "application/x-zip-compressed"}
UTF8_FLAG = 0x800
MAX_DEPTH = 4
CHUNK = 1024 * 1024

REASONS = {
    "corrupt": "ไฟล์ ZIP เสียหาย เปิดไม่ได้ (corrupt ZIP: {detail})",
    "traversal": "ชื่อไฟล์ในZIPชี้ออกนอกโฟลเดอร์ ไม่ยอมแตกไฟล์ (path traversal refused: {detail})",
    "absolute": "ชื่อไฟล์ในZIPเป็นพาธสัมบูรณ์ ไม่ยอมแตกไฟล์ (absolute path refused: {detail})",
    "encrypted": "ไฟล์ในZIPถูกเข้ารหัส (encrypted ZIP member)",
    "too-many": "ZIP มีไฟล์มากเกิน {limit} ไฟล์ (too many members: ZIP bomb refused)",
    "too-big": "ขนาดรวมหลังแตกไฟล์เกิน {limit} ไบต์ (total uncompressed size over the limit: ZIP bomb refused)",
    "ratio": "อัตราการบีบอัดสูงผิดปกติ {ratio}:1 (compression ratio over {limit}:1: ZIP bomb refused)",
    "depth": "ZIP ซ้อนกันลึกเกิน {limit} ชั้น (nesting deeper than {limit} levels)",
    "member-corrupt": "แตกไฟล์นี้จากZIPไม่ได้ (member cannot be read: {detail})",
}


def reason(code: str, **values) -> str:
    return REASONS[code].format(**values)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: cp874 when the UTF-8 flag is absent (Thai Windows)."""
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "cp874"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def safe_member_path(name: str) -> tuple[str | None, str | None]:
    """(normalised relative path, None) or (None, refusal reason)."""
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        return None, reason("absolute", detail=name)
    parts = [p for p in PurePosixPath(cleaned).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None, reason("traversal", detail=name)
    return "/".join(parts), None


def listing_extraction(path: Path) -> Extraction:
    """A bundle's text is the list of its members' names: it makes the bundle findable by
    the names of what it holds, which is how staff remember a delivery."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsoundFile("zip-corrupt", "ไฟล์ ZIP เสียหาย เปิดไม่ได้", f"corrupt ZIP: {exc}") from exc
    names = [member_name(i) for i in infos if not i.is_dir()]
    names = [n for n in names if not _is_junk(n)]
    return Extraction(
        text="\n".join(names),
        method="zip-listing",
        tools=["python zipfile"],
        repairs=[],
        fallbacks=[],
        warnings=[],
        metadata={"members": len(names), "uncompressed": sum(i.file_size for i in infos)},
    )


def _is_junk(name: str) -> bool:
    from indexer.pipeline import is_junk

    return is_junk(name)


def is_zip_bundle(source: Source) -> bool:
    if not zipfile.is_zipfile(source.local_path):
        return False
    return identify(source.local_path, source.original_name).mime in ZIP_MIMES


def expand_sources(
    ingestor: Ingestor, items: Iterable[Source | FileResult]
) -> Iterator[Source | FileResult]:
    """Pass files through; for a ZIP, ingest it, then yield its members (recursively)."""
    from indexer.pipeline import FileResult

    for item in items:
        if isinstance(item, FileResult) or not _looks_like_zip(item):
            yield item
            continue
        yield from _expand_bundle(ingestor, item, depth=1)


def _looks_like_zip(source: Source) -> bool:
    try:
        return source.local_path.is_file() and is_zip_bundle(source)
    except OSError:
        return False


def _expand_bundle(ingestor: Ingestor, source: Source, depth: int) -> Iterator:
    from indexer.pipeline import REJECTED, FileResult, Source

    settings = ingestor.core.settings
    bundle_result = ingestor.ingest_one(source)
    yield Processed(bundle_result)
    if bundle_result.status == REJECTED or bundle_result.document_id is None:
        return
    prefix = source.bundle_path + "/" if source.bundle_path else ""

    def refuse(path: str, why: str) -> FileResult:
        return FileResult(f"{source.display_path}/{path}", REJECTED, error=why, filename=path)

    if depth > MAX_DEPTH:
        yield refuse("", reason("depth", limit=MAX_DEPTH))
        return
    try:
        archive = zipfile.ZipFile(source.local_path)
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        yield refuse("", reason("corrupt", detail=str(exc)))
        return
    from indexer.pipeline import is_junk

    with archive:
        members = [(info, member_name(info)) for info in infos]
        members = [(info, name) for info, name in members if not is_junk(name)]
        # Bounds checked on the declared sizes first, then enforced on the real bytes.
        if len(members) > settings.max_bundle_files:
            yield refuse("", reason("too-many", limit=settings.max_bundle_files))
            return
        declared = sum(info.file_size for info, _ in members)
        if declared > settings.max_bundle_total:
            yield refuse("", reason("too-big", limit=f"{settings.max_bundle_total:,}"))
            return
        ingestor.add_to_total(len(members))
        workdir = Path(tempfile.mkdtemp(prefix="bundle-", dir=settings.tmp_dir))
        written_total = 0
        try:
            for info, name in members:
                relative, refusal = safe_member_path(name)
                if refusal:
                    yield refuse(name, refusal)
                    continue
                if info.flag_bits & 0x1:
                    yield refuse(relative, reason("encrypted"))
                    continue
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > CHUNK and ratio > settings.max_bundle_ratio:
                    yield refuse(
                        relative, reason("ratio", ratio=int(ratio), limit=settings.max_bundle_ratio)
                    )
                    continue
                target = workdir / "member"
                try:
                    written = _copy_bounded(
                        archive, info, target, settings.max_bundle_total - written_total
                    )
                except _TooBig:
                    yield refuse(
                        relative, reason("too-big", limit=f"{settings.max_bundle_total:,}")
                    )
                    return
                except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                    yield refuse(relative, reason("member-corrupt", detail=str(exc)))
                    continue
                written_total += written
                member = Source(
                    local_path=target,
                    original_name=PurePosixPath(relative).name,
                    display_path=f"{source.display_path}/{relative}",
                    source_path=source.source_path,
                    bundle_path=prefix + relative,
                    bundle_document_id=bundle_result.document_id,
                    bundle_sha256=bundle_result.sha256,
                )
                if _looks_like_zip(member):
                    nested = workdir / f"nested-{depth}"
                    target.rename(nested)
                    member.local_path = nested
                    yield from _expand_bundle(ingestor, member, depth + 1)
                    nested.unlink(missing_ok=True)
                else:
                    yield member
                    target.unlink(missing_ok=True)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


class _TooBig(Exception):
    pass


def _copy_bounded(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int
) -> int:
    """Copy one member, stopping as soon as the real bytes exceed the remaining budget
    (declared sizes in a ZIP header can lie)."""
    written = 0
    with archive.open(info) as source, open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > budget:
                raise _TooBig
            out.write(chunk)
    return written


class Processed:
    """A result already ingested and recorded during expansion (the bundle itself)."""

    def __init__(self, result: FileResult):
        self.result = result
