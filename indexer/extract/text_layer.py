"""An OCR'd page's text as an invisible PDF page, one line of text per recognised line,
each stretched over the line's box: what makes a scan's searchable copy selectable and
findable in a PDF viewer (indexer/preserve/searchable.py lays it over the original page).

Why not tesseract's own PDF renderer (``textonly_pdf``): for Thai it writes every
character as a word followed by a space ("ง บ ป ร ะ ม า ณ"), so a viewer's find never
matches a Thai word, and its text is not repaired (sara am as nikhahit + sara aa). Here
each line is the repaired line of tesseract's text output, placed by its TSV line box."""

from __future__ import annotations

from pathlib import Path

from indexer.thai.repair import repair_thai

#: A Thai TrueType face from fonts-thai-tlwg: embedded (subset) so the text maps to Unicode.
FONT = Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf")


def line_boxes(tsv: str) -> list[tuple[int, int, int, int]]:
    """(left, top, width, height) in pixels of each line (TSV level 4) that holds text."""
    boxes: dict[tuple[str, ...], list[int]] = {}
    has_text: set[tuple[str, ...]] = set()
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12:
            continue
        key = tuple(cells[1:5])  # page, block, paragraph, line
        if cells[0] == "4":
            boxes[key] = [int(v) for v in cells[6:10]]
        elif cells[0] == "5" and cells[11].strip():
            has_text.add(key)
    return [tuple(box) for key, box in boxes.items() if key in has_text]


def invisible_page(text: str, tsv: str, size_px: tuple[int, int], dpi: int) -> bytes | None:
    """A PDF page of the image's size at ``dpi`` with each non-empty line of ``text``
    (tesseract's txt output: one line per TSV line) as invisible text over its box; None
    when lines and boxes do not pair up (then a wrong layer is worse than none)."""
    from fpdf import FPDF
    from fpdf.enums import TextMode

    lines = [line for line in text.splitlines() if line.strip()]
    boxes = line_boxes(tsv)
    if not lines or len(lines) != len(boxes) or not FONT.is_file():
        return None
    scale = 72 / dpi  # pixels to points
    pdf = FPDF(unit="pt", format=(size_px[0] * scale, size_px[1] * scale))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_page()
    pdf.add_font("layer", fname=str(FONT))
    pdf.text_mode = TextMode.INVISIBLE
    for line, (left, top, width, height) in zip(lines, boxes, strict=True):
        line = repair_thai(line.strip()).text
        pdf.set_font("layer", size=max(4.0, height * scale * 0.75))
        natural = pdf.get_string_width(line)
        if natural <= 0:
            continue
        pdf.set_stretching(100 * width * scale / natural)
        pdf.text(left * scale, (top + height * 0.8) * scale, line)
    return bytes(pdf.output())
