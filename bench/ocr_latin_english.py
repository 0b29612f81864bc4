"""English words inside a Thai line that the Latin re-read (indexer/extract/latin_in_thai.py)
would make Thai: each word is drawn at 300 dpi between two Thai words in the four TLWG faces
of the scan bench, given to the re-read with its real box as Tesseract would have written
it, and counted when it comes back changed.

    nice -n 10 .venv/bin/python -m bench.ocr_latin_english
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from indexer.extract.latin_in_thai import reread_latin_words

FONTS = Path("/usr/share/fonts/truetype/tlwg")
HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)
#: English a Thai government letter prints among Thai words: acronyms, product and place
#: names, short function words and abbreviations.
WORDS = [
    "Excel",
    "GIS",
    "GPS",
    "ID",
    "OK",
    "PDF",
    "Email",
    "Internet",
    "Line",
    "Facebook",
    "COVID",
    "HDC",
    "DSSS",
    "IT",
    "on",
    "in",
    "of",
    "the",
    "and",
    "No.",
    "Mr.",
    "Dr.",
    "e.g.",
    "Co.",
    "Ltd.",
    "USB",
    "Wi-Fi",
    "Google",
    "Zoom",
    "Data",
    "Smart",
    "NGO",
    "SME",
    "OTOP",
    "Thailand",
    "Bangkok",
    "pdf",
    "doc",
    "web",
    "app",
]


def changed_words(font: str) -> list[tuple[str, str]]:
    """(word, what the re-read made of it) for each of WORDS it changed in ``font``."""
    face = ImageFont.truetype(str(FONTS / f"{font}.ttf"), 62)
    out = []
    for word in WORDS:
        parts = ["ระบบ", word, "ของ"]
        canvas = Image.new("L", (1400, 220), 255)
        draw = ImageDraw.Draw(canvas)
        rows, x = [HEADER], 50
        for n, part in enumerate(parts):
            left, top, right, bottom = draw.textbbox((x, 70), part, font=face)
            draw.text((x, 70), part, fill=0, font=face)
            box = f"{left}\t{top}\t{right - left}\t{bottom - top}"
            rows.append(f"5\t1\t1\t1\t1\t{n + 1}\t{box}\t80\t{part}")
            x = right + 30
        with tempfile.TemporaryDirectory(prefix="khlang-latin-english-") as tmp:
            image = Path(tmp) / "line.png"
            canvas.save(image, dpi=(300, 300))
            text = " ".join(parts) + "\n"
            new, _, changed = reread_latin_words(image, text, "\n".join(rows))
        if changed:
            out.append((word, new.split()[1]))
    return out


def main() -> None:
    total = 0
    for font in ("Loma", "Kinnari", "Garuda", "TlwgTypist"):
        changed = changed_words(font)
        total += len(changed)
        for word, new in changed:
            print(f"  {font:12} {word!r} -> {new!r}")
    print(f"{total} of {4 * len(WORDS)} English words made Thai")


if __name__ == "__main__":
    main()
