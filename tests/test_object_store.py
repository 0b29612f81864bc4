"""Issue 20: the ObjectStore seam, the same promises from the folder store and from a real
S3 server (SeaweedFS on loopback): put-if-absent, SHA-256 checked, read back, listed."""

from __future__ import annotations

import hashlib
import json
import os

import boto3
import docx
import pytest
from click.testing import CliRunner

from archive.objectstore import FolderStore, ObjectStore, S3ObjectStore, open_object_store
from indexer.core import Khlang
from schemas.config import Settings
from tests.s3_server import ACCESS_KEY, SECRET_KEY, new_bucket, s3_environment


def s3_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path) -> ObjectStore:
    if request.param == "folder":
        instance = open_object_store(tmp_path / "objects", tmp_path / "tmp")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        env = s3_environment(endpoint, new_bucket(endpoint), "คลัง/objects")
        options = {
            "endpoint_url": endpoint,
            "region": "us-east-1",
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
        }
        instance = open_object_store(env["KHLANG_OBJECT_STORE"], tmp_path / "tmp", options)
    instance.ensure()
    return instance


def thai_file(tmp_path, text="รายงานผลการดำเนินงาน โครงการพัฒนาการท่องเที่ยว"):
    path = tmp_path / "รายงาน ผลการดำเนินงาน.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_put_object_reads_back_whole_and_checks_ok(store, tmp_path):
    source = thai_file(tmp_path)
    sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
    assert isinstance(store, ObjectStore)
    assert not store.exists(sha256) and store.head(sha256) is None
    assert store.check(sha256) == "missing"

    stored = store.put_file(source)

    assert (stored.sha256, stored.size, stored.created) == (sha256, source.stat().st_size, True)
    assert store.exists(sha256) and store.head(sha256) == source.stat().st_size
    with store.open(sha256) as stream:
        assert stream.read() == source.read_bytes()
    assert store.check(sha256) == "ok"
    assert sha256 in store.location(sha256)
    assert f"{sha256[:2]}/{sha256[2:4]}/{sha256}" in str(store.location(sha256))
    listed = list(store.iter_objects())
    assert [name for name, _ in listed] == [sha256]
    assert not store.misplaced(*listed[0])
    assert store.health() == "ok"
    assert not list(store.tmp_dir.glob("incoming-*")), "staging left behind"


def test_an_existing_object_is_never_overwritten(store, tmp_path):
    """Put-if-absent: a second arrival of the same bytes keeps the first object, even when
    that object has gone bad (only an explicit replace, after a check, heals it)."""
    source = thai_file(tmp_path)
    sha256 = store.put_file(source).sha256
    bad = tmp_path / "เสีย.txt"
    bad.write_bytes(b"not the original bytes")
    _overwrite_behind_the_stores_back(store, sha256, bad.read_bytes())
    assert store.check(sha256) == "corrupt"

    again = store.put_file(source)

    assert again.created is False
    assert store.check(sha256) == "corrupt"
    store.replace(store.stage_file(source))
    assert store.check(sha256) == "ok"


def _overwrite_behind_the_stores_back(store, sha256: str, data: bytes) -> None:
    if isinstance(store, S3ObjectStore):
        store.client.put_object(Bucket=store.bucket, Key=store.key_for(sha256), Body=data)
    else:
        path = store.path_for(sha256)
        path.chmod(0o644)
        path.write_bytes(data)


def test_a_stray_object_is_listed_as_misplaced(store, tmp_path):
    sha256 = store.put_file(thai_file(tmp_path)).sha256
    if isinstance(store, S3ObjectStore):
        store.client.put_object(Bucket=store.bucket, Key=f"{store.prefix}/zz/{sha256}", Body=b"x")
    else:
        stray = store.root / "zz" / sha256
        stray.parent.mkdir()
        stray.write_bytes(b"x")
    flags = sorted(store.misplaced(name, where) for name, where in store.iter_objects())
    assert flags == [False, True]


