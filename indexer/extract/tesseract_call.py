"""One extra Tesseract call on a small image made in memory (a strip of words, a list
item's number), for the steps that read again what a page's first reading got wrong
(:mod:`indexer.extract.latin_in_thai`, :mod:`indexer.extract.lost_list_numbers`)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

#: Tesseract reads a page on one thread. Its OpenMP threads gave the same text at about
#: four times the CPU (bench/bench_ocr.py, 8 pages, machine loaded: 10.6 against 2.6 CPU
#: seconds a page): they mostly spin waiting for each other, and pages are what runs in
#: parallel here, not the threads inside one page.
TESSERACT_ENV = {"OMP_THREAD_LIMIT": "1"}


def tesseract_reads(image, options: list[str], timeout: float) -> str | None:
    """What Tesseract writes for ``image`` (a PIL image, saved at 300 dpi) with
    ``options`` (its language, page segmentation, output kind); None when it cannot run
    or takes longer than ``timeout`` seconds."""
    with tempfile.TemporaryDirectory(prefix="khlang-reread-") as tmp:
        path = Path(tmp) / "image.png"
        image.save(path, dpi=(300, 300))
        try:
            done = subprocess.run(
                ["tesseract", str(path), "stdout", *options],
                capture_output=True,
                timeout=timeout,
                check=False,
                env={**os.environ, **TESSERACT_ENV},
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    return done.stdout.decode("utf-8", "replace")
