"""Tesseract's TSV words placed in the text Tesseract wrote: what the readers that run
after it on a page (the Latin re-read, the Thai digit reader) walk, each word with its box
and where it stands in the page's text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class TsvWord:
    text: str  # as Tesseract wrote it
    start: int  # where it stands in the page's text; -1 when it is not there as written
    end: int
    box: tuple[int, int, int, int]  # left, top, right, bottom
    row: int  # its row in the TSV (0 is the header)
    line: tuple[str, ...]  # page, block, paragraph and line numbers: its line

    @property
    def placed(self) -> bool:
        return self.start >= 0


def placed_words(text: str, tsv: str) -> Iterator[TsvWord]:
    """The TSV's words in reading order, each found in ``text`` after the one before (a
    word not found as written, such as a number a reader wrote again, is not ``placed``)."""
    position = 0
    for row, cells in enumerate(line.split("\t") for line in tsv.splitlines()):
        if not row or len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        written = cells[11].strip()
        left, top, width, height = (int(v) for v in cells[6:10])
        box = (left, top, left + width, top + height)
        found = text.find(written, position)
        if found >= 0:
            position = found + len(written)
        end = found + len(written) if found >= 0 else -1
        yield TsvWord(written, found, end, box, row, tuple(cells[1:5]))
