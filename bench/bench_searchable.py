"""What a scanned image's searchable copy costs beyond its OCR, and what it holds.

A letter page from bench/scan_corpus.py (rendered, rasterised at 300 dpi, degraded, grey
JPEG) is saved as JPEG, PNG and a two-page TIFF; each is read as ingestion reads it
(indexer.extract: OCR with the text layer), then made into its searchable copy
(indexer.preserve.searchable: the image's frames as PDF pages, the text laid over them).
Printed per format: OCR seconds a page, the copy's own milliseconds a page, the original's
and the copy's size, and the share of the printed Thai words a PDF reader finds in the
copy (pypdf). Figures only: nothing here asserts anything.

    nice -n 10 .venv/bin/python -m bench.bench_searchable [--font Garuda]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.scan_corpus import make_scans, score


def main(argv: list[str] | None = None) -> None:
    from PIL import Image
    from pypdf import PdfReader

    from indexer.extract import extract
    from indexer.preserve import searchable

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", default="Garuda")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="khlang-bench-copy-") as tmp:
        folder = Path(tmp)
        [page] = make_scans(folder, 1, fonts=[args.font])
        with Image.open(page.image) as scanned:
            grey = scanned.convert("L")
        files = {
            "JPEG": (page.image, "image/jpeg", 1),
            "PNG": (folder / "หน้าสแกน.png", "image/png", 1),
            "TIFF 2 pages": (folder / "สองหน้า.tif", "image/tiff", 2),
        }
        grey.save(files["PNG"][0], dpi=(300, 300))
        grey.save(files["TIFF 2 pages"][0], save_all=True, append_images=[grey], dpi=(300, 300))
        print(f"one letter page in {args.font}, 300 dpi, degraded ({page.name})")
        print(
            "| format | OCR s a page | copy ms a page | original KB | copy KB | words found in copy |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for label, (path, mime, pages) in files.items():
            started = time.perf_counter()
            extraction = extract(path, mime)
            ocr_seconds = (time.perf_counter() - started) / pages
            started = time.perf_counter()
            pages_pdf = searchable.images_pdf(path, folder / "pages.pdf")
            copy = folder / "copy.pdf"
            searchable.build(pages_pdf, extraction.ocr_layers, copy)
            copy_ms = (time.perf_counter() - started) * 1000 / pages
            first = PdfReader(copy).pages[0].extract_text()
            found, total = score(page.truth, first)["words"]
            print(
                f"| {label} | {ocr_seconds:.1f} | {copy_ms:.0f} | {path.stat().st_size / 1024:.0f} "
                f"| {copy.stat().st_size / 1024:.0f} | {found}/{total} ({found / total:.1%}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
