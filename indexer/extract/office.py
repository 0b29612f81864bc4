"""Office documents: DOCX, XLSX, PPTX (python-docx, openpyxl, python-pptx) and ODF (odfpy).
Legacy .doc/.xls/.ppt are converted by LibreOffice first: :mod:`.legacy_office`."""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.config import ExtractionLimits

from .model import Extraction, UnsoundFile, add_repairs, repair, tool


def _finish(
    lines: Iterable[str], method: str, tools: list[str], metadata: dict, title: str | None
) -> Extraction:
    raw = "\n".join(line.rstrip() for line in lines).strip()
    repaired = repair(raw)
    result = Extraction(
        text=repaired.text,
        method=method,
        tools=[*tools, tool("pythainlp")],
        repairs=[],
        fallbacks=[],
        warnings=[],
        metadata={k: v for k, v in metadata.items() if v not in (None, "")},
        title=(title or "").strip() or None,
    )
    add_repairs(result.repairs, repaired.repairs)
    if not result.text:
        result.no_text_reason = "เอกสารไม่มีข้อความ (document has no text)"
    return result


def _unsound(kind: str, exc: Exception) -> UnsoundFile:
    return UnsoundFile(
        f"{kind}-corrupt",
        f"ไฟล์ {kind.upper()} เสียหาย เปิดอ่านไม่ได้",
        f"corrupt {kind.upper()}: {type(exc).__name__}: {exc}",
    )


# What a damaged ZIP member raises while it is read: a CRC mismatch, a broken deflate
# stream, or data that ends early.
_ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, OSError, EOFError)


def _check_zip(path: Path, kind: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive, kind)
    except _ZIP_DAMAGE as exc:
        raise _unsound(kind, exc) from exc


def _check_members(archive: zipfile.ZipFile, kind: str, skip: set[str] = frozenset()) -> None:
    """Decompress every member (zipfile checks its CRC on reading it to the end), except
    those in ``skip``, which were read whole already: a damaged member makes the whole
    package unsound, even one no text comes from (an image, the theme)."""
    for info in archive.infolist():
        if info.filename in skip or info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                while member.read(1 << 20):
                    pass
        except _ZIP_DAMAGE as exc:
            raise _unsound(kind, ValueError(f"damaged member {info.filename}: {exc}")) from exc


def _core_metadata(props: Any) -> dict:
    def iso(value: Any) -> str | None:
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {
        "title": getattr(props, "title", None),
        "author": getattr(props, "author", None) or getattr(props, "creator", None),
        "subject": getattr(props, "subject", None),
        "keywords": getattr(props, "keywords", None),
        "last_modified_by": getattr(props, "last_modified_by", None),
        "created": iso(getattr(props, "created", None)),
        "modified": iso(getattr(props, "modified", None)),
    }


def _dedupe_row(cells: Iterable[str]) -> list[str]:
    """Merged cells repeat their text in every grid cell they cover: keep it once."""
    out: list[str] = []
    for cell in cells:
        if not out or cell != out[-1] or not cell:
            out.append(cell)
    return out


# --- DOCX ---------------------------------------------------------------------


