"""Plain text, CSV and HTML, with encoding detection that knows Thai legacy
encodings (TIS-620 / Windows-874)."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from schemas.pieces import text_pieces

from .model import Extraction, UnsoundFile, add_repairs, repair, tool

MAX_TEXT_BYTES = 200 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _thai_share(text: str) -> float:
    """Share of Thai characters among the non-ASCII characters of text."""
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 0.0
    return sum("\u0e00" <= c <= "\u0e7f" for c in non_ascii) / len(non_ascii)


# A Thai character in UTF-8 (U+0E00-U+0E7F): E0 B8 80-BF or E0 B9 80-BF.
_UTF8_THAI = re.compile(rb"\xe0[\xb8\xb9][\x80-\xbf]")
# A line that is not UTF-8 is taken for a TIS-620 line (edited on another machine) when
# more than this share of its non-ASCII bytes are not UTF-8; below it, for UTF-8 with a
# few stray bytes, which are dropped.
_LEGACY_LINE_SHARE = 0.5


def decode_line(line: bytes) -> tuple[str, str, int]:
    """(text, encoding, bytes dropped) for one line of a file whose lines mix UTF-8 and
    TIS-620 / Windows-874: UTF-8 when it is; Windows-874 when most of its high bytes are
    not UTF-8 and they read as Thai; else UTF-8 without the bytes that are not (a stray
    byte never becomes a random Thai letter inside a word)."""
    try:
        return line.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    kept = line.decode("utf-8", errors="ignore")
    dropped = len(line) - len(kept.encode("utf-8"))
    high = sum(byte > 127 for byte in line)
    if dropped > _LEGACY_LINE_SHARE * high:
        try:
            legacy = line.decode("cp874")
        except UnicodeDecodeError:
            legacy = None
        if legacy is not None and _thai_share(legacy) >= 0.8:
            return legacy, "cp874", 0
    if dropped <= _MAX_STRAYS:
        kept, dropped = _without_strays(line)
    return kept, "utf-8", dropped


# Up to this many bad bytes in a line are taken out one by one (_without_strays); more
# are dropped as Python's "ignore" does, which costs no more than the line.
_MAX_STRAYS = 64


def _whole_character(data: bytes | bytearray) -> bool:
    """Whether ``data`` starts with one whole multi-byte UTF-8 character."""
    lead = data[0] if data else 0
    size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if lead >= 0xF0 else 0
    try:
        return bool(size) and len(bytes(data[:size]).decode("utf-8")) == 1
    except UnicodeDecodeError:
        return False


def _without_strays(line: bytes) -> tuple[str, int]:
    """UTF-8 text of ``line`` with its stray bytes taken out: a byte that fell inside a Thai
    character (E0 B8 xx) costs only itself, where "ignore" loses the whole character."""
    data = bytearray(line)
    parts: list[str] = []
    dropped = start = 0
    while start < len(data):
        try:
            parts.append(data[start:].decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            at = start + exc.start
            parts.append(data[start:at].decode("utf-8"))
            stray = next(
                (
                    at + k
                    for k in range(1, 4)
                    if _whole_character(data[at : at + k] + data[at + k + 1 : at + k + 4])
                ),
                at,  # the byte at ``at`` begins no character: it is the stray one
            )
            del data[stray]
            dropped += 1
            start = at
    return "".join(parts), dropped


def decode_mixed(data: bytes) -> tuple[str, list[str], int]:
    """(text, encodings met, bytes dropped): ``data`` decoded line by line (decode_line),
    so that one line in another encoding or one stray byte costs only itself."""
    parts: list[str] = []
    encodings: list[str] = []
    dropped = 0
    for line in data.splitlines(keepends=True):
        text, encoding, lost = decode_line(line)
        parts.append(text)
        dropped += lost
        if encoding not in encodings:
            encodings.append(encoding)
    return "".join(parts), encodings, dropped


def decode_bytes(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) or None when the bytes are not text in any known encoding.

    Order: BOM, strict UTF-8, line by line when the bytes hold UTF-8 Thai but are not all
    UTF-8 (lines in TIS-620, stray bytes: see decode_mixed; the encoding is then
    "utf-8+cp874" or "utf-8"), Windows-874 when the high bytes decode to Thai (TIS-620 is
    its subset, and generic detectors often take Thai bytes for Latin-1 or Cyrillic), then
    charset-normalizer."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # binary, not text
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_THAI.search(data):
        text, encodings, _dropped = decode_mixed(data)
        return text, "+".join(encodings)
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        text = None
    if text is not None and _thai_share(text) >= 0.8:
        return text, "cp874"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    return str(best), best.encoding


def _read(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_TEXT_BYTES + 1)


def _no_text(method: str, reason: str, warnings: list[str] | None = None) -> Extraction:
    return Extraction.without_text(reason, metadata={"format": method}, warnings=warnings)


def _decode_file(path: Path) -> tuple[str, str, list[str]] | Extraction:
    data = _read(path)
    warnings: list[str] = []
    if len(data) > MAX_TEXT_BYTES:
        data = data[:MAX_TEXT_BYTES]
        warnings.append(f"truncated-at-bytes:{MAX_TEXT_BYTES}")
    decoded = decode_bytes(data)
    if decoded is None:
        return _no_text(
            "text",
            "ถอดรหัสอักขระของไฟล์ข้อความไม่ได้ (could not detect the text encoding)",
            warnings,
        )
    text, encoding = decoded
    return text, encoding, warnings


def _finish(text: str, encoding: str, method: str, warnings: list[str]) -> Extraction:
    if "\r" in text:  # pieces end after "\n", so no "\r\n" is split; one copy at a time
        text = "".join(p.replace("\r\n", "\n").replace("\r", "\n") for p in text_pieces(text))
    repaired = repair(text)
    del text
    result = Extraction(
        text=repaired.text.strip(),
        method=method,
        tools=[
            tool("charset-normalizer"),
            tool("pythainlp"),
        ],
        repairs=[],
        fallbacks=[] if encoding in ("utf-8", "ascii") else [f"encoding:{encoding}"],
        warnings=warnings,
        metadata={"encoding": encoding},
    )
    add_repairs(result.repairs, repaired.repairs)
    if not result.text:
        result.no_text_reason = "ไฟล์ว่าง ไม่มีข้อความ (empty file)"
    return result


def extract_plain(path: Path, mime: str = "text/plain") -> Extraction:
    decoded = _decode_file(path)
    if isinstance(decoded, Extraction):
        return decoded
    text, encoding, warnings = decoded
    return _finish(text, encoding, "plain-text", warnings)


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "header", "footer", "blockquote", "pre", "hr", "dt", "dd", "nav",
    "main", "aside", "figcaption", "caption", "form", "title",
}  # fmt: skip
_CELL_TAGS = {"td", "th"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head"}


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.in_title = False
        self.in_h1 = False
        self.title = ""
        self.h1 = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS and tag != "head":
            self.skip += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "h1":
            self.in_h1 = True
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and tag != "head" and self.skip:
            self.skip -= 1
        elif tag == "title":
            self.in_title = False
        elif tag == "h1":
            self.in_h1 = False
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.skip:
            return
        if self.in_h1:
            self.h1 += data
        self.parts.append(data)

    def text(self) -> str:
        lines = []
        for line in "".join(self.parts).split("\n"):
            line = " ".join(line.replace("\t", " \t ").split(" ")).strip()
            line = "\t".join(" ".join(cell.split()) for cell in line.split("\t")).strip("\t ")
            if line:
                lines.append(line)
        return "\n".join(lines)


def extract_html(path: Path) -> Extraction:
    decoded = _decode_file(path)
    if isinstance(decoded, Extraction):
        return decoded
    raw, encoding, warnings = decoded
    parser = _HtmlText()
    parser.feed(raw)
    parser.close()
    result = _finish(parser.text(), encoding, "html", warnings)
    title = " ".join(parser.title.split()) or " ".join(parser.h1.split())
    if title:
        result.title = repair(title).text
        result.metadata["title"] = result.title
    return result


# RTF names its code page in the header; Thai Windows writes \ansicpg874.
_RTF_CODE_PAGE = re.compile(rb"\\ansicpg(\d+)")


def extract_rtf(path: Path) -> Extraction:
    """RTF through striprtf, which follows the file's code page (\\ansicpg, and each
    font's \\fcharset) for \\'hh bytes, and reads \\uN escapes."""
    from striprtf.striprtf import rtf_to_text

    data = _read(path)
    code_page = _RTF_CODE_PAGE.search(data[:8192])
    encoding = f"cp{int(code_page[1])}" if code_page else "cp1252"
    # RTF is 7-bit text by its specification; Latin-1 keeps any stray 8-bit byte as is.
    try:
        text = rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
    except (ValueError, IndexError, LookupError) as exc:
        raise UnsoundFile("rtf-corrupt", "ไฟล์ RTF เสียหาย อ่านไม่ได้", f"corrupt RTF: {exc}") from exc
    result = _finish(text, encoding, "rtf", [])
    result.tools = [tool("striprtf"), tool("pythainlp")]
    return result
