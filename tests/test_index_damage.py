"""A damaged or lost search index never answers "nothing found" (issue 15, item 13).

Each kind of damage an operator or a disk can do, from the CLI (`khlang search` refuses
with a reason and a non-zero exit until the index is rebuilt) and through a live gunicorn
(searches answer 503 index_damaged with Retry-After, or the full answer, never 200 with
missing hits; /healthz is not ok; the service rebuilds the index itself).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from indexer.core import Khlang
from indexer.ingest.indexing import index_documents, reindex
from indexer.runtime.locks import file_lock
from indexer.search.errors import IndexDamaged
from schemas.config import Settings
from tests.test_search_lifecycle import SEEDS, add_documents, fresh_index, khlang
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds not present")

DOCUMENTS = 40
DAMAGE = [
    "segment overwritten",
    "table of contents truncated",
    "index folder deleted",
    "sidecar header overwritten",
    "sidecar pages overwritten",
    "sidecar deleted",
]


def live_generation(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text("utf-8").strip()


def damage(index_dir: Path, how: str) -> None:
    """Damage the live generation in place, as a failing disk or a careless hand would."""
    gen = live_generation(index_dir)
    side = gen / "units.sqlite"
    if how == "segment overwritten":
        seg = max(gen.glob("*.seg"), key=lambda p: p.stat().st_size)
        with seg.open("r+b") as f:
            f.write(os.urandom(seg.stat().st_size))
    elif how == "table of contents truncated":
        for toc in gen.glob("*.toc"):
            with toc.open("r+b") as f:
                f.truncate(toc.stat().st_size // 2)
    elif how == "index folder deleted":
        shutil.rmtree(index_dir)
    elif how == "sidecar header overwritten":
        with side.open("r+b") as f:
            f.write(b"\x00" * 100)
    elif how == "sidecar pages overwritten":
        with side.open("r+b") as f:
            f.seek(4096)
            f.write(os.urandom(side.stat().st_size - 4096))
    elif how == "sidecar deleted":
        for part in gen.glob("units.sqlite*"):
            part.unlink()
    else:
        raise AssertionError(how)


def indexed_archive(core) -> list[int]:
    ids = add_documents(core, DOCUMENTS)
    index_documents(core, ids, agent="test")
    core.search_backend.close()
    return ids


# Each kind of damage is read as damage by a fresh process's index (all six, in process);
# the CLI's whole refusal-and-repair journey, five processes a kind, is walked for one kind
# of each part the index keeps: a Whoosh segment, the index folder, the FTS5 sidecar.
CLI_DAMAGE = ["segment overwritten", "index folder deleted", "sidecar pages overwritten"]


@pytest.mark.parametrize("how", DAMAGE)
def test_every_kind_of_damage_is_read_as_damage_by_a_fresh_process(core, how):
    ids = indexed_archive(core)
    damage(core.settings.index_dir, how)
    for _ in range(2):  # the second search, after the first recreated it, refuses too
        other = Khlang(core.settings)  # as a new process opens it
        try:
            with pytest.raises(IndexDamaged):
                other.search_backend.search("เลขที่7เอกสาร", match="all")
        finally:
            other.dispose()
    reindex(core, if_needed=True, agent="test")
    index = fresh_index(core)
    assert index.unavailable() is None
    assert index.searchable_ids() == set(ids)


@pytest.mark.parametrize("how", CLI_DAMAGE)
def test_the_cli_never_answers_nothing_found_from_a_damaged_index(core, how):
    ids = indexed_archive(core)
    assert '"total": 1' in khlang(core, "search", "เลขที่7เอกสาร", "--all", "--json").stdout
    damage(core.settings.index_dir, how)
    for _ in range(2):  # the second search, after the first recreated it, refuses too
        refused = khlang(core, "search", "เลขที่7เอกสาร", "--all", "--json")
        assert refused.returncode == 3, (refused.stdout, refused.stderr)
        assert '"total"' not in refused.stdout
        assert "ดัชนีค้นหา" in refused.stderr and "reindex --if-needed" in refused.stderr
        assert "Traceback" not in refused.stderr
    repaired = khlang(core, "reindex", "--if-needed")
    assert repaired.returncode == 0, repaired.stderr
    found = khlang(core, "search", "เลขที่7เอกสาร", "--all", "--json")
    assert found.returncode == 0 and '"total": 1' in found.stdout
    index = fresh_index(core)
    assert index.searchable_ids() == set(ids)
    assert index.unavailable() is None


def test_a_new_archive_answers_nothing_found(core):
    """No document was ever indexed: an empty index is the truth, not damage."""
    add_documents(core, 3)  # recorded, never indexed: the index lost nothing
    result = khlang(core, "search", "เลขที่1เอกสาร", "--all", "--json")
    assert result.returncode == 0, result.stderr
    assert '"total": 0' in result.stdout


def test_a_search_reads_the_damage_another_process_marked(core, client):
    """A worker whose readers are open keeps no stale view: once another process marks the
    generation damaged or recreates it empty, this one refuses too, and rebuilds."""
    ids = indexed_archive(core)
    one = {"q": "เลขที่7เอกสาร", "match": "all"}
    assert client.get("/api/search", query_string=one).get_json()["total"] == 1
    damage(core.settings.index_dir, "sidecar deleted")
    other = khlang(core, "search", "เลขที่7เอกสาร", "--all", "--json")  # recreates it empty
    assert other.returncode == 3
    # another process holds the rebuild: until it is done, every door refuses
    with file_lock(core.settings.data_dir / "reindex.lock"):
        answer = client.get("/api/search", query_string={"q": "เลขที่7เอกสาร", "match": "all"})
        assert answer.status_code == 503, answer.get_json()
        assert answer.get_json()["error"]["code"] == "index_damaged"
        assert answer.headers["Retry-After"].isdigit()
        page = client.get("/", query_string={"q": "เลขที่7เอกสาร", "match": "all"})
        assert page.status_code == 503 and "ดัชนีค้นหายังไม่พร้อม" in page.get_data(as_text=True)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["checks"]["index"].startswith("error")
    # /healthz alone sets the service rebuilding (no search needed)
    wait_until(lambda: client.get("/healthz").status_code == 200, "the service's own rebuild")
    found = client.get("/api/search", query_string={"q": "เลขที่7เอกสาร", "match": "all"}).get_json()
    assert [h["document_id"] for h in found["hits"]] == [ids[7]]
    assert client.get("/healthz").status_code == 200


def test_a_live_service_refuses_then_rebuilds_after_each_kind_of_damage(tmp_path):
    """gunicorn, 2 workers x 4 threads, every thread's readers open: after each kind of
    damage in turn (one server lives through all six, as one would in service) every
    search answers either everything or 503 index_damaged (never 200 with fewer hits),
    /healthz is not ok until the service has rebuilt the index itself, and afterwards
    every document is found again."""
    from service.auth import create_token
    from tests import live_server

    data_dir = tmp_path / "data"
    core = Khlang(Settings.load(data_dir))
    core.init()
    indexed_archive(core)
    token = create_token(core, "tests", "admin")
    port = live_server.free_port()
    env = {**os.environ, "KHLANG_DATA_DIR": str(data_dir), "KHLANG_WARM_SEARCH": "0"}
    env.pop("KHLANG_DATABASE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4"]
    command += ["--bind", f"127.0.0.1:{port}", "service:create_app()"]
    server = live_server.start(command, env, port, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    every = f"{base}/api/search?q={quote('เอกสารทดสอบ')}&limit=1"
    answers: dict[str, list[tuple[int, int | None]]] = {}

    def ask(how: str) -> tuple[int, dict]:
        status, headers, body = live_server.request(every, token)
        answer = json.loads(body)
        if status == 503:
            assert answer["error"]["code"] == "index_damaged", how
            assert headers["Retry-After"].isdigit(), how
        answers.setdefault(how, []).append((status, answer.get("total")))
        return status, answer

    try:
        for how in DAMAGE:
            for _ in range(16):  # open readers in the threads of both workers
                assert ask(how)[1]["total"] == DOCUMENTS, how
            damage(data_dir / "index", how)
            for _ in range(40):
                ask(how)

            def rebuilt(how=how) -> bool:
                health, _ = live_server.get_json(f"{base}/healthz")
                status, answer = ask(how)
                return health == 200 and status == 200 and answer["total"] == DOCUMENTS

            wait_until(rebuilt, f"the service to rebuild its index after {how}", limit=120)
            one = f"{base}/api/search?q={quote('เลขที่7เอกสาร')}&match=all"
            assert live_server.get_json(one, token)[1]["total"] == 1, how
    finally:
        live_server.stop(server)
    wrong = {
        how: [a for a in got if a[0] != 503 and a[1] != DOCUMENTS] for how, got in answers.items()
    }
    assert not any(wrong.values()), wrong
    assert fresh_index(core).unavailable() is None
    core.dispose()
