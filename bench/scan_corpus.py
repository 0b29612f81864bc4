"""A corpus of scanned Thai pages, made on the fly (never stored as images): Thai texts from
../shared rendered to PDF with several Thai fonts, rasterised with pdftoppm, degraded with
Pillow the way a office scanner degrades paper, and wrapped in a PDF with no text layer.

Also scores OCR output against the text that was printed: the share of Thai words and of
numbers (years, letter numbers, amounts, in Thai or Arabic digits) that came back.

Used by bench/bench_ocr.py and by the OCR floor in tests/test_ocr_scans.py."""

from __future__ import annotations

import random
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
TLWG = Path("/usr/share/fonts/truetype/tlwg")
#: Looped serif, looped sans, loopless sans, and a typewriter face: what offices print with.
FONTS = {
    "Kinnari": TLWG / "Kinnari.ttf",
    "Loma": TLWG / "Loma.ttf",
    "Garuda": TLWG / "Garuda.ttf",
    "Norasi": TLWG / "Norasi.ttf",
    "TlwgTypist": TLWG / "TlwgTypist.ttf",
    "Umpush": TLWG / "Umpush.ttf",
}
#: Source texts: the seed letters and minutes, then laws from the gov corpus.
SOURCES = [
    SHARED / "seeds" / "003_d2773d3a604759fe.txt",
    SHARED / "seeds" / "002_0090340a6c3e03ac.txt",
    SHARED / "seeds" / "000_b5296e7a1e0e78d3.txt",
    SHARED / "seeds" / "004_b16aa6efba4dfd19.txt",
    SHARED / "corpus" / "gov-texts" / "law_01_official-information-act-2540.txt",
    SHARED / "corpus" / "gov-texts" / "law_02_budget-procedures-act-2561.txt",
]
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_NUMBER = re.compile(r"[0-9๐-๙]+(?:[.,/:][0-9๐-๙]+)*")
_BETWEEN_THAI_SPACE = re.compile(r"(?<=[\u0e00-\u0e7f])[ \t]+(?=[\u0e00-\u0e7f])")


@dataclass
class ScanPage:
    name: str  # Thai file name, e.g. หนังสือ-Loma-300dpi-สแกน-01.pdf
    font: str
    dpi: int
    degraded: bool
    truth: str  # the text printed on the page
    pdf: Path  # the scan wrapped in a PDF with no text layer
    image: Path  # the same scan as a greyscale image (what plain tesseract reads)
    turned: int = 0  # anticlockwise degrees the scan was turned (--rotated)


def _clean_lines(text: str) -> list[str]:
    """Printable prose lines: no markdown marks, no table rows, no empty lines."""
    lines = []
    for line in text.splitlines():
        line = line.replace("**", "").replace("#", "").strip()
        if not line or line.startswith("|") or line.startswith("---") or not _THAI.search(line):
            continue
        lines.append(re.sub(r"\s+", " ", line))
    return lines


