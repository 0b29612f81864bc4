"""PDF text layers with pypdf, honouring /ActualText, with per-page OCR fallback."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pypdf
from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PdfStreamError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from indexer.thai.repair import thai_text_quality
from schemas.config import ExtractionLimits

from . import ocr, ocr_pages
from .model import Extraction, UnsoundFile, add_repairs, repair

#: Below this share of dictionary words a page's text layer is judged beyond repair.
QUALITY_THRESHOLD = 0.8
#: A page with fewer visible characters than this has no usable text layer.
MIN_PAGE_CHARS = 20

_ACTUAL_TEXT_FONT = NameObject("/KhlangActualText")
#: Helper glyph width when the replaced glyphs' is unknown: 3 em, so the position jump to
#: the next glyph never looks like a space.
WIDE_GLYPH = 3000


def _actual_text(operands: list) -> str | None:
    if len(operands) >= 2:
        properties = operands[1]
        if isinstance(properties, DictionaryObject) and "/ActualText" in properties:
            return str(properties["/ActualText"])
    return None


def _advance(font, operands: list, operator: bytes) -> float | None:
    """How far a text operator's glyphs move the pen, in thousandths of the font size, from
    a simple font's /Widths; None when not known (composite fonts)."""
    try:
        font = font.get_object()
        widths = [float(w) for w in font["/Widths"]]
        first = int(font.get("/FirstChar", 0))
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    shown = operands[0] if operator == b"TJ" else operands[-1:]
    total = 0.0
    for part in shown if isinstance(shown, list) else [shown]:
        if isinstance(part, bytes):
            total += sum(widths[c - first] if 0 <= c - first < len(widths) else 0 for c in part)
        elif isinstance(part, (int, float)):
            total -= float(part)  # TJ adjustments: positive numbers move left
    return total


def _rewrite_actual_text(operations: list, codes: dict[tuple[str, int], int], fonts) -> list:
    """Replace the glyphs shown inside each /ActualText marked-content span with
    codes of a helper font whose ToUnicode gives the ActualText characters."""
    out: list = []
    font: tuple | None = None  # (font name, size) from the last Tf
    saved: list = []  # font state saved by q
    span: dict | None = None
    depth = 0
    for operands, operator in operations:
        if operator == b"q":
            saved.append(font)
        elif operator == b"Q" and saved:
            font = saved.pop()
        elif operator == b"Tf" and len(operands) == 2:
            font = (operands[0], operands[1])
        if operator in (b"BDC", b"BMC"):
            depth += 1
            text = _actual_text(operands) if operator == b"BDC" else None
            if span is None and text is not None:
                span = {"text": text, "depth": depth, "done": False}
                continue
        elif operator == b"EMC":
            depth -= 1
            if span is not None and span["depth"] == depth + 1:
                span = None
                continue
        if span is not None and operator in (b"Tj", b"TJ", b"'", b'"'):
            if span["done"] or font is None:
                continue
            # The helper glyphs advance as far as the glyphs they replace, so a gap after
            # the span (the space between a given name and a surname) still reads as one.
            advance = _advance(fonts.get(font[0]), operands, operator)
            shown = []
            for index, char in enumerate(span["text"]):
                last = index == len(span["text"]) - 1
                width = WIDE_GLYPH if advance is None else (round(advance) if last else 0)
                if (char, width) not in codes:
                    if len(codes) >= 255:
                        break
                    codes[(char, width)] = len(codes) + 1
                shown.append(codes[(char, width)])
            out.append(([_ACTUAL_TEXT_FONT, font[1]], b"Tf"))
            out.append(([ByteStringObject(bytes(shown))], b"Tj"))
            out.append(([font[0], font[1]], b"Tf"))
            span["done"] = True
            continue
        out.append((operands, operator))
    return out


