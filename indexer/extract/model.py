"""What an extractor returns, and the error for files that are not what they claim."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from indexer.thai.repair import RepairResult, repair_thai
from schemas.pieces import piece_chars, text_pieces


@dataclass
class Extraction:
    text: str  # repaired text ('' when none)
    method: str  # "pdf-text-layer", "pdf-ocr", "docx", "xlsx", "pptx", "odf", ...
    tools: list[str]  # tool names with versions, e.g. ["pypdf 7.1.0", "tesseract 5.3.0"]
    repairs: list[str]  # repairs that ran and changed something
    fallbacks: list[str]  # e.g. ["ocr-pages:3,4"], ["encoding:cp874"]
    warnings: list[str]
    pages: int | None = None
    metadata: dict = field(default_factory=dict)  # technical metadata
    no_text_reason: str | None = None  # Thai-first reason when text == ''
    ocr_skipped: str | None = None  # reason when OCR was needed but could not run
    title: str | None = None  # from file properties or first heading
    #: OCR'd pages' recognised text as invisible PDF pages, by page number (a PDF's pages,
    #: an image's frames): what the searchable copy of a scan is made from
    #: (indexer/preserve/searchable.py)
    ocr_layers: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def without_text(
        cls, reason: str, metadata: dict | None = None, warnings: list[str] | None = None
    ) -> Extraction:
        """A sound file from which no text could be read, and why (Thai first)."""
        return cls(
            text="",
            method="none",
            tools=[],
            repairs=[],
            fallbacks=[],
            warnings=warnings or [],
            metadata=metadata or {},
            no_text_reason=reason,
        )


class UnsoundFile(Exception):
    """The bytes are not a sound file of their claimed type (truncated PDF, corrupt DOCX): rejected."""

    def __init__(self, code: str, message_th: str, message_en: str):
        super().__init__(f"{message_th} ({message_en})")
        self.code = code
        self.message_th = message_th
        self.message_en = message_en


def add_repairs(target: list[str], repairs: tuple[str, ...] | list[str]) -> None:
    """Merge repair names into target, keeping first-seen order and no duplicates."""
    for name in repairs:
        if name not in target:
            target.append(name)


@cache
def tool(dist: str) -> str:
    """'pythainlp 5.4.0': a package as provenance names it. Cached: looking up a version
    reads package metadata from disk, which cost more than extracting a small text file."""
    try:
        return f"{dist} {version(dist)}"
    except PackageNotFoundError:  # pragma: no cover
        return dist


class _RepairClock(threading.local):
    seconds = 0.0


REPAIR_CLOCK = _RepairClock()


def repair(text: str, *, layout: bool = False) -> RepairResult:
    """:func:`indexer.thai.repair.repair_thai`, timed: the ingestion benchmark reports
    repair apart from extraction (per thread: upload jobs run in threads)."""
    started = time.perf_counter()
    try:
        if len(text) <= piece_chars():
            return repair_thai(text, layout=layout)
        # A long text piece by piece (each ends at a line break): whole, the repairs'
        # copies of a 100 MB text held GBs. A line wrapped across two pieces stays wrapped.
        texts: list[str] = []
        repairs: list[str] = []
        for piece in text_pieces(text):
            done = repair_thai(piece, layout=layout)
            texts.append(done.text)
            add_repairs(repairs, done.repairs)
        return RepairResult("".join(texts), tuple(repairs))
    finally:
        REPAIR_CLOCK.seconds += time.perf_counter() - started
