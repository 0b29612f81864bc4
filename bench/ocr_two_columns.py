"""Two-column scanned pages (reports, newsletters) read one column at a time or not.

Each face's page (scan_corpus.two_column_texts: a provincial letter's prose beside an act's
sections, 14 pt, 8 mm apart) is rendered clean and through the bench's scanner
(bench/scan_corpus.py) and read three ways, the whole page with Tesseract's one-column
segmentation (--psm 4) or its automatic one (--psm 3), and as Khlang reads it (a page with
a gutter, page_layout.py, cut there and each column read as one). For each it prints how
many printed lines (a paragraph's part on the page) came back whole and the
share of Thai words. Figures only: nothing here asserts anything.

    nice -n 15 .venv/bin/python -m bench.ocr_two_columns [--fonts Loma,Kinnari,Garuda,TlwgTypist]
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.scan_corpus import FONTS, degrade, rasterise, render_columns_pdf, score, two_column_texts

READINGS = {"psm 4": "4", "psm 3": "3", "khlang": None}


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read(image: Path, segmentation: str | None) -> tuple[str, int]:
    """The page's text read as Khlang reads it, with ``segmentation`` forced (None: the
    page's own), and the columns it was read as."""
    from indexer.extract import ocr, page_layout

    kept = ocr.PAGE_SEGMENTATION, page_layout.page_gutter
    if segmentation is not None:  # the whole page at once, whatever its layout
        ocr.PAGE_SEGMENTATION = segmentation
        page_layout.page_gutter = lambda _image: None
    try:
        page = ocr.ocr_image_page(image)
    finally:
        ocr.PAGE_SEGMENTATION, page_layout.page_gutter = kept
    return page.text, page.columns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fonts", default="Loma,Kinnari,Garuda,TlwgTypist")
    args = parser.parse_args(argv)
    totals: dict = defaultdict(lambda: [0, 0, 0, 0])
    with tempfile.TemporaryDirectory(prefix="khlang-bench-columns-") as tmp:
        folder = Path(tmp)
        for face in [f for f in args.fonts.split(",") if f in FONTS]:
            printed = render_columns_pdf(two_column_texts(), face, folder / "printed.pdf")
            lines = [line for column in printed for line in column.splitlines()]
            raster = rasterise(folder / "printed.pdf", 300, folder / "raster")
            scan = degrade(raster, random.Random(5), folder / "scan.jpg")
            for kind, image in (("clean", raster), ("scan", scan)):
                for name, segmentation in READINGS.items():
                    text, read_as = read(image, segmentation)
                    whole = sum(_flat(line) in _flat(text) for line in lines)
                    words, all_words = score("\n".join(printed), text)["words"]
                    for group in (f"all {kind}", f"{face} {kind}"):
                        row = totals[group, name]
                        row[0] += whole
                        row[1] += len(lines)
                        row[2] += words
                        row[3] += all_words
                    print(
                        f"  {face:10} {kind:5} {name:6} lines whole {whole}/{len(lines)} "
                        f"words {words}/{all_words}"
                        + (f" (read as {read_as} column(s))" if segmentation is None else ""),
                        flush=True,
                    )
    print(f"{'pages':18} {'reading':8} {'lines whole':>12} {'words':>8}")
    for (group, name), (whole, lines, words, all_words) in sorted(totals.items()):
        print(
            f"{group:18} {name:8} {100 * whole / max(1, lines):11.1f}% "
            f"{100 * words / max(1, all_words):7.1f}%"
        )


if __name__ == "__main__":
    main()
