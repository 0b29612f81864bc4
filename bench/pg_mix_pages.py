"""The side-by-side mix asked of the ``postgres`` backend alone, query by query: how long
each took, which functions' SQL it waited on, how many went over 200 ms; and each query's
page and total written out, so that a change to the search code can be checked to give
the same pages (run it before and after on the same database, the second time with
``--compare`` the first's file). Reads a database ``bench_search --backend postgres``
filled; it changes nothing:

    .venv/bin/python -m bench.pg_mix_pages --docs 100000 --pages /tmp/before.json \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<bench db>
    PYTHONPATH=<the changed tree> python -m bench.pg_mix_pages ... --compare /tmp/before.json

The first round after other work reads cold pages; the last round's figures are printed
per query.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

SLOW_MS = 200  # issue 19's target for the mix's p95


def caller() -> str:
    """The function that asked the statement being timed: the first outside the store and
    the timing wrapper."""
    frame = sys._getframe(1)
    while frame.f_back and frame.f_code.co_filename.endswith(SKIPPED):
        frame = frame.f_back
    return frame.f_code.co_name


SKIPPED = ("pg_store.py", "profile_pg_search.py", "pg_mix_pages.py")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, required=True, help="the documents the bench read")
    ap.add_argument("--queries", type=int, default=30, help="queries per kind")
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--slowest", type=int, default=25, help="queries shown, slowest first")
    ap.add_argument("--pages", type=Path, help="write each query's page and total here")
    ap.add_argument("--compare", type=Path, help="an earlier run's --pages: say what differs")
    args = ap.parse_args(argv)

    from bench.bench_search import mix_calls, pct, query_mix, read_texts
    from bench.profile_pg_search import timed_statements
    from indexer.search.backend import search_backend
    from indexer.search.pg_store import Store
    from schemas.config import Settings

    calls = mix_calls(query_mix(read_texts(min(args.docs, 27305)), args.queries))
    spent: Counter = Counter()
    timed_statements(Store, lambda ms, _sql, _params: spent.update({caller(): ms}))
    asked = []
    with tempfile.TemporaryDirectory() as tmp:
        backend = search_backend(
            Settings(data_dir=Path(tmp), database_url=args.database_url, search_backend="postgres")
        )
        backend.search("จังหวัด")
        for n in range(args.rounds):
            asked = []
            for kind, q, kwargs in calls:
                spent.clear()
                t = time.perf_counter()
                got = backend.search(q, limit=20, **kwargs)
                ms = (time.perf_counter() - t) * 1000
                page = [h.document_id for h in got.hits]
                asked.append({"kind": kind, "q": q, "ms": ms, "sql": dict(spent), "page": page})
                asked[-1]["total"] = got.total
            xs = [a["ms"] for a in asked]
            print(
                f"round {n + 1}: p50 {pct(xs, 50):.1f} ms, p95 {pct(xs, 95):.1f} ms, mean"
                f" {statistics.fmean(xs):.1f} ms, {sum(x > SLOW_MS for x in xs)} of {len(xs)}"
                f" over {SLOW_MS} ms"
            )
        backend.close()
    callers: Counter = Counter()
    for a in asked:
        callers.update(a["sql"])
    print(
        "\nSQL ms by caller over the last round: "
        + ", ".join(f"{k} {v:.0f}" for k, v in callers.most_common(10))
    )
    print(f"\nthe {args.slowest} slowest (last round): ms, kind, query, SQL ms by caller")
    for a in sorted(asked, key=lambda a: -a["ms"])[: args.slowest]:
        top = sorted(a["sql"].items(), key=lambda kv: -kv[1])[:5]
        print(
            f"  {a['ms']:6.0f}  {a['kind']:11}  {a['q'][:40]:42}"
            + ", ".join(f"{k} {v:.0f}" for k, v in top)
        )
    pages = [{k: a[k] for k in ("kind", "q", "page", "total")} for a in asked]
    if args.pages:
        args.pages.write_text(json.dumps(pages, ensure_ascii=False))
    if args.compare:
        before = json.loads(args.compare.read_text())
        if [(b["kind"], b["q"]) for b in before] != [(p["kind"], p["q"]) for p in pages]:
            raise SystemExit(f"{args.compare}: another mix (--docs or --queries differ)")
        differ = [(b, p) for b, p in zip(before, pages, strict=True) if b != p]
        for b, p in differ:
            print(f"  differs: {b['kind']} {b['q'][:40]} total {b['total']} -> {p['total']}")
        print(f"\n{len(pages) - len(differ)} of {len(pages)} pages and totals the same")


if __name__ == "__main__":
    main()
