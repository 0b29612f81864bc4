"""Searches while documents are written, and more searches than a worker takes (issue 15,
item 16): a commit never closes a reader a request is using (no 500 ReaderClosed), and a
saturated worker answers 503 with Retry-After instead of queueing without bound."""

from __future__ import annotations

import threading

import pytest

from indexer.core import Khlang
from indexer.ingest.indexing import index_documents
from indexer.search.index import SearchIndex
from tests.test_search_lifecycle import SEEDS, add_documents, fresh_index

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds not present")


def test_a_commit_between_the_parts_of_one_search_leaves_its_reader_open(core):
    """One request reads its searcher, then its sidecar: a commit by another process in
    between (an upload job) made the second call replace the thread's searcher, closing the
    one the request still held; the request then failed with ReaderClosed."""
    ids = add_documents(core, 10)
    index_documents(core, ids, agent="test")
    index = fresh_index(core)
    index.search("เลขที่1เอกสาร")  # this thread's readers are open
    searcher = index._get_searcher()  # a search has begun
    writer = SearchIndex(core.settings.index_dir).open_or_create()  # another process
    more = add_documents(core, 1, start=50)
    writer.add_documents([{"id": more[0], "title": "เอกสารใหม่ระหว่างค้นหา", "text": "ข้อความ"}])
    index._sidecar()  # the same search goes on to the substring sidecar
    assert searcher.reader().doc_count() == 10  # still open, on the state it began with
    assert index.search("เอกสารใหม่ระหว่างค้นหา", match="all")["total"] == 1  # the next search sees it


def test_searches_while_another_process_commits_never_fail(core, client):
    """Eight threads search through the service (each its own searcher) while another
    process's index (an upload job's, a CLI ingest's) commits forty small batches: every
    answer is 200 and, once the writer is done, every document is found."""
    ids = add_documents(core, 300)
    index_documents(core, ids, agent="test")
    writer_core = Khlang(core.settings)  # the other process: its own SearchIndex
    more = add_documents(core, 80, start=1000)
    statuses: list[int | str] = []
    done = threading.Event()

    def search_loop() -> None:
        n = 0
        while not done.is_set():
            n += 1  # a new query each time: ranked anew, not from the result cache
            query = {"q": f"เอกสารทดสอบ -เลขที่{n}เอกสาร"}
            try:  # under TESTING, Flask raises what would have been a 500
                statuses.append(client.get("/api/search", query_string=query).status_code)
            except Exception as exc:
                statuses.append(repr(exc))

    threads = [threading.Thread(target=search_loop) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        for start in range(0, len(more), 2):
            index_documents(writer_core, more[start : start + 2], agent="test")
    finally:
        done.set()
        for thread in threads:
            thread.join()
        writer_core.dispose()
    assert statuses and set(statuses) == {200}, sorted(map(str, set(statuses)))
    found = client.get("/api/search", query_string={"q": "เอกสารทดสอบ", "limit": 1})
    assert found.get_json()["total"] == 380


def test_a_saturated_worker_answers_503_with_retry_after(core, app, client):
    """When every search slot of a worker is taken, the next search waits a moment and then
    answers 503 with Retry-After (Thai and English), instead of queueing without bound."""
    ids = add_documents(core, 5)
    index_documents(core, ids, agent="test")
    app.config["KHLANG_SEARCH_SLOTS_WAIT"] = 0.2
    from service.search_slots import search_slots

    slots = search_slots()
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        busy = client.get("/api/search", query_string={"q": "เอกสารทดสอบ"})
    finally:
        for _ in range(taken):
            slots.release()
    assert taken >= 1
    assert busy.status_code == 503
    assert busy.headers["Retry-After"].isdigit()
    error = busy.get_json()["error"]
    assert error["code"] == "busy" and error["message"] and error["message_en"]
    assert client.get("/api/search", query_string={"q": "เอกสารทดสอบ"}).status_code == 200
