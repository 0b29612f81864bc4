"""SVG drawings: kept as images, their <text> (with its <tspan>s) and <title> read as text.

The XML is parsed by defusedxml, which refuses entity declarations and external
references (a billion-laughs file or an XXE probe is unsound, not expanded), element by
element (memory bounded by one element, not the file). The drawing is never rasterised:
its size is whatever its attributes claim, and a renderer would have to trust them.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .model import Extraction, UnsoundFile, add_repairs, repair, tool

_TEXT_TAGS = {"text", "title", "desc"}


def _local(tag: str) -> str:
    """'{http://www.w3.org/2000/svg}text' -> 'text'."""
    return tag.rsplit("}", 1)[-1]


def extract_svg(path: Path) -> Extraction:
    lines: list[str] = []
    title: str | None = None
    metadata: dict = {"format": "SVG"}
    try:
        with path.open("rb") as handle:
            for event, element in iterparse(handle, events=("start", "end")):
                name = _local(element.tag)
                if event == "start":
                    if name == "svg" and "width" not in metadata:
                        for attribute in ("width", "height", "viewBox"):
                            if element.get(attribute):
                                metadata[attribute.lower()] = element.get(attribute)[:100]
                    continue
                if name in _TEXT_TAGS:
                    text = " ".join(" ".join(element.itertext()).split())
                    if text and name == "title" and title is None:
                        title = text
                    elif text and name != "desc":
                        lines.append(text)
                    element.clear()  # its text is taken; keep memory to one element
    except (ParseError, DefusedXmlException) as exc:
        raise UnsoundFile(
            "svg-unsound",
            "ไฟล์ SVG เสียหายหรือมีโครงสร้าง XML ที่ไม่ปลอดภัย อ่านไม่ได้",
            f"broken or unsafe SVG XML: {type(exc).__name__}: {exc}",
        ) from exc
    if title:
        metadata["title"] = title[:500]
    repaired = repair("\n".join(lines))
    result = Extraction(
        text=repaired.text.strip(),
        method="svg-text",
        tools=[tool("defusedxml"), tool("pythainlp")],
        repairs=[],
        fallbacks=[],
        warnings=[],
        metadata=metadata,
        title=title,
    )
    add_repairs(result.repairs, repaired.repairs)
    if not result.text:
        result.no_text_reason = "ภาพ SVG ไม่มีข้อความ (the SVG drawing has no text elements)"
    return result
