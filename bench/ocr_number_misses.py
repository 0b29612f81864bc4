"""Where the scan bench's numbers go: each printed number, what came back, and why it missed.

Reads the bench's pages (bench/scan_corpus.py) the way Khlang does (prepare_page, then
Tesseract's txt and TSV), keeps Tesseract's output in a cache folder so that the digit
reader can be changed and measured again without paying OCR again, then lines each printed
number up with the text that came back and sorts the misses by cause:

- missing: no digit where the number was printed (its word box lost);
- merged: the digits came back inside a Thai word (no space where the number ends);
- separators: the digits are right, a / . , : was lost or added;
- unwritable: a ๔ ๖ ๗ ๘ ๙ still wrong (not repaired, or repaired to a wrong digit);
- unpaired: as unwritable, in a number whose glyphs are not as many as its characters;
- writable: a digit Tesseract can write came back wrong (by Tesseract or by the reader);
- other: digits added or lost;
- broken by the reader: Tesseract had it right.

    nice -n 10 .venv/bin/python -m bench.ocr_number_misses [--pages 1] [--clean] [--rotated]
        [--cache /tmp/khlang-ocr-cache] [--show] [--psm 3]
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import tempfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from bench.scan_corpus import _NUMBER, THAI_DIGITS, make_scans, numbers

UNWRITABLE = "๔๖๗๘๙"
_ARABIC_OF_UNWRITABLE = UNWRITABLE.translate(THAI_DIGITS)


def tesseract_output(page, cache: Path, psm: str | None = None) -> tuple[Path, str, str]:
    """(prepared image, txt, tsv) for the page read with page segmentation ``psm`` (None:
    Khlang's), read once and then from ``cache``."""
    from indexer.extract.ocr import OCR_LANGUAGES, PAGE_SEGMENTATION, TESSERACT_ENV, prepare_page

    psm = psm or PAGE_SEGMENTATION
    folder = cache / page.name.removesuffix(".pdf")
    prepared = folder / "prepared.png"
    out = folder / f"out-psm{psm}"
    if not out.with_suffix(".tsv").is_file():
        import os

        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / "raster"
        subprocess.run(
            ["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", str(page.pdf), str(stem)],
            check=True,
        )
        if not prepared.is_file():
            prepare_page(stem.with_suffix(".png"), prepared)
        args = ["tesseract", str(prepared), str(out), "-l", OCR_LANGUAGES]
        env = {**os.environ, **TESSERACT_ENV}
        subprocess.run(
            [*args, "--psm", psm, "txt", "tsv"], check=True, env=env, capture_output=True
        )
    return prepared, out.with_suffix(".txt").read_text(), out.with_suffix(".tsv").read_text()


def aligned_span(matcher: difflib.SequenceMatcher, start: int, end: int) -> tuple[int, int]:
    """Where truth[start:end] landed in the OCR text, by the matcher's opcodes."""

    def place(position: int, at_end: bool) -> int:
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if a0 <= position < a1 or (at_end and a0 < position <= a1):
                if tag == "equal":
                    return b0 + (position - a0)
                return b1 if at_end else b0
        return len(matcher.b)

    return place(start, False), place(end, True)


def landed(matcher: difflib.SequenceMatcher, text: str, match: re.Match) -> str:
    """The whitespace-delimited words of ``text`` where the printed number landed."""
    start, end = aligned_span(matcher, match.start(), match.end())
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def cause(printed: str, token: str, raw_token: str, unpaired: bool) -> str:
    """Why ``printed`` (a number) did not come back as ``token`` (the OCR word around it)."""
    digits = re.sub(r"[^0-9๐-๙]", "", token).translate(THAI_DIGITS)
    want = re.sub(r"[^0-9๐-๙]", "", printed).translate(THAI_DIGITS)
    if not digits:
        return "missing"
    if digits == want:
        if re.search(r"[\u0e01-\u0e4e]", token):
            return "merged"
        return "separators"
    if len(digits) != len(want):
        return "other"
    wrong = [w for w, g in zip(want, digits, strict=True) if w != g]
    if any(w not in _ARABIC_OF_UNWRITABLE for w in wrong):
        return "writable"
    return "unpaired" if unpaired else "unwritable"


def diagnose(pages, cache: Path, show: bool, psm: str | None = None) -> Counter:
    from indexer.extract import thai_digit_reader as reader

    unpaired_words: set[str] = set()
    original = reader._reread

    def watched(page, words, old, *rest):
        left, top = min(w.left for w in words), min(w.top for w in words)
        right, bottom = max(w.right for w in words), max(w.bottom for w in words)
        crop = page[max(0, top - 2) : bottom + 2, max(0, left - 2) : right + 2]
        if len(reader.glyphs(crop)) != sum(c not in ".,:" for c in old):
            unpaired_words.add(old)
        return original(page, words, old, *rest)

    reader._reread = watched
    causes: Counter = Counter()
    try:
        for page in pages:
            prepared, raw, tsv = tesseract_output(page, cache, psm)
            text, _ = reader.reread_thai_digits(prepared, raw, tsv)
            matcher = difflib.SequenceMatcher(None, page.truth, text, autojunk=False)
            raw_matcher = difflib.SequenceMatcher(None, page.truth, raw, autojunk=False)
            found = numbers(text)
            causes["scored"] += sum((numbers(page.truth) & found).values())
            for match in _NUMBER.finditer(page.truth):
                value = match.group().translate(THAI_DIGITS)
                token = landed(matcher, text, match)
                raw_token = landed(raw_matcher, raw, match)
                if numbers(token)[value]:
                    causes["right"] += 1
                    continue
                why = cause(match.group(), token, raw_token, raw_token in unpaired_words)
                if numbers(raw_token)[value]:
                    why = "broken by the reader"
                causes[why] += 1
                if show:
                    print(
                        f"  {page.name[:36]:36} {match.group():>14} -> {token!r:24} raw {raw_token!r:24} {why}"
                    )
    finally:
        reader._reread = original
    return causes


def page_arguments(description: str, cache: Path) -> argparse.ArgumentParser:
    """The arguments of the misses benches: which scan bench pages, and where Tesseract's
    output is cached."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pages", type=int, default=1)
    parser.add_argument("--fonts", default="Loma,Kinnari,Garuda,TlwgTypist")
    parser.add_argument("--clean", action="store_true")
    parser.add_argument("--rotated", action="store_true")
    parser.add_argument("--cache", type=Path, default=cache)
    parser.add_argument("--show", action="store_true", help="print every miss")
    parser.add_argument("--psm", help="Tesseract's page segmentation mode (default: Khlang's)")
    return parser


@contextmanager
def bench_pages(args: argparse.Namespace):
    """(the scan bench's pages as ``args`` ask, made in a temporary folder; the cache
    folder of their Tesseract output)."""
    degraded = (True, False) if args.clean else (True,)
    with tempfile.TemporaryDirectory(prefix="khlang-misses-") as tmp:
        pages = make_scans(
            Path(tmp), args.pages, args.fonts.split(","), (300,), degraded, rotated=args.rotated
        )
        yield pages, args.cache / f"pages{args.pages}"


def main(argv: list[str] | None = None) -> None:
    parser = page_arguments(__doc__.splitlines()[0], Path("/tmp/khlang-ocr-cache"))
    args = parser.parse_args(argv)
    with bench_pages(args) as (pages, cache):
        causes = diagnose(pages, cache, args.show, args.psm)
    scored = causes.pop("scored")
    total = sum(causes.values())
    print(
        f"{total} printed numbers, {causes['right']} came back where printed, {scored} as the"
        f" bench counts them ({100 * scored / max(1, total):.1f}%)"
    )
    for why, count in causes.most_common():
        if why != "right":
            print(f"  {why:12} {count}")


if __name__ == "__main__":
    main()