def test_s3_refuses_bytes_that_do_not_match_the_sha256_sent(s3_endpoint, tmp_path):
    """The checksum travels with the put: a file that changed after it was hashed (a disk
    error, a bug) is refused by the server, and nothing is stored under that hash."""
    store = open_object_store(
        f"s3://{new_bucket(s3_endpoint)}/p",
        tmp_path / "tmp",
        {
            "endpoint_url": s3_endpoint,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "region": "us-east-1",
        },
    )
    store.ensure()
    staged = store.stage_file(thai_file(tmp_path))
    staged.path.chmod(0o644)
    staged.path.write_bytes(b"changed after hashing!" + b"x" * (staged.size - 22))
    with pytest.raises(Exception, match=r"BadDigest|XAmzContentChecksumMismatch|did not match"):
        store.commit(staged)
    assert not store.exists(staged.sha256)


def test_the_local_folder_stays_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("KHLANG_OBJECT_STORE", raising=False)
    core = Khlang(Settings.load(tmp_path / "data"))
    assert isinstance(core.store, FolderStore)
    assert core.store.root == tmp_path / "data" / "objects"
    assert core.store.tmp_dir == tmp_path / "data" / "tmp"
    core.dispose()


def make_letter(path, text):
    document = docx.Document()
    document.add_paragraph(text)
    document.save(path)
    return path


def test_khlang_ingests_verifies_and_serves_originals_kept_in_s3(s3_endpoint, tmp_path):
    """The whole journey on S3: `khlang ingest` a Thai-named Word file, `khlang verify`
    reads it back from the bucket, the API serves it, and a lost object fails verify."""
    from service import create_app
    from service.auth import create_token
    from service.cli import main

    bucket = new_bucket(s3_endpoint)
    env = s3_environment(s3_endpoint, bucket, "khlang")
    data_dir = tmp_path / "data"
    letter = make_letter(
        tmp_path / "หนังสือราชการ เชียงใหม่.docx", "หนังสือแจ้งผลการดำเนินโครงการ จังหวัดเชียงใหม่"
    )
    runner = CliRunner()

    def khlang(*args):
        return runner.invoke(main, ["--data-dir", str(data_dir), *args], env=env)

    result = khlang("ingest", str(letter), "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["status"] == "ingested"
    sha256 = entry["sha256"]
    key = f"khlang/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    body = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == letter.read_bytes()
    assert not (data_dir / "objects").exists() or not any((data_dir / "objects").rglob("*"))

    verified = khlang("verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["checked"] == 1

    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        app = create_app({"KHLANG_DATA_DIR": str(data_dir), "TESTING": True})
        token = create_token(app.extensions["khlang"], "tests", "admin")
        client = app.test_client()
        response = client.get(
            f"/api/documents/{entry['document_id']}/file",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        assert response.data == letter.read_bytes()
        assert client.get("/healthz").get_json()["checks"]["store"] == "ok"

    s3_client(s3_endpoint).delete_object(Bucket=bucket, Key=key)
    lost = khlang("verify", "--json")
    assert lost.exit_code == 1
    report = json.loads(lost.stdout)
    assert [m["filename"] for m in report["missing"]] == ["หนังสือราชการ เชียงใหม่.docx"]


def test_a_large_file_goes_up_to_s3_in_checked_parts_and_still_never_overwrites(
    s3_endpoint, tmp_path
):
    store = open_object_store(
        f"s3://{new_bucket(s3_endpoint)}/วิดีโอ",
        tmp_path / "tmp",
        {
            "endpoint_url": s3_endpoint,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "region": "us-east-1",
        },
    )
    store.multipart_threshold = 1024**2  # as for a long training video, at test size
    store.part_size = 5 * 1024**2  # S3's smallest part
    store.ensure()
    video = tmp_path / "วิดีโออบรม.mp4"
    video.write_bytes(os.urandom(11 * 1024**2 + 123))

    stored = store.put_file(video)

    assert stored.created and store.check(stored.sha256) == "ok"
    assert store.head(stored.sha256) == video.stat().st_size
    listed = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    assert listed == []
    assert store.put_file(video).created is False
