"""Run every benchmark with sizes that fit the 2-core machine in a few minutes each."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    ("bench.bench_ingest", []),
    ("bench.bench_index_batches", []),
    ("bench.bench_search", ["--docs", "20000"]),
    ("bench.bench_web", []),
    ("bench.bench_home", []),
    ("bench.bench_large_text", ["--mb", "20"]),
    ("bench.bench_preservation", []),
    ("bench.bench_ocr", ["--pages", "1"]),
    ("bench.bench_searchable", []),
    ("bench.bench_bundle_scans", []),
    ("bench.bench_cluster_jobs", []),  # needs KHLANG_BENCH_DATABASE_URL and RabbitMQ
]


def main() -> None:
    for module_name, args in BENCHMARKS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            print(f"-- {module_name}: not available ({exc})")
            continue
        print(f"\n### {module_name} {' '.join(args)}", flush=True)
        module.main(args)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
