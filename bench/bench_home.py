"""The home page's time on the realistic archive (tests/realistic_archive.py), for each role
that sees gap reports, with the reports computed on every load (as before they were kept)
and with them kept between loads (service.pages.home.REPORT_TTL). Figures only.

    .venv/bin/python -m bench.bench_home [--loads 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def timed_loads(client, loads: int, before_each=None) -> list[float]:
    times = []
    for _ in range(loads):
        if before_each:
            before_each()
        start = time.perf_counter()
        answer = client.get("/home")
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.status_code
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args(argv)

    from service.pages import home
    from tests import realistic_archive as ra

    with tempfile.TemporaryDirectory(prefix="bench-home-") as work:
        archive = ra.build(Path(work))
        try:
            print(f"{'role':<10} {'computed each load':>20} {'kept between loads':>20}")
            for who in ("dsss1", "strategy1", "admin1"):
                client = ra.sign_in(archive.app, who)
                client.get("/home")  # templates compiled, connections open
                cold = timed_loads(client, args.loads, before_each=home._reports.clear)
                warm = timed_loads(client, args.loads)
                print(
                    f"{who:<10} {statistics.median(cold) * 1000:>17.1f} ms"
                    f" {statistics.median(warm) * 1000:>17.1f} ms"
                )
        finally:
            ra.dispose(archive)


if __name__ == "__main__":
    main()