def _helper_font(codes: dict[tuple[str, int], int]) -> DictionaryObject:
    lines = [
        "/CIDInit/ProcSet findresource begin 12 dict begin begincmap",
        "/CMapName/KhlangActualText def /CMapType 2 def",
        "1 begincodespacerange <00> <FF> endcodespacerange",
        f"{len(codes)} beginbfchar",
    ]
    lines += [
        f"<{code:02X}> <{char.encode('utf-16-be').hex().upper()}>"
        for (char, _width), code in codes.items()
    ]
    lines.append("endbfchar endcmap CMapName currentdict /CMap defineresource pop end end")
    to_unicode = DecodedStreamObject()
    to_unicode.set_data("\n".join(lines).encode("ascii"))
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): _ACTUAL_TEXT_FONT,
            NameObject("/FirstChar"): NumberObject(1),
            NameObject("/LastChar"): NumberObject(len(codes)),
            NameObject("/Widths"): ArrayObject([NumberObject(width) for _char, width in codes]),
            NameObject("/ToUnicode"): to_unicode,
        }
    )


def apply_actual_text(page: PageObject, reader: PdfReader) -> bool:
    """Make pypdf read a page's /ActualText spans instead of the glyphs they cover.

    LibreOffice writes a ToUnicode entry per glyph, so a glyph drawn for two
    characters (mai ek and sara u share a low glyph, sara am is nikhahit + sara aa)
    maps to only one of them; for the other uses it adds /ActualText with the real
    characters. pypdf ignores /ActualText; this rewrites the page's content in memory
    (nothing is written back) so that the span's text is what gets extracted."""
    contents = page.get_contents()
    if contents is None or b"/ActualText" not in contents.get_data():
        return False
    stream = ContentStream(contents, reader, "bytes")
    codes: dict[tuple[str, int], int] = {}
    # Pages often share one resource dictionary: give this page its own copies.
    resources = DictionaryObject(page["/Resources"].get_object())
    fonts = DictionaryObject(resources.get("/Font", DictionaryObject()).get_object())
    operations = _rewrite_actual_text(stream.operations, codes, fonts)
    if not codes:
        return False
    stream.operations = operations
    fonts[_ACTUAL_TEXT_FONT] = _helper_font(codes)
    resources[NameObject("/Font")] = fonts
    page[NameObject("/Resources")] = resources
    page[NameObject("/Contents")] = stream
    return True


def _open(path: Path) -> PdfReader:
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
            handle.seek(-min(path.stat().st_size, 2048), 2)
            tail = handle.read()
    except OSError as exc:
        raise UnsoundFile("unreadable", "อ่านไฟล์ไม่ได้", f"cannot read file: {exc}") from exc
    if b"%PDF-" not in head:
        raise UnsoundFile("pdf-no-header", "ไฟล์ไม่ใช่ PDF ที่ถูกต้อง", "no %PDF header")
    if b"%%EOF" not in tail:
        raise UnsoundFile(
            "pdf-truncated",
            "ไฟล์ PDF ไม่ครบ (ถูกตัดท้าย)",
            "PDF is truncated: no %%EOF marker at the end",
        )
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            return reader
        _ = len(reader.pages)
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError) as exc:
        raise UnsoundFile(
            "pdf-corrupt", "ไฟล์ PDF เสียหาย อ่านโครงสร้างไม่ได้", f"corrupt PDF: {exc}"
        ) from exc
    return reader


def _metadata(reader: PdfReader) -> tuple[dict, str | None]:
    meta: dict = {"page_count": len(reader.pages)}
    title = None
    try:
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError):
        info = {}
    for key, name in (
        ("/Title", "title"),
        ("/Author", "author"),
        ("/Subject", "subject"),
        ("/Creator", "creator"),
        ("/Producer", "producer"),
        ("/CreationDate", "created"),
    ):
        value = info.get(key) if hasattr(info, "get") else None
        if value:
            meta[name] = str(value)
    if meta.get("title"):
        title = meta["title"]
    return meta, title


def _page_text(page: PageObject, reader: PdfReader) -> str:
    # A page whose ActualText cannot be applied still has its plain text layer.
    with contextlib.suppress(
        PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError
    ):
        apply_actual_text(page, reader)
    return page.extract_text()


