"""ZIP bundles: the bundle itself is kept as a document, then every member is ingested with
its path inside the bundle as provenance.

Bundles come from Thai Windows machines, whose ZIP tools write member names in cp874 without
the UTF-8 flag. Unpacking refuses traversal and absolute paths and stops at configured bounds
(total size, compression ratio, member count, nesting depth), so a ZIP bomb fails cleanly
with a reason instead of filling the disk.
"""

from __future__ import annotations

import logging
import lzma
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from indexer.extract import Extraction, UnsoundFile
from indexer.ingest.identify import content_mime
from indexer.ingest.names import decode_name_bytes
from indexer.ingest.sources import REJECTED, FileResult, Source, is_junk, unexpected_error
from schemas.config import Settings


class Ingestor(Protocol):
    """What unpacking needs of the ingestor (indexer.ingest.pipeline.Ingestor): its core (for the
    settings), to ingest one file, to hear that a bundle added members to the job, and to
    take refused members out of a bundle's listing."""

    core: Any

    def ingest_one(self, source: Source) -> FileResult: ...

    def add_to_total(self, count: int) -> None: ...

    def drop_from_listing(self, document_id: int, names: list[str]) -> None: ...


log = logging.getLogger(__name__)

UTF8_FLAG = 0x800
MAX_DEPTH = 4
CHUNK = 1024 * 1024
# Files up to this size are never refused for their compression ratio (see Budget).
RATIO_FLOOR = 64 * 1024

