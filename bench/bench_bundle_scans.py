"""What a bundle's message spends, on a broker, finding the scans among its members before
it sends their pages (indexer.ingest.broker_pages): a ZIP of typed letters (PDFs with a
text layer, none a scan) and one of scans. The quick look (a page names no font) against
reading every text layer, as a scan sent alone is looked at. Figures only: nothing here
asserts anything; run it niced, the machine's other load shows in the figures.

    nice -n 10 .venv/bin/python -m bench.bench_bundle_scans [--members 50] [--scans 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zipfile
from pathlib import Path

from bench.scan_corpus import letter_texts, render_pdf


def _plan_seconds(bundle: Path, data_dir: Path, full: bool) -> tuple[float, int]:
    from indexer.extract import pdf
    from indexer.ingest import broker_pages
    from schemas.config import Settings

    settings = Settings.load(data_dir)
    quick = pdf.pages_without_fonts
    if full:  # as a scan sent alone is looked at
        pdf.pages_without_fonts = pdf.pages_needing_ocr
    try:
        started = time.perf_counter()
        planned = broker_pages._planned(settings, bundle, bundle.name)
        return time.perf_counter() - started, len(planned)
    finally:
        pdf.pages_without_fonts = quick
        broker_pages.remove_copies(bundle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50, help="typed letters in the ZIP")
    parser.add_argument("--scans", type=int, default=3, help="pages of the scan added")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        letters = []
        for number, text in enumerate(letter_texts(args.members)):
            render_pdf(text, "Kinnari", tmp / f"letter-{number}.pdf")
            letters.append(tmp / f"letter-{number}.pdf")
        typed = tmp / "00000.zip"
        with zipfile.ZipFile(typed, "w") as bundle:
            for number, letter in enumerate(letters):
                bundle.write(letter, f"หนังสือ/ฉบับที่-{number:03d}.pdf")
        from bench.bench_ocr_pages import scanned_pdf

        scan, _texts = scanned_pdf(tmp, args.scans)
        mixed = tmp / "00001.zip"
        with zipfile.ZipFile(mixed, "w") as bundle:
            bundle.write(letters[0], "หนังสือ/พิมพ์.pdf")
            bundle.write(scan, "สแกน/หนังสือสแกน.pdf")
        for label, bundle, members in (("typed", typed, args.members), ("mixed", mixed, 2)):
            for full in (False, True):
                seconds, pages = _plan_seconds(bundle, tmp / "data", full)
                how = "every text layer read" if full else "quick look (fonts)"
                print(
                    f"{label} ZIP, {members} PDFs, {how}: {seconds * 1000:.0f} ms "
                    f"({seconds / members * 1000:.1f} ms a PDF), {pages} pages to send"
                )


if __name__ == "__main__":
    main()