def text_layer(path: Path, max_pages: int | None = None) -> str:
    """The repaired text layer of the first ``max_pages`` pages, without OCR: what the
    pipeline reads from a PDF whose pages all have a usable text layer."""
    reader = _open(path)
    pages = reader.pages if max_pages is None else reader.pages[:max_pages]
    return "\n".join(repair(_page_text(page, reader), layout=True).text for page in pages)


def _needs_ocr(text: str) -> bool:
    visible = "".join(text.split())
    return len(visible) < MIN_PAGE_CHARS or thai_text_quality(text) < QUALITY_THRESHOLD


def _pages_cut(limit: int, total: int) -> str:
    return (
        f"อ่านเพียง {limit:,} หน้าแรกจาก {total:,} หน้า ตามขีดจำกัดจำนวนหน้าต่อเอกสาร "
        f"(read the first {limit:,} of {total:,} pages: the page limit per document)"
    )


def _text_layers(reader: PdfReader, max_pages: int, warnings: list[str]) -> list:
    """(page number, repaired text layer) of the first ``max_pages`` pages."""
    layers = []
    for number, page in enumerate(reader.pages, start=1):
        if number > max_pages:
            warnings.append(_pages_cut(max_pages, len(reader.pages)))
            break
        try:
            raw = _page_text(page, reader)
        except Exception as exc:
            warnings.append(f"page {number}: text layer unreadable ({type(exc).__name__})")
            raw = ""
        layers.append((number, repair(raw, layout=True)))
    return layers


