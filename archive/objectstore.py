"""Where originals are kept: the ``ObjectStore`` seam, and the stores behind it.

Every store keeps an object under a key made of its SHA-256 (``ab/cd/<sha256>``), never
overwrites an object that is there (put-if-absent), checks the SHA-256 as it writes, and can
read an object back to verify it. Files are first *staged* in the data directory's ``tmp``
folder (hashed as they arrive, identified and extracted there), then committed to the store:

- ``LocalObjectStore``: a folder (the default, ``<data-dir>/objects``; see archive.store);
- ``S3ObjectStore``: any S3-compatible object store, through boto3.

``open_object_store`` picks one from a setting: a folder path, or ``s3://BUCKET/PREFIX``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from archive.store import CHUNK, Staged, StoredObject, sha256_of_file
from archive.store import ObjectStore as LocalObjectStore


class StoreUnavailable(OSError):
    """The store cannot be reached or refused to work (network, credentials, bucket)."""


@runtime_checkable
class ObjectStore(Protocol):
    """What the archive needs of a place that keeps originals."""

    tmp_dir: Path

    def ensure(self) -> None: ...
    def describe(self) -> str: ...
    def location(self, sha256: str) -> str: ...
    def exists(self, sha256: str) -> bool: ...
    def head(self, sha256: str) -> int | None: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def stage_stream(self, stream: BinaryIO, max_size: int | None = None) -> Staged: ...
    def stage_file(self, path: Path, max_size: int | None = None) -> Staged: ...
    def discard(self, staged: Staged) -> None: ...
    def commit(self, staged: Staged) -> StoredObject: ...
    def replace(self, staged: Staged) -> StoredObject: ...
    def put_file(self, path: Path, max_size: int | None = None) -> StoredObject: ...
    def check(self, sha256: str) -> str: ...
    # (name, location): a Path for a folder store, an s3:// URL for S3
    def iter_objects(self) -> Iterator[tuple[str, str | Path]]: ...
    def misplaced(self, name: str, location: str | Path) -> bool: ...
    def health(self) -> str: ...
    def clean_tmp(self, older_than_seconds: float = 3600) -> int: ...


class FolderStore(LocalObjectStore):
    """Today's folder store, with the rest of the seam: string locations, head, health."""

    def describe(self) -> str:
        return str(self.root)

    def location(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def head(self, sha256: str) -> int | None:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def misplaced(self, name: str, location: str | Path) -> bool:
        return Path(location) != self.path_for(name)

    def health(self) -> str:
        return "ok" if self.root.is_dir() else "error: objects directory missing"


def _checksum(digest_hex: str) -> str:
    """S3's x-amz-checksum-sha256: the digest in base64."""
    return base64.b64encode(bytes.fromhex(digest_hex)).decode("ascii")


class S3ObjectStore(LocalObjectStore):
    """Objects in an S3 bucket under ``PREFIX/ab/cd/<sha256>``; staging stays local."""

    # Larger files go up in parts (a single PUT stops at 5 GiB, and a failed part is
    # retried alone); each part carries its own SHA-256, which the store checks.
    multipart_threshold = 64 * 1024**2
    part_size = 16 * 1024**2

    def __init__(self, url: str, tmp_dir: Path, *, client=None, options: dict | None = None):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"{url!r}: no bucket (expected s3://BUCKET/PREFIX)")
        # The local root is where staged files wait; nothing is kept there.
        super().__init__(Path(tmp_dir), tmp_dir)
        self.url = url
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.options = options or {}
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "s3",
                endpoint_url=self.options.get("endpoint_url") or None,
                region_name=self.options.get("region") or None,
                aws_access_key_id=self.options.get("access_key_id") or None,
                aws_secret_access_key=self.options.get("secret_access_key") or None,
                config=Config(
                    connect_timeout=5,
                    read_timeout=60,
                    retries={"max_attempts": 3, "mode": "standard"},
                    # Send a checksum only where we give one (every put does, SHA-256).
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        return self._client

    def ensure(self) -> None:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def describe(self) -> str:
        return self.url

    def key_for(self, sha256: str) -> str:
        key = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
        return f"{self.prefix}/{key}" if self.prefix else key

    def location(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self.key_for(sha256)}"

    def path_for(self, sha256: str) -> Path:
        raise TypeError("an S3 object has no local path; use open() or location()")

    def _call(self, operation, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(kwargs.get("Key", self.bucket)) from exc
            raise
        except BotoCoreError as exc:
            raise StoreUnavailable(f"{self.url}: {exc}") from exc

    def head(self, sha256: str) -> int | None:
        try:
            return self._call(self.client.head_object, Key=self.key_for(sha256))["ContentLength"]
        except FileNotFoundError:
            return None

    def exists(self, sha256: str) -> bool:
        return self.head(sha256) is not None

    def open(self, sha256: str) -> BinaryIO:
        return self._call(self.client.get_object, Key=self.key_for(sha256))["Body"]

    def commit(self, staged: Staged) -> StoredObject:
        created = self._upload(staged, if_absent=True)
        staged.path.unlink(missing_ok=True)
        return StoredObject(staged.sha256, staged.size, Path(staged.path), created=created)

    def replace(self, staged: Staged) -> StoredObject:
        self._upload(staged, if_absent=False)
        staged.path.unlink(missing_ok=True)
        return StoredObject(staged.sha256, staged.size, Path(staged.path), created=True)

    def _upload(self, staged: Staged, *, if_absent: bool) -> bool:
        """Put the staged file; the store checks the SHA-256 we send against what arrived
        (a BadDigest refusal otherwise). False when the object was already there."""
        from botocore.exceptions import ClientError

        conditions = {"IfNoneMatch": "*"} if if_absent else {}
        if staged.size > self.multipart_threshold:
            return self._upload_in_parts(staged, conditions)
        try:
            with open(staged.path, "rb") as body:
                self._call(
                    self.client.put_object,
                    Key=self.key_for(staged.sha256),
                    Body=body,
                    ContentLength=staged.size,
                    ChecksumSHA256=_checksum(staged.sha256),
                    **conditions,
                )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if if_absent and code in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False  # these bytes are already kept: never overwrite them
            raise
        return True

    def _upload_in_parts(self, staged: Staged, conditions: dict) -> bool:
        from botocore.exceptions import ClientError

        key = self.key_for(staged.sha256)
        if conditions and self.exists(staged.sha256):
            return False  # spare the upload; the conditional completion is the real guard
        upload_id = self._call(
            self.client.create_multipart_upload, Key=key, ChecksumAlgorithm="SHA256"
        )["UploadId"]
        parts = []
        try:
            with open(staged.path, "rb") as body:
                while chunk := body.read(self.part_size):
                    checksum = base64.b64encode(hashlib.sha256(chunk).digest()).decode("ascii")
                    answer = self._call(
                        self.client.upload_part,
                        Key=key,
                        UploadId=upload_id,
                        PartNumber=len(parts) + 1,
                        Body=chunk,
                        ChecksumSHA256=checksum,
                    )
                    parts.append(
                        {
                            "PartNumber": len(parts) + 1,
                            "ETag": answer["ETag"],
                            "ChecksumSHA256": checksum,
                        }
                    )
            self._call(
                self.client.complete_multipart_upload,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                **conditions,
            )
        except BaseException as exc:
            # if even the abort fails, the bucket's rule for incomplete uploads cleans up
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else ""
            if conditions and code in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def check(self, sha256: str) -> str:
        try:
            body = self.open(sha256)
        except FileNotFoundError:
            return "missing"
        digest = hashlib.sha256()
        with body:
            while chunk := body.read(CHUNK):
                digest.update(chunk)
        return "ok" if digest.hexdigest() == sha256 else "corrupt"

    def iter_objects(self) -> Iterator[tuple[str, str]]:
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = f"{self.prefix}/" if self.prefix else ""
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                yield key.rsplit("/", 1)[-1], f"s3://{self.bucket}/{key}"

    def misplaced(self, name: str, location: str) -> bool:
        return location != self.location(name)

    def health(self) -> str:
        try:
            self._call(self.client.head_bucket)
            return "ok"
        except Exception as exc:
            return f"error: {exc.__class__.__name__}"


S3_SETTINGS = {
    "endpoint_url": "ENDPOINT_URL",
    "region": "REGION",
    "access_key_id": "ACCESS_KEY_ID",
    "secret_access_key": "SECRET_ACCESS_KEY",
}


def s3_options_from_env(prefix: str = "KHLANG_S3_", environ=os.environ) -> dict:
    """Endpoint, region and credentials (``KHLANG_S3_*``; the replica's own
    ``KHLANG_REPLICA_S3_*`` first when it lives elsewhere). Unset ones fall back to boto3's
    usual AWS_* settings and files."""
    options = {}
    for option, suffix in S3_SETTINGS.items():
        value = environ.get(prefix + suffix) or environ.get("KHLANG_S3_" + suffix)
        options[option] = value or None
    return options


def open_object_store(
    spec: str | Path, tmp_dir: Path, options: dict | None = None, *, own_tmp: bool = False
) -> ObjectStore:
    """A store from a setting: ``s3://BUCKET/PREFIX`` or a folder path.

    A folder named in a setting may be another disk (or an NFS mount): with ``own_tmp`` it
    stages in its own ``.tmp`` so that the final rename never crosses filesystems."""
    spec = str(spec)
    if spec.startswith("s3://"):
        return S3ObjectStore(spec, tmp_dir, options=options)
    return FolderStore(Path(spec).expanduser(), None if own_tmp else tmp_dir)


def copy_object(source: ObjectStore, target: ObjectStore, sha256: str) -> StoredObject:
    """Copy one object between stores, through the target's staging folder, so that its
    hash is checked on the way (a corrupt source is refused, never copied)."""
    with source.open(sha256) as stream:
        staged = target.stage_stream(stream)
    try:
        if staged.sha256 != sha256:
            raise ValueError(f"{source.location(sha256)}: content does not match its SHA-256")
        return target.replace(staged) if target.exists(sha256) else target.commit(staged)
    finally:
        target.discard(staged)


__all__ = [
    "FolderStore",
    "ObjectStore",
    "S3ObjectStore",
    "StoreUnavailable",
    "copy_object",
    "open_object_store",
    "s3_options_from_env",
    "sha256_of_file",
]
