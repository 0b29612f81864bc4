"""The searchable copy of a scan (a scanned PDF, or a PNG/JPEG/TIFF image, every frame of a
multi-page TIFF): the original's pages, unchanged, each OCR'd page with the recognised text
laid over it as invisible text, so that staff can select, copy and find words in their PDF
viewer. An image becomes a PDF of its frames first (fpdf2 embeds a JPEG's bytes as they
are), then gets its text the same way a scanned PDF does.

The text pages are made from the same tesseract run that read the page
(indexer/extract/text_layer.py), so the copy costs no second OCR; pypdf lays them over the
original pages. (OCRmyPDF does the same but re-encodes the page images, needs Ghostscript,
and writes Thai through tesseract's PDF renderer, which spaces every Thai character apart;
here the original's images are kept as they are.)

The copy is derived, never an original: it lives in its own store (``data/derived``, out
of the preserved objects that ``khlang verify`` checks), is recorded by a ``derived``
event (tool and version, its sha256), and can be rebuilt from the original at any time."""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import pypdf
from pypdf import PdfReader, PdfWriter, Transformation
from sqlalchemy import select

from archive import ObjectStore
from indexer.extract import media, ocr
from indexer.extract.model import tool as model_tool
from indexer.records import provenance as ev
from schemas.config import ExtractionLimits
from schemas.models import Event

log = logging.getLogger(__name__)

KIND = "searchable-pdf"


def derived_store(core) -> ObjectStore:
    store = ObjectStore(core.settings.data_dir / "derived", core.settings.tmp_dir)
    store.ensure()
    return store


def tool() -> str:
    return f"{ocr.tesseract_version() or 'tesseract'}, {model_tool('fpdf2')}, pypdf {pypdf.__version__}"


def build(original: Path, layers: dict[int, bytes], out: Path) -> int:
    """Write the original with each page of ``layers`` (1-based) laid over its page, scaled
    to it; returns how many pages got a text layer."""
    reader = PdfReader(original, strict=False)
    writer = PdfWriter(clone_from=reader)
    laid = 0
    for number, page in enumerate(writer.pages, start=1):
        if number not in layers:
            continue
        [text_page] = PdfReader(io.BytesIO(layers[number])).pages
        box, text_box = page.mediabox, text_page.mediabox
        scale_x = float(box.width) / float(text_box.width)
        scale_y = float(box.height) / float(text_box.height)
        place = Transformation().scale(scale_x, scale_y).translate(box.left, box.bottom)
        page.merge_transformed_page(text_page, place, over=True)
        laid += 1
    with out.open("wb") as handle:
        writer.write(handle)
    return laid


#: Resolution a scan's pixels are laid out at when the image does not say (or says
#: something no scanner writes): the resolution OCR reads at.
DEFAULT_DPI = ocr.RASTER_DPI
_SANE_DPI = (50, 1200)
#: Image modes fpdf2 puts on a PDF page as they are (alpha as a soft mask); the others
#: (16-bit and float greyscale, YCbCr, LAB) become greyscale or RGB.
_PDF_MODES = ("1", "L", "LA", "RGB", "RGBA", "P", "PA", "CMYK")


def _dpi(image) -> float:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if _SANE_DPI[0] <= value <= _SANE_DPI[1] else DEFAULT_DPI


def images_pdf(original: Path, out: Path) -> Path:
    """A PDF of the image file's frames, one page each, sized at the image's resolution. A
    one-frame JPEG is embedded byte for byte (fpdf2 copies its DCT data); other frames go
    in losslessly (Flate), so the page shows exactly what was scanned.

    Only the frames OCR reads are decoded (media.frames_within_limits: the first
    OCR_MAX_FRAMES, each within KHLANG_MAX_IMAGE_PIXELS), or a TIFF of thousands of frames
    or one pixel flood would take the worker's memory for a copy; a frame over the limit
    is a blank page of its size, so that the copy's pages stay the frames' numbers."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    max_pixels = ExtractionLimits.load().max_image_pixels
    with Image.open(original) as image:
        frames = getattr(image, "n_frames", 1)
        read, large = media.frames_within_limits(image, max_pixels)
        for number in sorted(read + large):
            image.seek(number - 1)
            scale = 72 / _dpi(image)
            width, height = image.width * scale, image.height * scale
            pdf.add_page(format=(width, height))
            if number in large:
                continue
            if frames == 1 and image.format == "JPEG":
                source = original  # the scanner's own JPEG bytes, not a re-encoding
            else:
                source = image.copy()
                if source.mode not in _PDF_MODES:
                    source = source.convert("L" if source.mode[0] in "IF" else "RGB")
            pdf.image(source, x=0, y=0, w=width, h=height)
    pdf.output(str(out))
    return out


def is_image(mime: str | None) -> bool:
    return bool(mime) and mime.startswith("image/") and mime != "image/svg+xml"


def make_copy(core, original: Path, layers: dict[int, bytes], mime: str) -> dict | None:
    """Build and store the searchable copy of the original (of type ``mime``: a PDF or an
    image); the ``derived`` event's detail, or None when there is nothing to lay over. A
    failure is logged and returned as a failed event: the original is stored already and
    must not be lost for want of a copy."""
    if not layers:
        return None
    store = derived_store(core)
    try:
        with tempfile.TemporaryDirectory(dir=core.settings.tmp_dir) as tmp:
            pages_pdf = (
                images_pdf(original, Path(tmp) / "pages.pdf") if is_image(mime) else original
            )
            out = Path(tmp) / "searchable.pdf"
            pages = build(pages_pdf, layers, out)
            stored = store.put_file(out)
    except Exception as exc:  # a malformed layer or original: say so, keep the document
        log.exception("searchable copy failed for %s", original)
        return {"outcome": "failure", "tool": tool(), "kind": KIND, "reason": str(exc)[:500]}
    return {
        "outcome": "success",
        "tool": tool(),
        "kind": KIND,
        "sha256": stored.sha256,
        "size": stored.size,
        "pages": pages,
    }


def event_row(detail: dict, **common) -> dict:
    return ev.row(ev.DERIVED, **detail, **common)


def copies(session, document_ids: list[int] | None = None) -> dict[int, str]:
    """The sha256 of each document's newest successful searchable copy (of the given
    documents, or of all), from their ``derived`` events; a document without one is absent."""
    query = select(Event.document_id, Event.outcome, Event.detail).where(
        Event.event_type == ev.DERIVED
    )
    if document_ids is not None:
        query = query.where(Event.document_id.in_(document_ids))
    newest: dict[int, str] = {}
    for document_id, outcome, detail in session.execute(query.order_by(Event.id)):
        detail = detail or {}
        if outcome == "success" and detail.get("kind") == KIND and detail.get("sha256"):
            newest[document_id] = detail["sha256"]
    return newest


def copy_of(session, document_id: int) -> str | None:
    """The sha256 of the document's newest successful searchable copy, or None."""
    return copies(session, [document_id]).get(document_id)


def has_copy(core, session, document_id: int) -> bool:
    """The document's newest searchable copy is recorded and its file is in the store."""
    sha256 = copy_of(session, document_id)
    return sha256 is not None and derived_store(core).exists(sha256)
