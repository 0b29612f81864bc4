"""Seconds to read a scanned PDF of several pages, page after page against pages side by
side (``KHLANG_OCR_WORKERS``). The scan is made here (bench/scan_corpus.py: Thai letters
rendered, rasterised, skewed, specked, grey JPEG, one image a page), never stored.
Figures only: nothing here asserts anything. The machine's other load shows in the
figures: run it niced and say so.

    nice -n 10 .venv/bin/python -m bench.bench_ocr_pages [--pages 6] [--workers 1,1t,2]

"1t" is one page at a time with tesseract held to one thread (OMP_THREAD_LIMIT=1, as the
page workers run it): it tells how much of the gain is pages side by side, and how much
is tesseract's own threads competing on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from bench.scan_corpus import degrade, letter_texts, rasterise, render_pdf, score


def scanned_pdf(folder: Path, pages: int, name: str = "scan.pdf") -> tuple[Path, list[str]]:
    """An image-only PDF of ``pages`` scanned Thai letters (one a page, Arabic digits), and
    each page's text."""
    from PIL import Image

    texts = []
    images = []
    for number, text in enumerate(letter_texts(pages * 2)[1::2][:pages]):
        texts.append(render_pdf(text, "Kinnari", folder / f"printed-{number}.pdf"))
        raster = rasterise(folder / f"printed-{number}.pdf", 300, folder / f"raster-{number}")
        scan = degrade(raster, random.Random(number), folder / f"scan-{number}.jpg")
        with Image.open(scan) as page:
            images.append(page.convert("L"))
    out = folder / name
    images[0].save(out, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return out, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--workers", default="1,1t,2", help="pool sizes to compare")
    args = parser.parse_args()
    from indexer.extract.pdf import extract_pdf

    with tempfile.TemporaryDirectory(prefix="khlang-bench-ocr-pages-") as tmp:
        pdf, texts = scanned_pdf(Path(tmp), args.pages)
        print(f"{args.pages}-page scanned PDF, {os.cpu_count()} cores, load {os.getloadavg()}")
        for shown in args.workers.split(","):
            workers = shown.removesuffix("t")
            os.environ["KHLANG_OCR_WORKERS"] = workers
            os.environ.pop("OMP_THREAD_LIMIT", None)
            if shown.endswith("t"):
                os.environ["OMP_THREAD_LIMIT"] = "1"
            started = time.perf_counter()
            extraction = extract_pdf(pdf)
            seconds = time.perf_counter() - started
            found, total = score("\n".join(texts), extraction.text)["words"]
            print(
                f"workers={shown:<3} {seconds:6.1f} s ({seconds / args.pages:4.1f} s a page), "
                f"Thai words {found}/{total}, method {extraction.method}"
            )


if __name__ == "__main__":
    main()
