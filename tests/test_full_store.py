"""Issue 20: a store that runs out of space fails the files that do not fit, with a clear
reason, keeps the database, the index and the other objects consistent, and works again
once space is freed. A real small tmpfs (needs root; skipped otherwise)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.test_preservation import Khlang_CLI


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "ดิสก์เล็ก"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_store_fails_the_files_that_do_not_fit_and_works_again_once_freed(
    tmp_path, small_disk, monkeypatch
):
    incoming = tmp_path / "ส่งมอบ"
    incoming.mkdir()
    small = [incoming / f"บันทึกสั้น {n}.txt" for n in range(2)]
    for n, path in enumerate(small):
        path.write_text(f"บันทึกข้อความ เรื่อง ประชุมคณะทำงาน ครั้งที่ {n}", encoding="utf-8")
    big = incoming / "รายงานฉบับเต็ม.txt"
    big.write_text("รายงานการศึกษาความเป็นไปได้ของโครงการ " * 12_000, encoding="utf-8")
    assert big.stat().st_size > 400_000  # more than the whole small disk
    khlang = Khlang_CLI(tmp_path / "data", {"KHLANG_OBJECT_STORE": str(small_disk / "objects")})

    result = khlang("ingest", *map(str, [*small, big]), "--json")

    import json

    entries = {r["filename"]: r for r in json.loads(result.stdout)}
    assert [entries[p.name]["status"] for p in small] == ["ingested", "ingested"]
    refused = entries[big.name]
    assert refused["status"] == "rejected" and refused["document_id"] is None
    assert "พื้นที่ดิสก์" in refused["error"] and "no space" in refused["error"]
    verified = khlang.json("verify")
    assert verified["ok"] and verified["checked"] == 2 and verified["orphans"] == []
    assert not list((small_disk / "objects" / ".tmp").glob("incoming-*")), "staging left"
    hits = khlang.json("search", "ประชุมคณะทำงาน")["hits"]
    assert sorted(h["filename"] for h in hits) == sorted(p.name for p in small)

    # Space is freed (here: the disk grows); the same file goes in.
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    [again] = khlang.json("ingest", str(big))
    assert again["status"] == "ingested"
    assert khlang.json("verify")["checked"] == 3
    assert [h["filename"] for h in khlang.json("search", "ความเป็นไปได้")["hits"]] == [big.name]