def letter_texts(count: int, seed: int = 7) -> list[str]:
    """``count`` one-page letters: a letter number, a date, a subject and an amount (the
    things a wrong digit makes unfindable), then about twenty lines from a source text."""
    rng = random.Random(seed)
    months = ["มกราคม", "มีนาคม", "มิถุนายน", "กันยายน", "ตุลาคม", "ธันวาคม"]
    offices = ["ชร", "ชม", "ลป", "มส", "ลพ", "นพ"]
    texts = []
    for n in range(count):
        source = _clean_lines(SOURCES[n % len(SOURCES)].read_text(encoding="utf-8"))
        start = rng.randrange(0, max(1, len(source) - 12))
        body, size = [], 0
        for line in source[start:]:
            body.append(line[:400])
            size += len(line[:400])
            if size > 1100:
                break
        year = rng.randint(2560, 2569)
        number = f"{rng.randint(1, 999):04d}.{rng.randint(1, 9)}/{rng.randint(100, 19999)}"
        amount = f"{rng.randint(1, 9)},{rng.randint(100, 999)},{rng.randint(0, 999):03d}"
        head = [
            f"ที่ {offices[n % len(offices)]} {number}",
            f"{rng.randint(1, 28)} {months[n % len(months)]} {year}",
            f"เรื่อง ขอความร่วมมือรายงานผลการดำเนินงานโครงการ ประจำปีงบประมาณ พ.ศ. {year}",
            f"งบประมาณที่ได้รับจัดสรร จำนวน {amount} บาท",
        ]
        if n % 2 == 0:  # half the letters in Thai digits, as official letters are printed
            head = [line.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")) for line in head]
        texts.append("\n".join(head + body))
    return texts


def render_pdf(text: str, font: str, path: Path, size: int = 15) -> str:
    """Print ``text`` to a PDF in ``font`` at ``size`` points; returns the part of it printed on the first page,
    the page that is scanned (a wide face can push a letter's last lines onto a second page,
    and words never printed on the scan must not count as lost by OCR)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(25, 20, 20)
    pdf.add_font(font, fname=str(FONTS[font]))
    pdf.set_font(font, size=size)
    # Shaped, so that tone marks sit above upper vowels as a word processor prints them.
    pdf.set_text_shaping(True)
    pdf.add_page()
    first_page: list[str] = []
    for line in text.splitlines():
        wrapped = pdf.multi_cell(0, 8, line, align="L", dry_run=True, output="LINES")
        room = int((pdf.page_break_trigger - pdf.get_y()) // 8) if pdf.page_no() == 1 else 0
        if room >= len(wrapped):
            first_page.append(line)
        elif room > 0:  # the paragraph's first ``room`` lines, cut where the wrap fell
            end = 0
            for part in wrapped[:room]:
                part = part.strip()
                end = line.index(part, end) + len(part)
            first_page.append(line[:end])
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.output(str(path))
    return "\n".join(first_page)


def rasterise(pdf: Path, dpi: int, stem: Path) -> Path:
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(pdf), str(stem)],
        check=True,
        timeout=120,
    )
    return stem.with_suffix(".png")


def degrade(image_path: Path, rng: random.Random, out: Path) -> Path:
    """Skew up to 1.2°, dust specks, slight blur, grey JPEG: a page through an office scanner."""
    from PIL import Image, ImageDraw, ImageFilter

    with Image.open(image_path) as page:
        page = page.convert("L")
        angle = rng.uniform(0.4, 1.2) * rng.choice([-1, 1])
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        draw = ImageDraw.Draw(page)
        width, height = page.size
        for _ in range(300):
            x, y, r = rng.randrange(width), rng.randrange(height), rng.choice([1, 1, 2, 3])
            draw.ellipse((x, y, x + r, y + r), fill=rng.randint(0, 90))
        page = page.filter(ImageFilter.GaussianBlur(0.8))
        page.save(out, "JPEG", quality=55)
    return out


def _perspective_coefficients(corners, size) -> list[float]:
    """Pillow's PERSPECTIVE coefficients mapping the output rectangle onto ``corners``
    (top-left, top-right, bottom-right, bottom-left of the page in the photo)."""
    import numpy as np

    width, height = size
    target = [(0, 0), (width, 0), (width, height), (0, height)]
    rows, values = [], []
    for (x, y), (u, v) in zip(target, corners, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    return list(np.linalg.solve(np.array(rows, float), np.array(values, float)))


def photograph(image_path: Path, rng: random.Random, out: Path) -> Path:
    """A phone photo of the page: seen from a slight angle (corners moved by up to 4%),
    lit unevenly (darker towards one side), grey JPEG."""
    from PIL import Image

    with Image.open(image_path) as page:
        page = page.convert("L")
        width, height = page.size

        def jitter(x, y):
            return x + rng.uniform(-0.04, 0.04) * width, y + rng.uniform(-0.04, 0.04) * height

        corners = [jitter(0, 0), jitter(width, 0), jitter(width, height), jitter(0, height)]
        page = page.transform(
            page.size,
            Image.Transform.PERSPECTIVE,
            _perspective_coefficients(corners, page.size),
            Image.Resampling.BICUBIC,
            fillcolor=200,
        )
        shade = Image.linear_gradient("L").rotate(90).resize(page.size)
        page = Image.composite(
            page, Image.new("L", page.size, 0), shade.point(lambda v: 255 - v // 3)
        )
        page.save(out, "JPEG", quality=70)
    return out


#: Turned scans: a letter fed sideways or upside down, anticlockwise degrees.
TURNS = (180, 90, 270)


def turn(image_path: Path, degrees: int, out: Path) -> Path:
    """The scan turned by ``degrees`` anticlockwise, as a page put in the feeder wrongly."""
    from PIL import Image

    with Image.open(image_path) as page:
        page.rotate(degrees, expand=True).save(out, "JPEG", quality=90)
    return out


def wrap_pdf(image: Path, dpi: int, out: Path) -> Path:
    """The scan as a PDF whose only content is the image, as scanners write them."""
    from PIL import Image

    with Image.open(image) as page:
        page.convert("L").save(out, "PDF", resolution=dpi)
    return out


def make_scans(
    folder: Path,
    pages: int,
    fonts: list[str] | None = None,
    dpis: tuple[int, ...] = (300,),
    degraded: tuple[bool, ...] = (True,),
    seed: int = 7,
    photos: bool = False,
    rotated: bool = False,
) -> list[ScanPage]:
    """``pages`` letters per (font, dpi, degraded) combination, each a one-page scanned PDF;
    with ``photos`` also each letter as a phone photo (font "<font> photo"), with
    ``rotated`` also each scan turned by 180, 90 or 270 degrees (``turned``)."""
    rng = random.Random(seed)
    fonts = fonts or ["Loma", "Kinnari", "Garuda", "TlwgTypist"]
    texts = letter_texts(pages * len(fonts), seed)
    made = []
    for f, font in enumerate(fonts):
        for p in range(pages):
            text = texts[f * pages + p]
            printed = folder / f"printed-{font}-{p}.pdf"
            text = render_pdf(text, font, printed)
            for dpi in dpis:
                raster = rasterise(printed, dpi, folder / f"raster-{font}-{p}-{dpi}")
                for dirty in degraded:
                    kind = "สแกน" if dirty else "สะอาด"
                    stem = f"หนังสือ-{font}-{dpi}dpi-{kind}-{p + 1:02d}"
                    image = degrade(raster, rng, folder / f"{stem}.jpg") if dirty else raster
                    pdf = wrap_pdf(image, dpi, folder / f"{stem}.pdf")
                    made.append(ScanPage(stem + ".pdf", font, dpi, dirty, text, pdf, image))
                    if rotated and dirty:
                        degrees = TURNS[(f * pages + p) % len(TURNS)]
                        stem = f"หนังสือ-{font}-{dpi}dpi-กลับด้าน{degrees}-{p + 1:02d}"
                        image = turn(image, degrees, folder / f"{stem}.jpg")
                        pdf = wrap_pdf(image, dpi, folder / f"{stem}.pdf")
                        made.append(
                            ScanPage(stem + ".pdf", font, dpi, True, text, pdf, image, degrees)
                        )
                if photos:
                    stem = f"หนังสือ-{font}-{dpi}dpi-ภาพถ่าย-{p + 1:02d}"
                    image = photograph(raster, rng, folder / f"{stem}.jpg")
                    pdf = wrap_pdf(image, dpi, folder / f"{stem}.pdf")
                    made.append(
                        ScanPage(stem + ".pdf", f"{font} photo", dpi, True, text, pdf, image)
                    )
    return made


# -- scoring -------------------------------------------------------------------------------


def _joined(text: str) -> str:
    """OCR puts spaces inside Thai words; Thai writes none between words within a phrase."""
    return _BETWEEN_THAI_SPACE.sub("", text)


def thai_words(text: str) -> Counter:
    from pythainlp.tokenize import word_tokenize

    words = word_tokenize(_joined(text), engine="newmm", keep_whitespace=False)
    return Counter(w for w in words if _THAI.search(w) and not _NUMBER.fullmatch(w))


def numbers(text: str) -> Counter:
    """Digit runs (with their separators) compared by value form: ๒๕๖๗ and 2567 are the
    same number to a search that folds Thai digits, but ๒๕5๒9 is not 2567."""
    return Counter(m.group().translate(THAI_DIGITS) for m in _NUMBER.finditer(text))


def recall(truth: Counter, found: Counter) -> tuple[int, int]:
    """(matched, total): how many of truth's items came back, counting repeats."""
    return sum((truth & found).values()), sum(truth.values())


def score(truth: str, ocr_text: str) -> dict[str, tuple[int, int]]:
    return {
        "words": recall(thai_words(truth), thai_words(ocr_text)),
        "numbers": recall(numbers(truth), numbers(ocr_text)),
    }


def two_column_texts() -> list[str]:
    """A report page's two columns: a provincial letter's prose beside an act's sections
    (more than fits, so that both run to the foot of the page)."""
    return [
        "\n".join(_clean_lines(SOURCES[0].read_text(encoding="utf-8"))[4:30]),
        "\n".join(_clean_lines(SOURCES[4].read_text(encoding="utf-8"))[2:60]),
    ]


def render_columns_pdf(columns: list[str], font: str, path: Path, size: int = 14) -> list[str]:
    """A report page in two columns side by side (8 mm apart), as newsletters and annual
    reports are printed: each of ``columns`` fills its column from the top. Returns each
    column's part printed on the first page (the one scanned), as render_pdf does."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(False)
    pdf.add_font(font, fname=str(FONTS[font]))
    pdf.set_font(font, size=size)
    pdf.set_text_shaping(True)
    pdf.add_page()
    width = (pdf.w - 40 - 8) / 2
    bottom = pdf.h - 20
    printed = []
    for n, text in enumerate(columns):
        x = 20 + n * (width + 8)
        pdf.set_xy(x, 20)
        kept = []
        for line in text.splitlines():
            wrapped = pdf.multi_cell(width, 7, line, align="L", dry_run=True, output="LINES")
            if pdf.get_y() + 7 * len(wrapped) > bottom:
                break
            kept.append(line)
            pdf.set_x(x)
            pdf.multi_cell(width, 7, line, new_x="LEFT", new_y="NEXT", align="L")
        printed.append("\n".join(kept))
    pdf.output(str(path))
    return printed