def _docx_table_lines(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells = [" ".join(cell.text.split("\n")).strip() for cell in row.cells]
        line = "\t".join(_dedupe_row(cells)).strip()
        if line:
            yield line


def _docx_block_lines(container: Any) -> Iterator[str]:
    """Paragraphs and tables in document order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            yield from _docx_table_lines(block)
        else:
            yield block.text


@dataclass
class _DocxParts:
    """What text extraction needs of a DOCX: the body, the headers and footers its
    sections use, the core properties and the styles (for the first heading)."""

    body: Any  # a python-docx block container (paragraphs and tables in order)
    headers_footers: list[Any]
    core: Any  # python-docx CoreProperties, or None
    styles: bytes | None  # the styles part, parsed only when the title is looked for


def _read_docx_parts(path: Path) -> _DocxParts:
    """Only the parts text extraction needs, through python-docx's XML classes.

    ``docx.Document()`` loads and parses every part of the package (styles, numbering,
    theme, fonts, settings, ...): 6.8 ms of a 10 KB document's 7.4 ms. The parts are found
    the way any OPC reader finds them, by the package's and the document's relationships."""
    from docx.blkcntnr import BlockItemContainer
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.coreprops import CoreProperties
    from docx.opc.oxml import parse_xml as parse_rels
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        read: set[str] = set()

        def read_part(name: str) -> bytes:
            read.add(name)
            return archive.read(name)

        def relationships(part: str) -> dict[str, list]:
            folder, _, name = part.rpartition("/")
            rels_name = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
            found: dict[str, list] = {}
            if rels_name in names:
                for rel in parse_rels(read_part(rels_name)).Relationship_lst:
                    if rel.target_mode != "External":
                        target = posixpath.normpath(posixpath.join(folder, rel.target_ref))
                        kind = rel.reltype
                        # LibreOffice writes ".../officedocument/.../core-properties"
                        if kind.lower().endswith("/metadata/core-properties"):
                            kind = RT.CORE_PROPERTIES
                        found.setdefault(kind, []).append((rel.rId, target.lstrip("/")))
            return found

        package = relationships("")
        main = package[RT.OFFICE_DOCUMENT][0][1]
        body = parse_xml(read_part(main)).body
        rels = relationships(main)
        by_id = {
            rid: target for kind in (RT.HEADER, RT.FOOTER) for rid, target in rels.get(kind, [])
        }
        used = []  # in the order the sections refer to them
        for reference in body.iter(qn("w:headerReference"), qn("w:footerReference")):
            target = by_id.get(reference.get(qn("r:id")))
            if target and target not in used:
                used.append(target)
        headers_footers = [
            BlockItemContainer(parse_xml(read_part(target)), None) for target in used
        ]
        core_part = (package.get(RT.CORE_PROPERTIES) or [(None, None)])[0][1]
        core = CoreProperties(parse_xml(read_part(core_part))) if core_part else None
        styles_part = (rels.get(RT.STYLES) or [(None, None)])[0][1]
        styles = read_part(styles_part) if styles_part else None
        # The parts read above were checked as they were read: only the rest is left.
        _check_members(archive, "docx", skip=read)
    return _DocxParts(BlockItemContainer(body, None), headers_footers, core, styles)


def _docx_header_footer_lines(parts: _DocxParts) -> list[str]:
    seen: set[str] = set()
    lines: list[str] = []
    for part in parts.headers_footers:
        for line in _docx_block_lines(part):
            if line.strip() and line not in seen:
                seen.add(line)
                lines.append(line)
    return lines


def _docx_first_heading(parts: _DocxParts) -> str | None:
    # Heading style ids are read from the styles part's XML: python-docx's paragraph.style
    # scans every style for each paragraph. Built-in names are stored lower-case
    # ("heading 1"; "Title" varies).
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    styled = [p for p in parts.body._element.iterchildren(qn("w:p")) if p.style]
    if parts.styles is None or not styled:
        return None
    headings = set()
    for style in parse_xml(parts.styles).iterchildren(qn("w:style")):
        name_element = style.find(qn("w:name"))
        name = (name_element.get(qn("w:val")) if name_element is not None else "") or ""
        if name.lower().startswith("heading") or name.lower() == "title":
            headings.add(style.get(qn("w:styleId")))
    for p in styled:
        if p.style in headings:
            text = Paragraph(p, None).text.strip()
            if text:
                return text
    return None


def extract_docx(path: Path) -> Extraction:
    # The package is checked while it is read (_read_docx_parts): testzip first would
    # decompress the parts read for text twice, a tenth of a DOCX's extraction time.
    try:
        parts = _read_docx_parts(path)
        body = list(_docx_block_lines(parts.body))
        extra = _docx_header_footer_lines(parts)
        metadata = _core_metadata(parts.core)
    except (KeyError, IndexError, ValueError, *_ZIP_DAMAGE) as exc:
        raise _unsound("docx", exc) from exc
    except Exception as exc:  # lxml XMLSyntaxError and friends: the XML is broken
        if type(exc).__module__.startswith("lxml"):
            raise _unsound("docx", exc) from exc
        raise
    title = metadata.get("title") or _docx_first_heading(parts)
    return _finish(body + extra, "docx", [tool("python-docx")], metadata, title)


# --- XLSX ---------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\n", " ").strip()


@dataclass
class _CellBudget:
    """How many cells the sheets of one workbook may still cost to read."""

    limit: int
    used: int = 0
    cut_at: str | None = None  # the sheet where reading stopped


def _sheet_lines(sheet: Any, budget: _CellBudget) -> Iterator[str]:
    """The non-empty rows of a read-only sheet as tab-separated lines, by its real content.

    A sheet's declared dimension (A1:XFD1048576 for one cell in the far corner) would make
    openpyxl pad every row to 16,384 cells and every missing row up to 1,048,576: 17 billion
    cells from a 5 KB file. Forgetting it, rows come as stored and are padded only up to
    their own last cell; those cells count against the budget, and the sheet is cut when
    it runs out."""
    if budget.cut_at is not None:
        return  # an earlier sheet used the budget up
    sheet.reset_dimensions()
    for row in sheet.iter_rows(values_only=True):
        budget.used += len(row) or 1  # a missing row costs a step too
        if budget.used > budget.limit:
            budget.cut_at = sheet.title
            return
        line = "\t".join(_cell_text(v) for v in row).rstrip("\t ").strip()
        if line:
            yield line


def extract_xlsx(path: Path) -> Extraction:
    _check_zip(path, "xlsx")
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    lines: list[str] = []
    budget = _CellBudget(ExtractionLimits.load().max_sheet_cells)
    try:
        # A file object, not the path: openpyxl refuses a path without an Excel suffix,
        # and the archive's stored copies (and staged uploads) have none.
        with open(path, "rb") as handle:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                sheets = workbook.sheetnames
                for sheet in workbook.worksheets:
                    lines.append(f"# {sheet.title}")
                    lines.extend(_sheet_lines(sheet, budget))
                metadata = _core_metadata(workbook.properties)
            finally:
                workbook.close()
    except (InvalidFileException, KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise _unsound("xlsx", exc) from exc
    metadata["sheets"] = sheets
    result = _finish(lines, "xlsx", [tool("openpyxl")], metadata, metadata.get("title"))
    if budget.cut_at is not None:
        result.warnings.append(
            f"อ่านตารางถึงแผ่น {budget.cut_at} แล้วหยุด เพราะเกิน {budget.limit:,} เซลล์ "
            f"(stopped at sheet {budget.cut_at!r}: over {budget.limit:,} cells; the rest is "
            f"stored, not read)"
        )
    return result


# --- PPTX ---------------------------------------------------------------------


def _pptx_shape_lines(shapes: Iterable[Any]) -> Iterator[str]:
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6 or hasattr(shape, "shapes"):  # group
            yield from _pptx_shape_lines(shape.shapes)
            continue
        if getattr(shape, "has_table", False):
            for row in shape.table.rows:
                cells = [" ".join(cell.text.split("\n")).strip() for cell in row.cells]
                line = "\t".join(_dedupe_row(cells)).strip()
                if line:
                    yield line
        elif getattr(shape, "has_text_frame", False):
            for paragraph in shape.text_frame.paragraphs:
                text = "".join(run.text for run in paragraph.runs) or paragraph.text
                if text.strip():
                    yield text


def extract_pptx(path: Path) -> Extraction:
    _check_zip(path, "pptx")
    import pptx
    from pptx.exc import PackageNotFoundError as PptxPackageError

    lines: list[str] = []
    title = None
    try:
        presentation = pptx.Presentation(str(path))
        for number, slide in enumerate(presentation.slides, start=1):
            lines.append(f"# {number}")
            if title is None and slide.shapes.title is not None:
                title = slide.shapes.title.text_frame.text.strip() or None
            lines.extend(_pptx_shape_lines(slide.shapes))
            if slide.has_notes_slide:
                notes = slide.notes_slide.notes_text_frame
                if notes is not None and notes.text.strip():
                    lines.append(notes.text)
        metadata = _core_metadata(presentation.core_properties)
        metadata["slides"] = len(presentation.slides)
    except (PptxPackageError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise _unsound("pptx", exc) from exc
    result = _finish(lines, "pptx", [tool("python-pptx")], metadata, metadata.get("title") or title)
    result.pages = metadata["slides"]
    return result


# --- ODF ----------------------------------------------------------------------


def _odf_lines(node: Any, out: list[str]) -> None:
    from odf import teletype
    from odf.namespaces import DRAWNS, TABLENS, TEXTNS

    for child in node.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        namespace, local = child.qname
        if namespace == TEXTNS and local in ("p", "h"):
            out.append(teletype.extractText(child))
        elif namespace == TABLENS and local == "table-row":
            cells = []
            for cell in child.childNodes:
                if cell.nodeType == cell.ELEMENT_NODE and cell.qname[1] == "table-cell":
                    cells.append(" ".join(teletype.extractText(cell).split()))
            line = "\t".join(cells).rstrip("\t ")
            if line:
                out.append(line)
        elif (namespace == TABLENS and local == "table") or (
            namespace == DRAWNS and local == "page"
        ):
            out.append(f"# {child.getAttribute('name') or ''}".rstrip())
            _odf_lines(child, out)
        else:
            _odf_lines(child, out)


def _odf_meta(document: Any) -> dict:
    from odf import teletype
    from odf.namespaces import DCNS, METANS

    wanted = {
        (DCNS, "title"): "title",
        (DCNS, "creator"): "author",
        (METANS, "initial-creator"): "initial_creator",
        (DCNS, "date"): "modified",
        (METANS, "creation-date"): "created",
        (DCNS, "subject"): "subject",
    }
    meta: dict = {}
    for child in document.meta.childNodes:
        key = wanted.get(getattr(child, "qname", None))
        if key:
            meta[key] = teletype.extractText(child).strip()
    return meta


def extract_odf(path: Path) -> Extraction:
    _check_zip(path, "odf")
    from odf.opendocument import load

    try:
        document = load(str(path))
        lines: list[str] = []
        _odf_lines(document.body, lines)
        metadata = _odf_meta(document)
        metadata["odf_type"] = document.mimetype
    except (KeyError, ValueError, zipfile.BadZipFile, AttributeError) as exc:
        raise _unsound("odf", exc) from exc
    except Exception as exc:  # expat/SAX errors: broken XML
        if "sax" in type(exc).__module__ or "expat" in type(exc).__module__:
            raise _unsound("odf", exc) from exc
        raise
    lines = [line for line in lines if line.strip()]
    return _finish(lines, "odf", [tool("odfpy")], metadata, metadata.get("title"))
