"""The searchable copy of a scanned PDF: the original's pages, unchanged, each OCR'd page
with the recognised text laid over it as invisible text, so that staff can select, copy
and find words in their PDF viewer.

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
from indexer.extract import ocr
from indexer.extract.model import tool as model_tool
from indexer.records import provenance as ev
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


def make_copy(core, original: Path, layers: dict[int, bytes]) -> dict | None:
    """Build and store the searchable copy; the ``derived`` event's detail, or None when
    there is nothing to lay over. A failure is logged and returned as a failed event: the
    original is stored already and must not be lost for want of a copy."""
    if not layers:
        return None
    store = derived_store(core)
    try:
        with tempfile.TemporaryDirectory(dir=core.settings.tmp_dir) as tmp:
            out = Path(tmp) / "searchable.pdf"
            pages = build(original, layers, out)
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


def copy_of(session, document_id: int) -> str | None:
    """The sha256 of the document's newest successful searchable copy, or None."""
    events = session.scalars(
        select(Event)
        .where(Event.document_id == document_id, Event.event_type == ev.DERIVED)
        .order_by(Event.id.desc())
    )
    for event in events:
        detail = event.detail or {}
        if event.outcome == "success" and detail.get("kind") == KIND and detail.get("sha256"):
            return detail["sha256"]
    return None
