"""The index against the database: rebuilds that run while others write, damage found by
another process or by a search, and the repairs (`reindex --if-needed`, the service)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from indexer.core import Khlang
from indexer.ingest.indexing import index_documents, reindex
from indexer.search.index import DAMAGED_FILE, IndexDamaged, SearchIndex
from schemas.models import Document
from tests.waiting import wait_until

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds not present")


def paragraphs() -> list[str]:
    out = []
    for path in SEEDS:
        out += [p.strip() for p in path.read_text("utf-8").split("\n\n") if len(p.strip()) > 80]
    return out


def add_documents(core, count: int, *, start: int = 0, **fields) -> list[int]:
    """``count`` text documents recorded in the database (not yet indexed), each with
    real seed text and a word of its own (``เลขที่<n>เอกสาร``)."""
    texts = paragraphs()
    ids = []
    with core.transaction() as session:
        for n in range(start, start + count):
            text = f"เลขที่{n}เอกสาร\n{texts[n % len(texts)]}"
            document = Document(
                sha256=hashlib.sha256(text.encode()).hexdigest(),
                size=len(text.encode()),
                mime="text/plain",
                category="text",
                title=f"เอกสารทดสอบ {n}",
                filename=f"doc-{n}.txt",
                text=text,
                **fields,
            )
            session.add(document)
            session.flush()
            ids.append(document.id)
    return ids


def database_ids(core) -> set[int]:
    with core.sessions() as session:
        return set(session.scalars(select(Document.id)))


def khlang(core, *args: str) -> subprocess.CompletedProcess:
    """`khlang ...` in its own process, on the test's data directory and database."""
    env = {**os.environ, "KHLANG_DATABASE_URL": core.settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "--data-dir", str(core.settings.data_dir), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def fresh_index(core) -> SearchIndex:
    """The index as another process sees it now."""
    return SearchIndex(core.settings.index_dir).open_or_create()


# --- a full rebuild while others write -------------------------------------------------------


def test_rebuild_keeps_what_is_ingested_and_reindexed_while_it_runs(any_core, tmp_path):
    """A real ingestion in another process and a re-index in another thread, both while a
    full rebuild streams its snapshot: afterwards the new document is found, the changed
    one is found by its new title, every database document is in the index, and
    `reindex --if-needed` has nothing left to do."""
    core = any_core
    ids = add_documents(core, 1200)
    index_documents(core, ids, agent="test")
    new_file = tmp_path / "ใหม่.txt"
    new_file.write_text("บันทึกข้อความ เรื่อง โครงการปลูกผักปลอดสารพิษ คำเฉพาะไม่ซ้ำกัน", "utf-8")
    changed = ids[10]  # streamed in the snapshot's first batch, changed after it
    happened = {}

    def retitle() -> None:
        with core.transaction() as session:
            session.get(Document, changed).title = "ชื่อเรื่องที่แก้ไขระหว่างสร้างดัชนี"
        index_documents(core, [changed], agent="test")

    def progress(done: int, total: int) -> None:
        if done == 700 and not happened:
            happened["ingest"] = khlang(core, "ingest", str(new_file), "--json")
            writer = threading.Thread(target=retitle)
            writer.start()
            writer.join()

    result = reindex(core, agent="test", progress=progress)
    assert happened["ingest"].returncode == 0, happened["ingest"].stderr
    assert result["mode"] == "full"
    index = fresh_index(core)
    assert index.search("คำเฉพาะไม่ซ้ำกัน", match="all")["total"] == 1
    assert [
        h["document_id"] for h in index.search("ชื่อเรื่องที่แก้ไขระหว่างสร้างดัชนี", match="all")["hits"]
    ] == [changed]
    assert index.searchable_ids() == database_ids(core)
    assert reindex(core, if_needed=True, agent="test")["documents"] == 0


def test_a_document_marked_for_reindexing_keeps_its_mark_through_a_rebuild(core):
    """A document marked for reindexing (indexed_version NULL) before a rebuild is caught
    up, written with its change and marked."""
    ids = add_documents(core, 30)
    index_documents(core, ids, agent="test")
    with core.transaction() as session:
        document = session.get(Document, ids[3])
        document.title = "ชื่อใหม่ที่ยังไม่ได้ทำดัชนี"
        document.indexed_version = None
    reindex(core, agent="test")
    with core.sessions() as session:
        assert session.get(Document, ids[3]).indexed_version == core.search_backend.version
    assert [
        h["document_id"] for h in fresh_index(core).search("ชื่อใหม่ที่ยังไม่ได้ทำดัชนี", match="all")["hits"]
    ] == [ids[3]]


def test_rebuilding_an_archive_never_indexed_writes_each_document_once(core):
    """Documents loaded straight into the database (every indexed_version NULL, as a bulk
    load or an old archive leaves them) are read by the rebuild as they are: none is
    caught up again afterwards (the rebuild once re-added all of them in small batches
    after the build, an hour at 100k documents), and all are marked."""
    from schemas.models import Event

    ids = add_documents(core, 60)
    result = reindex(core, agent="rebuild")
    assert result == {"mode": "full", "documents": 60}
    with core.sessions() as session:
        versions = set(session.scalars(select(Document.indexed_version)))
        caught_up = session.scalars(select(Event).where(Event.agent == "rebuild")).all()
    assert versions == {core.search_backend.version}
    assert caught_up == []
    assert fresh_index(core).searchable_ids() == set(ids)
    assert fresh_index(core).search("เลขที่17เอกสาร", match="all")["total"] == 1


# --- damage another process found first ------------------------------------------------------


def _live_generation(core) -> Path:
    index_dir = core.settings.index_dir
    return index_dir / (index_dir / "CURRENT").read_text("utf-8").strip()


def _damage(gen: Path, how: str) -> None:
    if how == "truncated segment":
        seg = max(gen.glob("*.seg"), key=lambda p: p.stat().st_size)
        seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 3])
    elif how == "garbage sidecar":
        side = gen / "units.sqlite"
        side.write_bytes(b"\x00garbage" * (side.stat().st_size // 8))
    else:
        [toc] = gen.glob("*.toc")
        toc.unlink()


@pytest.mark.parametrize("how", ["truncated segment", "garbage sidecar", "deleted TOC"])
def test_if_needed_refills_an_index_another_process_recreated_empty(core, how):
    ids = add_documents(core, 40)
    index_documents(core, ids, agent="test")
    core.search_backend.close()
    _damage(_live_generation(core), how)
    # another process opens the damaged index first: it is recreated empty there, and
    # refuses to answer from it (never "nothing found")
    first = khlang(core, "search", "เอกสารทดสอบ", "--json")
    assert first.returncode == 3, first.stderr
    assert '"total"' not in first.stdout
    # and a third one repairs it
    repaired = khlang(core, "reindex", "--if-needed")
    assert repaired.returncode == 0, repaired.stderr
    index = fresh_index(core)
    assert index.searchable_ids() == set(ids)
    assert index.search("เลขที่7เอกสาร", match="all")["total"] == 1
    assert not index.needs_rebuild()


def test_if_needed_adds_the_few_documents_the_index_lacks(core):
    ids = add_documents(core, 40)
    index_documents(core, ids, agent="test")
    for gone in ids[:3]:
        core.search_backend.delete([gone])  # in the database, marked indexed, not in the index
    later = Khlang(core.settings)  # a later process (this one created the index)
    try:
        result = reindex(later, if_needed=True, agent="test")
    finally:
        later.dispose()
    assert result == {"mode": "if-needed", "documents": 3}
    assert fresh_index(core).searchable_ids() == set(ids)


# --- damage only a search finds --------------------------------------------------------------


def _corrupt_stored_fields(gen: Path, doc_id: int) -> None:
    """Flip bytes inside one document's compressed stored fields (Whoosh keeps them
    zlib-compressed in the segment file): the quick health check reads only the first and
    last documents, so it does not see this."""
    from whoosh.codec.whoosh3 import STORED_COLUMN
    from whoosh.columns import VarBytesColumn
    from whoosh.filedb.filestore import FileStorage

    with FileStorage(str(gen)).open_index().searcher() as searcher:
        docnum = searcher.document_number(id=str(doc_id))
        [(segment, base)] = searcher.reader().leaf_readers()
        column = segment._perdoc._cached_reader("_stored", STORED_COLUMN)
        raw = VarBytesColumn.Reader.__getitem__(column._child, docnum - base)
    [seg] = gen.glob("*.seg")
    data = seg.read_bytes()
    at = data.index(raw)
    middle = at + len(raw) // 2
    broken = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    seg.write_bytes(data[:middle] + broken + data[middle + 8 :])


def _damaged_index(core) -> tuple[list[int], str]:
    ids = add_documents(core, 20)
    index_documents(core, ids, agent="test")
    core.search_backend.close()
    _corrupt_stored_fields(_live_generation(core), ids[10])
    return ids, "เลขที่10เอกสาร"


def test_a_search_that_cannot_read_the_index_marks_it_damaged(core):
    ids, word = _damaged_index(core)
    index = fresh_index(core)
    assert index.is_healthy() and not index.needs_rebuild()  # the quick check misses it
    with pytest.raises(IndexDamaged):
        index.search(word)
    assert (_live_generation(core) / DAMAGED_FILE).exists()
    other = fresh_index(core)  # another process knows it now
    assert other.needs_rebuild() and not other.is_healthy()
    assert core.health()["checks"]["index"] == "error: index damaged"
    with pytest.raises(IndexDamaged):  # nor does any other search: it might miss documents
        other.search("ไม่มีคำนี้แน่นอน")
    assert reindex(core, if_needed=True, agent="test")["mode"] == "full"
    repaired = fresh_index(core)
    assert not repaired.needs_rebuild() and repaired.damaged() is None
    assert [h["document_id"] for h in repaired.search(word, match="all")["hits"]] == [ids[10]]


def test_the_service_answers_index_damaged_and_rebuilds(core, client):
    ids, word = _damaged_index(core)
    response = client.get("/api/search", query_string={"q": word})
    assert response.status_code == 503
    body = response.get_json()["error"]
    assert body["code"] == "index_damaged"
    assert "ดัชนี" in body["message"] and "index" in body["message_en"]
    assert client.get("/healthz").status_code == 503
    backend = client.application.extensions["khlang"].search_backend
    wait_until(lambda: not backend.check().needs_rebuild, "the background rebuild")
    found = client.get("/api/search", query_string={"q": word, "match": "all"}).get_json()
    assert [h["document_id"] for h in found["hits"]] == [ids[10]]
    assert client.get("/healthz").status_code == 200


def test_a_machine_short_of_open_files_is_no_damage(core):
    """A read failing because the process has no file descriptors (or memory) left says
    nothing about the index: the error goes up as it is, and nothing is marked damaged."""
    import errno

    ids = add_documents(core, 3)
    index_documents(core, ids, agent="test")
    index = fresh_index(core)

    def out_of_files():
        raise OSError(errno.EMFILE, "Too many open files")

    with pytest.raises(OSError) as raised:
        index._reading(out_of_files)
    assert raised.value.errno == errno.EMFILE
    assert not (_live_generation(core) / DAMAGED_FILE).exists()
    assert not fresh_index(core).needs_rebuild()

    def unreadable():
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(IndexDamaged):  # a read error of the disk still is
        index._reading(unreadable)
