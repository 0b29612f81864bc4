"""Peak memory of ingesting one large Thai text: `khlang ingest` in a child process on a
text of N MB built from the Thai government texts in ../shared/corpus, then a search for
a word written only at its very end. Prints the size, the seconds, the child's peak RSS
(its largest resident set, from getrusage) and whether the last word was found. Figures
only: nothing here asserts a speed or a size.

    .venv/bin/python -m bench.bench_large_text --mb 100

The issue's target: a 100 MB text under 1 GB of peak RSS (it took 2.4 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import SHARED

LAST_WORD = "ท้ายสุดของเอกสารยาวมาก"


def write_text(path: Path, megabytes: float) -> int:
    """A UTF-8 Thai text of about ``megabytes`` MB: the corpus texts over and over."""
    corpus = "".join(p.read_text() for p in sorted((SHARED / "corpus/gov-texts").glob("*.txt")))
    block = corpus.encode("utf-8")
    target = int(megabytes * 1024 * 1024)
    written = 0
    with path.open("wb") as handle:
        while written < target:
            handle.write(block)
            written += len(block)
        handle.write(f"\n{LAST_WORD}\n".encode())
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=20, help="size of the text (default 20)")
    args = parser.parse_args(argv)
    khlang = [sys.executable, "-m", "service.cli"]
    with tempfile.TemporaryDirectory(prefix="khlang-bench-large-") as tmp:
        folder = Path(tmp)
        text = folder / "เอกสารยาว.txt"
        size = write_text(text, args.mb)
        env = {**os.environ, "KHLANG_DATA_DIR": str(folder / "data")}
        env.pop("KHLANG_DATABASE_URL", None)
        started = time.perf_counter()
        done = subprocess.run(
            [*khlang, "ingest", "--json", "--workers", "1", str(text)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        status = json.loads(done.stdout)[0]["status"] if done.returncode in (0, 1) else "failed"
        found = subprocess.run(
            [*khlang, "search", "--json", LAST_WORD], env=env, capture_output=True, text=True
        )
        hits = json.loads(found.stdout)["total"] if found.returncode == 0 else "error"
    print(
        f"large text: {size / 1024**2:.0f} MB ingested in {seconds:.0f} s, {status}; "
        f"peak RSS {peak_mb:.0f} MB ({peak_mb * 1024**2 / size:.1f} x its size); "
        f"last word found in {hits} document(s)"
    )
    if done.returncode not in (0, 1):
        print(done.stderr[-2000:])


if __name__ == "__main__":
    main()
