"""What a document costs the search index by the size of the commits it arrives in.

An ingestion job writes the index in batches (200 when the indexing process is busy, from
50 when it is idle), and a web upload of a few files commits a few documents; Whoosh
merges small segments at commits. Prints CPU ms a document and the segments left, for
each batch size, on the same corpus texts (8-12 KB). Figures only. Whoosh's segments are
what it measures, so it opens SearchIndex itself rather than going through the search seam.

    .venv/bin/python -m bench.bench_index_batches --docs 400 --batches 5 20 50 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.bench_ingest import sized_texts
from indexer.search.index import SearchIndex


def run(texts: list[str], batch: int) -> tuple[float, int]:
    """CPU seconds a document, and the segments left, indexing ``texts`` ``batch`` at a time."""
    docs = [
        {"id": n + 1, "title": text.split("\n", 1)[0][:120], "text": text, "filename": f"{n}.txt"}
        for n, text in enumerate(texts)
    ]
    with tempfile.TemporaryDirectory(prefix="khlang-bench-index-") as tmp:
        index = SearchIndex(Path(tmp) / "index").open_or_create()
        started = time.process_time()
        index.add_documents(docs, batch_size=batch)
        spent = time.process_time() - started
        segments = len(index._index()._segments())
        index.close()
    return spent / len(docs), segments


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--batches", type=int, nargs="+", default=[5, 20, 50, 200])
    args = parser.parse_args(argv)
    texts = [text for _name, text in sized_texts(args.docs, (8.0, 12.0))]
    run(texts[:20], 20)  # load the dictionary and warm the caches before the clock
    print(f"== index writes by commit size ({len(texts)} documents of 8-12 KB) ==")
    for batch in args.batches:
        per_document, segments = run(texts, batch)
        print(
            f"  commits of {batch:4d}: {1000 * per_document:6.2f} ms CPU a document,"
            f" {segments} segments left"
        )


if __name__ == "__main__":
    main()
