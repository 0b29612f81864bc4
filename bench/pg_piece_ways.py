"""Each piece search of the query mix within given documents timed both ways (the trigram
index's pieces filtered to the documents, and the documents' own pieces read by their key),
and the way :func:`indexer.search.pg_substrings.suspects_by_key` chose: what the rule costs
against the better way each time. Reads a database ``bench_search --backend postgres``
filled:

    .venv/bin/python -m bench.pg_piece_ways --docs 100000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<bench db>
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=10000, help="the documents the bench read")
    ap.add_argument("--queries", type=int, default=30, help="queries per kind")
    ap.add_argument("--database-url", required=True)
    args = ap.parse_args(argv)

    from bench.bench_search import query_mix, read_texts
    from indexer.search import pg_substrings
    from indexer.search.backend import search_backend
    from schemas.config import Settings

    plain = pg_substrings.piece_docs
    calls: list[tuple[str, int, bool, float, float]] = []

    def both_ways(store, gen, encoded, within=None, *, by_key=False):
        if within is None:
            return plain(store, gen, encoded, within)
        ms = {}
        for way in (False, True):
            t = time.perf_counter()
            got = plain(store, gen, encoded, within, by_key=way)
            ms[way] = (time.perf_counter() - t) * 1000
        # named by who asked pg_substrings.read_pieces, which chose the way
        asker = sys._getframe(2).f_code.co_name
        calls.append((asker, len(within), by_key, ms[False], ms[True]))
        return got

    pg_substrings.piece_docs = both_ways
    mix = query_mix(read_texts(min(args.docs, 27305)), args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        backend = search_backend(
            Settings(data_dir=Path(tmp), database_url=args.database_url, search_backend="postgres")
        )
        backend.search("จังหวัด")
        for queries in mix.values():
            for q in queries:
                backend.search(q, limit=20)
        backend.close()
    print("caller          calls  trigram ms  by key ms  as chosen  the better each time")
    for caller in sorted({c[0] for c in calls}):
        mine = [c for c in calls if c[0] == caller]
        trigram = sum(c[3] for c in mine)
        key = sum(c[4] for c in mine)
        chosen = sum(c[4] if c[2] else c[3] for c in mine)
        best = sum(min(c[3], c[4]) for c in mine)
        print(f"{caller:15} {len(mine):5} {trigram:11.0f} {key:10.0f} {chosen:10.0f} {best:10.0f}")


if __name__ == "__main__":
    main()