REASONS = {
    "corrupt": "ไฟล์บีบอัดเสียหาย เปิดไม่ได้ (corrupt bundle: {detail})",
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
    return decode_name_bytes(raw) or info.filename


def safe_member_path(name: str) -> tuple[str | None, str | None]:
    """(normalised relative path, None) or (None, refusal reason)."""
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        return None, reason("absolute", detail=name)
    parts = [p for p in PurePosixPath(cleaned).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None, reason("traversal", detail=name)
    return "/".join(parts), None


class BundleError(Exception):
    """The bundle cannot be opened at all."""


@dataclass
class Member:
    name: str  # decoded, as the sender saw it
    size: int
    compressed: int | None
    encrypted: bool
    handle: object  # the reader's own reference to the member


class ZipReader:
    tool = "python zipfile"
    label = "ZIP"

    def __init__(self, path: Path):
        try:
            self.archive = zipfile.ZipFile(path)
            self.infos = [i for i in self.archive.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BundleError(str(exc)) from exc

    def members(self) -> list[Member]:
        return [
            Member(member_name(i), i.file_size, i.compress_size, bool(i.flag_bits & 0x1), i)
            for i in self.infos
        ]

    def copy_to(self, member: Member, target: Path, budget: int) -> int:
        """Copy one member, stopping as soon as the real bytes exceed the remaining budget
        (declared sizes in a ZIP header can lie)."""
        written = 0
        try:
            with self.archive.open(member.handle) as source, open(target, "wb") as out:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    if written > budget:
                        raise _TooBig
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, RuntimeError) as exc:
            # A damaged member (a bad CRC, a deflate stream zlib cannot read): that member's
            # failure, told as OSError as every reader tells it, never the whole bundle's.
            raise OSError(str(exc)) from exc
        return written

    def close(self) -> None:
        self.archive.close()


class SevenZipReader:
    """7z through py7zr. Names in 7z are Unicode, so no code-page guessing is needed."""

    label = "7z"

    def __init__(self, path: Path):
        import py7zr

        self.tool = f"py7zr {py7zr.__version__}"
        self.path = path
        try:
            with py7zr.SevenZipFile(path) as archive:
                self.encrypted = archive.needs_password()
                self.infos = [i for i in archive.list() if not i.is_directory]
        except (py7zr.Bad7zFile, OSError, EOFError, ValueError) as exc:
            raise BundleError(str(exc)) from exc

    def members(self) -> list[Member]:
        return [
            Member(i.filename, i.uncompressed or 0, i.compressed, self.encrypted, i.filename)
            for i in self.infos
        ]

    def copy_to(self, member: Member, target: Path, budget: int) -> int:
        import py7zr

        if member.size > budget:
            raise _TooBig
        folder = target.parent / "7z-member"
        shutil.rmtree(folder, ignore_errors=True)
        try:
            with py7zr.SevenZipFile(self.path) as archive:
                archive.extract(path=folder, targets=[member.handle])
            extracted = folder / member.handle
            if not extracted.is_file():
                raise OSError("member was not extracted")
            written = extracted.stat().st_size
            if written > budget:
                raise _TooBig
            extracted.replace(target)
            return written
        except (py7zr.exceptions.ArchiveError, lzma.LZMAError, EOFError) as exc:
            raise OSError(str(exc)) from exc  # a damaged member: see ZipReader.copy_to
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        pass


READERS = {
    "application/zip": ZipReader,
    "application/x-zip-compressed": ZipReader,
    "application/x-7z-compressed": SevenZipReader,
}
BUNDLE_MIMES = set(READERS)


def open_reader(path: Path, mime: str):
    return READERS[mime](path)


def listing_extraction(path: Path, mime: str = "application/zip") -> Extraction:
    """A bundle's text is the list of its members' names: it makes the bundle findable by
    the names of what it holds, which is how staff remember a delivery."""
    reader_class = READERS[mime]
    try:
        reader = reader_class(path)
    except BundleError as exc:
        label = reader_class.label
        raise UnsoundFile(
            f"{label.lower()}-corrupt", f"ไฟล์ {label} เสียหาย เปิดไม่ได้", f"corrupt {label}: {exc}"
        ) from exc
    members = [m for m in reader.members() if not is_junk(m.name)]
    reader.close()
    return Extraction(
        text="\n".join(m.name for m in members),
        method="bundle-listing",
        tools=[reader.tool],
        repairs=[],
        fallbacks=[],
        warnings=[],
        metadata={"members": len(members), "uncompressed": sum(m.size for m in members)},
    )


# Leading bytes of the formats we unpack: a cheap look before asking libmagic, which would
# otherwise run twice on every file of a batch.
BUNDLE_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"7z\xbc\xaf\x27\x1c")


def bundle_mime(source: Source) -> str | None:
    """The bundle type of a file, by content, or None when it is not a bundle we unpack."""
    with open(source.local_path, "rb") as handle:
        if not handle.read(8).startswith(BUNDLE_SIGNATURES):
            return None
    mime = content_mime(source.local_path, source.original_name)
    return mime if mime in BUNDLE_MIMES else None


@dataclass
class Budget:
    """What a bundle and every bundle nested in it may unpack together: a ZIP of ZIPs gets
    no fresh limits at each level."""

    files: int  # members left
    bytes: int  # uncompressed bytes left
    settings: Settings

    @classmethod
    def of(cls, settings: Settings) -> Budget:
        return cls(settings.max_bundle_files, settings.max_bundle_total, settings)

    def too_compressed(self, size: int, compressed: int | None) -> str | None:
        """The refusal when ``size`` bytes from ``compressed`` ones is a bomb's ratio.
        Tiny files are exempt: a few KiB of spaces compress a thousandfold."""
        limit = self.settings.max_bundle_ratio
        if not compressed or size <= RATIO_FLOOR or size / compressed <= limit:
            return None
        return reason("ratio", ratio=int(size / compressed), limit=limit)

    def too_big(self) -> str:
        return reason("too-big", limit=f"{self.settings.max_bundle_total:,}")


def expand_sources(
    ingestor: Ingestor, items: Iterable[Source | FileResult], bundle_mimes: Iterable[str | None]
) -> Iterator[Source | FileResult]:
    """Pass files through; for a bundle (``bundle_mimes``: each item's bundle type, or
    None), ingest it, then yield its members (recursively)."""

    for item, mime in zip(items, bundle_mimes, strict=True):
        if mime is None:
            yield item
            continue
        try:
            budget = Budget.of(ingestor.core.settings)
            yield from _expand_bundle(ingestor, item, mime, depth=1, budget=budget)
        except Exception as exc:
            # What was unpacked so far is recorded; the rest of this bundle is refused
            # with the reason, and the batch goes on with the next file.
            log.exception("unpacking %s failed", item.display_path)
            yield FileResult(f"{item.display_path}/", REJECTED, error=unexpected_error(exc))


def bundle_mime_or_none(source: Source) -> str | None:
    """bundle_mime, and None for a path that is not a readable file."""
    try:
        return bundle_mime(source) if source.local_path.is_file() else None
    except OSError:
        return None


def refusal_of_whole(members: list[Member], path: Path, budget: Budget) -> str | None:
    """Bounds checked on the declared sizes before anything is unpacked (the real bytes
    are then counted as they are written: declared sizes can lie)."""
    if len(members) > budget.files:
        return reason("too-many", limit=budget.settings.max_bundle_files)
    declared = sum(m.size for m in members)
    if declared > budget.bytes:
        return budget.too_big()
    return budget.too_compressed(declared, path.stat().st_size)


def _expand_bundle(
    ingestor: Ingestor, source: Source, mime: str, depth: int, budget: Budget
) -> Generator[Any, None, FileResult]:
    """Ingest the bundle, then its members; returns the bundle's own result."""
    bundle_result = ingestor.ingest_one(source)
    yield Processed(bundle_result)
    if bundle_result.status == REJECTED or bundle_result.document_id is None:
        return bundle_result

    def refuse(path: str, why: str) -> FileResult:
        return FileResult(f"{source.display_path}/{path}", REJECTED, error=why, filename=path)

    if depth > MAX_DEPTH:
        yield refuse("", reason("depth", limit=MAX_DEPTH))
        return bundle_result
    try:
        reader = open_reader(source.local_path, mime)
    except BundleError as exc:
        yield refuse("", reason("corrupt", detail=str(exc)))
        return bundle_result
    try:
        members = [m for m in reader.members() if not is_junk(m.name)]
        refusal = refusal_of_whole(members, source.local_path, budget)
        if refusal:
            yield refuse("", refusal)
            return bundle_result
        budget.files -= len(members)
        ingestor.add_to_total(len(members))
        workdir = Path(tempfile.mkdtemp(prefix="bundle-", dir=ingestor.core.settings.tmp_dir))
        try:
            refused = yield from _unpack_members(
                ingestor, reader, members, source, bundle_result, workdir, depth, budget, refuse
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    finally:
        reader.close()
    if refused:
        # The bundle's text lists what it holds: a refused member is not archived, and
        # must not be found (nor named a project) through the bundle's listing.
        ingestor.drop_from_listing(bundle_result.document_id, refused)
    return bundle_result


def _unpack_members(
    ingestor, reader, members, source, bundle_result, workdir, depth, budget, refuse
) -> Generator[Any, None, list[str]]:
    """Ingest each member (recursively); returns the names of those refused."""
    refused: list[str] = []
    prefix = source.bundle_path + "/" if source.bundle_path else ""
    target = workdir / "member"
    for member in members:
        copy = _copy_member(reader, member, lambda _relative: target, budget)
        if copy.refusal:
            refused.append(member.name)
            yield refuse(copy.path, copy.refusal)
            if copy.last:
                return refused
            continue
        relative = copy.path
        member_source = Source(
            local_path=target,
            original_name=PurePosixPath(relative).name,
            display_path=f"{source.display_path}/{relative}",
            source_path=source.source_path,
            bundle_path=prefix + relative,
            bundle_document_id=bundle_result.document_id,
            bundle_sha256=bundle_result.sha256,
            bundle_tool=reader.tool,
        )
        nested_mime = bundle_mime_or_none(member_source)
        if nested_mime:
            nested = workdir / f"nested-{depth}"
            target.rename(nested)
            member_source.local_path = nested
            result = yield from _expand_bundle(
                ingestor, member_source, nested_mime, depth + 1, budget
            )
            nested.unlink(missing_ok=True)
        else:
            # Ingested here, not by the caller, so that its outcome is known to the bundle.
            result = ingestor.ingest_one(member_source)
            yield Processed(result)
            target.unlink(missing_ok=True)
        if result.status == REJECTED:
            refused.append(member.name)
    return refused


def copy_members(
    path: Path, mime: str, settings: Settings, target: Callable[[int, str], Path | None]
) -> list[tuple[int, str, Path]]:
    """Copy the bundle's own members (not those of bundles inside it) that ``target(index,
    path in the bundle)`` gives a place to (None: not wanted), within the bounds unpacking
    keeps; a member unpacking would refuse is not copied (its ingest gives the reason).
    (index, 1-based in the bundle's listing; path in the bundle; copy) of each copied.
    Used ahead of the bundle's ingest (indexer.ingest.broker_pages), which names a member
    by the same path."""
    try:
        reader = open_reader(path, mime)
    except BundleError:
        return []
    copied = []
    try:
        members = [m for m in reader.members() if not is_junk(m.name)]
        budget = Budget.of(settings)
        if refusal_of_whole(members, path, budget):
            return []
        for index, member in enumerate(members, start=1):
            # A member refused here is not copied: its ingest gives the reason.
            copy = _copy_member(reader, member, partial(target, index), budget)
            if copy.last:
                break
            if copy.place is not None:
                copied.append((index, copy.path, copy.place))
    finally:
        reader.close()
    return copied


@dataclass
class _Copy:
    """What became of one member: copied to ``place``, refused with ``refusal``, or neither
    (no place was wanted for it)."""

    path: str  # its path in the bundle; its name as given when that name is unsafe
    place: Path | None = None
    refusal: str | None = None
    last: bool = False  # the bundle's bytes are spent: no later member is copied


def _copy_member(
    reader, member: Member, place: Callable[[str], Path | None], budget: Budget
) -> _Copy:
    """Copy one member to ``place(its path in the bundle)`` (None: not wanted) within the
    budget, or say why not: an unsafe path, encryption, a bomb's compression ratio (declared,
    then real: a header can understate the size), damaged compressed data, or the bytes
    spent. Nothing is left at the place of a refused member. The one set of member checks
    of both unpacking (_unpack_members) and copying ahead of ingest (copy_members)."""
    relative, refusal = safe_member_path(member.name)
    if refusal:
        return _Copy(member.name, refusal=refusal)
    if member.encrypted:
        return _Copy(relative, refusal=reason("encrypted"))
    refusal = budget.too_compressed(member.size, member.compressed)
    if refusal:
        return _Copy(relative, refusal=refusal)
    target = place(relative)
    if target is None:
        return _Copy(relative)
    try:
        written = reader.copy_to(member, target, budget.bytes)
    except _TooBig:
        target.unlink(missing_ok=True)
        return _Copy(relative, refusal=budget.too_big(), last=True)
    except OSError as exc:  # the readers tell a damaged member so
        target.unlink(missing_ok=True)
        return _Copy(relative, refusal=reason("member-corrupt", detail=str(exc)))
    budget.bytes -= written
    refusal = budget.too_compressed(written, member.compressed)
    if refusal:  # the header understated the size
        target.unlink(missing_ok=True)
        return _Copy(relative, refusal=refusal)
    return _Copy(relative, place=target)


class _TooBig(Exception):
    pass


class Processed:
    """A result already ingested and recorded during expansion (a bundle, a member)."""

    def __init__(self, result: FileResult):
        self.result = result
