"""The Whoosh and postgres backends asked the same query mix in turns, query by query, on
indexes ``bench_search --backend postgres --index-dir D --reuse-database`` built (both must
hold --docs documents). On a machine shared with other work the load changes from minute
to minute: asked in turns, both backends meet the same load, which two phases one after
the other (as ``bench_search`` runs them) do not.

    .venv/bin/python -m bench.bench_side_by_side --docs 10000 --index-dir D \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<bench db>
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.bench_search import mix_calls, pct, query_mix, read_texts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--queries", type=int, default=30, help="queries per kind")
    ap.add_argument("--index-dir", type=Path, required=True, help="bench_search's --index-dir")
    ap.add_argument("--database-url", required=True)
    args = ap.parse_args(argv)

    from indexer.search.backend import search_backend
    from schemas.config import Settings

    backends = {
        "whoosh": search_backend(Settings.load(args.index_dir)),
        "postgres": search_backend(
            Settings(
                data_dir=args.index_dir, database_url=args.database_url, search_backend="postgres"
            )
        ),
    }
    for name, b in backends.items():
        held = len(b.ids())
        if held != args.docs:
            raise SystemExit(f"{name}: holds {held} documents, not --docs {args.docs}")
        b.search("จังหวัด")  # warm
    calls = mix_calls(query_mix(read_texts(min(args.docs, 27305)), args.queries))
    kinds = list(dict.fromkeys(kind for kind, _, _ in calls))
    lat: dict[str, dict[str, list[float]]] = {n: {k: [] for k in kinds} for n in backends}
    for kind, q, kwargs in calls:
        for name, b in backends.items():
            t = time.perf_counter()
            b.search(q, limit=20, **kwargs)
            lat[name][kind].append((time.perf_counter() - t) * 1000)
    print(f"docs={args.docs} queries/kind={args.queries}, asked in turns (ms)")
    print(f"  {'kind':12} {'whoosh p50/p95':>18} {'postgres p50/p95':>20}")
    for kind in [*kinds, "mix"]:
        row = []
        for name in backends:
            xs = [x for v in lat[name].values() for x in v] if kind == "mix" else lat[name][kind]
            row.append(f"{pct(xs, 50):7.1f} /{pct(xs, 95):7.1f}")
        print(f"  {kind:12} {row[0]:>18} {row[1]:>20}")
    for name in backends:
        xs = [x for v in lat[name].values() for x in v]
        print(f"  {name} mean {statistics.fmean(xs):.1f} ms")
    for b in backends.values():
        b.close()


if __name__ == "__main__":
    main()