def pages_needing_ocr(path: Path) -> list[int]:
    """The pages ``extract_pdf`` would read by OCR (no usable text layer), within the page
    limit: on a broker each becomes a message of its own. [] for a PDF that cannot be read
    here (its own ingestion then gives the reason)."""
    try:
        reader = _open(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return []
        layers = _text_layers(reader, ExtractionLimits.load().max_pdf_pages, [])
    except Exception:  # any reason not to read it is the file's ingestion's to say
        return []
    return [number for number, repaired in layers if _needs_ocr(repaired.text)]


def pages_without_fonts(path: Path) -> list[int]:
    """The pages (within the page limit) that name no font, on the page or in its forms:
    no text layer at all, what a scanner writes. A quick part of ``pages_needing_ocr``
    (which reads every text layer: half a second for a letter here), for looking through a
    bundle's PDFs ahead of their ingest; a page whose text layer is there but unusable is
    not among them. [] for a PDF that cannot be read here."""
    try:
        reader = _open(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return []
        limit = ExtractionLimits.load().max_pdf_pages
        return [
            number
            for number, page in enumerate(reader.pages[:limit], start=1)
            if not _names_a_font(page.get("/Resources"))
        ]
    except Exception:  # any reason not to read it is the file's ingestion's to say
        return []


def _names_a_font(resources, depth: int = 0) -> bool:
    """Whether a resource dictionary names a font, itself or in a form it draws."""
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return False
    if resources.get("/Font"):
        return True
    forms = resources.get("/XObject")
    forms = forms.get_object() if forms is not None else {}
    for form in forms.values() if depth < 3 and isinstance(forms, DictionaryObject) else []:
        form = form.get_object()
        if form.get("/Subtype") == "/Form" and _names_a_font(form.get("/Resources"), depth + 1):
            return True
    return False


def extract_pdf(path: Path, *, ocr_enabled: bool = True) -> Extraction:
    reader = _open(path)
    tools = [f"pypdf {pypdf.__version__}"]
    result = Extraction(
        text="", method="pdf-text-layer", tools=tools, repairs=[], fallbacks=[], warnings=[]
    )
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except DependencyError as exc:  # AES needs the `cryptography` package
            decrypted = 0
            result.warnings.append(f"decrypt: {exc}")
        except (NotImplementedError, PdfReadError, ValueError) as exc:
            decrypted = 0
            result.warnings.append(f"decrypt: {exc}")
        if not decrypted:
            result.method = "none"
            result.no_text_reason = (
                "ไฟล์ PDF เข้ารหัสด้วยรหัสผ่าน จึงอ่านข้อความไม่ได้ (encrypted PDF, password required)"
            )
            result.metadata = {"encrypted": True}
            return result
        result.fallbacks.append("decrypted:empty-password")
    try:
        result.metadata, result.title = _metadata(reader)
        result.pages = len(reader.pages)
    except FileNotDecryptedError:  # pragma: no cover - decrypt above covers it
        result.method = "none"
        result.no_text_reason = "ไฟล์ PDF เข้ารหัส (encrypted PDF)"
        return result

    from pythainlp import __version__ as pythainlp_version

    tools.append(f"pythainlp {pythainlp_version}")
    read_by_ocr: list[int] = []
    # each reason a page was not read with its pages: one reason for all would name the
    # last page's for every page (pdftoppm failing on one, tesseract on another)
    skipped: dict[str, list[int]] = {}
    limits = ExtractionLimits.load()
    # The text layers first (fast, in order), then the pages without a usable one read by
    # OCR together (ocr_pages: in worker processes, each page within its time limit).
    layers = _text_layers(reader, limits.max_pdf_pages, result.warnings)
    needed = [number for number, repaired in layers if _needs_ocr(repaired.text)]
    if not ocr_enabled and needed:
        skipped["ปิดการอ่านด้วย OCR ไว้ (OCR disabled)"] = needed
        needed = []
    read = ocr_pages.read_pages(path, needed, ocr_pages.page_of_pdf, budget=limits.max_ocr_seconds)
    timed_out: list[str] = []
    texts: list[str] = []
    used: list[tuple[int, ocr.OcrPage]] = []  # the pages whose OCR text was kept
    for number, repaired in layers:
        text = repaired.text
        page_read = read.read.get(number)
        if page_read is not None and page_read.page is None:
            if page_read.timed_out:
                timed_out.append(page_read.error)
            else:
                skipped.setdefault(page_read.error, []).append(number)
        elif page_read is not None:
            page_ocr = page_read.page
            ocr_text = repair(page_ocr.text, layout=True)
            if len(ocr_text.text.strip()) > len(text.strip()) or thai_text_quality(
                ocr_text.text
            ) > thai_text_quality(text):
                repaired, text = ocr_text, ocr_text.text
                read_by_ocr.append(number)
                used.append((number, page_ocr))
                if page_ocr.layer:
                    result.ocr_layers[number] = page_ocr.layer
        add_repairs(result.repairs, repaired.repairs)
        texts.append(text.strip("\n"))
    result.text = "\n\f\n".join(texts).strip()
    if read_by_ocr:
        result.fallbacks.append("ocr-pages:" + ",".join(map(str, read_by_ocr)))
        tools.append(ocr.tesseract_version() or "tesseract")
        result.metadata.update(ocr.page_metadata(used))
        if ocr.pdftoppm_version():
            tools.append(ocr.pdftoppm_version())
        if len(read_by_ocr) == len(texts):
            result.method = "pdf-ocr"
    if skipped:
        result.ocr_skipped = " ".join(
            f"{reason} (pages {','.join(map(str, pages))})" for reason, pages in skipped.items()
        )
        every = sorted(number for pages in skipped.values() for number in pages)
        result.warnings.append("ocr-needed-pages:" + ",".join(map(str, every)))
    result.warnings += timed_out
    if read.over:
        timed_out.append(ocr_pages.over_budget_reason(limits.max_ocr_seconds, read.over))
        result.warnings.append(timed_out[-1])
    if timed_out:
        result.ocr_skipped = " ".join(filter(None, [result.ocr_skipped, *timed_out]))
    if not result.text:
        result.method = "none"
        result.no_text_reason = result.ocr_skipped or "ไม่พบข้อความในไฟล์ PDF (no text in PDF)"
    return result
