"""OCR accuracy and cost on scanned Thai letters: Khlang against plain tesseract, same run.

Pages are made by bench/scan_corpus.py (rendered with Thai fonts, rasterised, skewed,
specked, blurred, grey JPEG, wrapped in an image-only PDF). For each engine it prints
Thai word recall, number recall, and CPU seconds per page (tesseract's and pdftoppm's,
the child processes). Figures only: nothing here asserts anything.

    nice -n 10 .venv/bin/python -m bench.bench_ocr [--pages 1] [--fonts Loma,Kinnari]
        [--dpi 300] [--clean] [--photo] [--rotated]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.scan_corpus import FONTS, make_scans, score


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plain_tesseract(image: Path) -> str:
    """What anyone gets from tesseract with its defaults and the Thai model."""
    done = subprocess.run(
        ["tesseract", str(image), "stdout", "-l", "tha+eng"],
        capture_output=True,
        timeout=300,
        check=True,
    )
    return done.stdout.decode("utf-8", "replace")


def khlang_ocr(pdf: Path) -> str:
    """The text Khlang stores for the scanned PDF, through the PDF extractor."""
    from indexer.extract.pdf import extract_pdf

    return extract_pdf(pdf).text


ENGINES = {"tesseract tha+eng": lambda page: plain_tesseract(page.image)}
ENGINES["khlang"] = lambda page: khlang_ocr(page.pdf)


def run(pages, show_pages: bool = False) -> dict:
    """{engine: {group: [words matched, words, numbers matched, numbers, cpu s, pages]}}"""
    totals: dict = {name: defaultdict(lambda: [0, 0, 0, 0, 0.0, 0]) for name in ENGINES}
    for page in pages:
        for name, engine in ENGINES.items():
            cpu = _child_cpu() + _self_cpu()
            text = engine(page)
            cpu = _child_cpu() + _self_cpu() - cpu
            figures = score(page.truth, text)
            kind = "turned" if page.turned else "scan" if page.degraded else "clean"
            for group in ("all " + kind, f"{page.font} {kind}", f"{page.dpi}dpi {kind}"):
                row = totals[name][group]
                row[0] += figures["words"][0]
                row[1] += figures["words"][1]
                row[2] += figures["numbers"][0]
                row[3] += figures["numbers"][1]
                row[4] += cpu
                row[5] += 1
            if show_pages:
                print(
                    f"  {page.name:44} {name:18} words {figures['words'][0]}/"
                    f"{figures['words'][1]} numbers {figures['numbers'][0]}/"
                    f"{figures['numbers'][1]} {cpu:.1f} s",
                    flush=True,
                )
    return totals


def report(totals: dict) -> None:
    groups = sorted({g for by_group in totals.values() for g in by_group})
    print(f"{'pages':28} {'engine':18} {'words':>8} {'numbers':>8} {'cpu s/page':>10}")
    for group in groups:
        for name, by_group in totals.items():
            words, all_words, nums, all_nums, cpu, count = by_group[group]
            print(
                f"{group:28} {name:18} {100 * words / max(1, all_words):7.1f}% "
                f"{100 * nums / max(1, all_nums):7.1f}% {cpu / max(1, count):10.1f}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1, help="letters per font")
    parser.add_argument("--fonts", default="Loma,Kinnari,Garuda,TlwgTypist")
    parser.add_argument("--dpi", default="300", help="comma-separated, e.g. 200,300")
    parser.add_argument("--clean", action="store_true", help="also undegraded renders")
    parser.add_argument("--photo", action="store_true", help="also phone photos of the pages")
    parser.add_argument(
        "--rotated", action="store_true", help="also scans turned 90, 180 or 270 degrees"
    )
    parser.add_argument("--show-pages", action="store_true")
    args = parser.parse_args(argv)
    fonts = [f for f in args.fonts.split(",") if f in FONTS]
    dpis = tuple(int(d) for d in args.dpi.split(","))
    degraded = (True, False) if args.clean else (True,)
    with tempfile.TemporaryDirectory(prefix="khlang-bench-ocr-") as tmp:
        started = time.perf_counter()
        pages = make_scans(
            Path(tmp), args.pages, fonts, dpis, degraded, photos=args.photo, rotated=args.rotated
        )
        print(f"made {len(pages)} scanned pages in {time.perf_counter() - started:.1f} s")
        report(run(pages, args.show_pages))


if __name__ == "__main__":
    main()
