"""Long texts in bounded pieces: a 100 MB text repaired, segmented or counted whole held
several copies and a list of every word at once (2.4 GB of memory); piece by piece, only
one piece's worth is held beside the text itself."""

from __future__ import annotations

from collections.abc import Iterator

from schemas.config import setting


def piece_chars() -> int:
    """The piece size: ``KHLANG_TEXT_PIECE_CHARS`` (small in tests, to cross boundaries)."""
    return setting("KHLANG_TEXT_PIECE_CHARS")


def text_pieces(text: str, size: int | None = None) -> Iterator[str]:
    """``text`` in consecutive pieces of about ``size`` characters, each ending at a line
    break, or else at a space, so that no word is cut in two (Thai writes no space inside
    a sentence, but never breaks a word across a line or a space). A line with neither
    for ``size`` characters is cut where it reaches ``size``. The pieces join back to
    ``text`` exactly."""
    size = size or piece_chars()
    if len(text) <= size:
        yield text  # itself, not a copy (nor a plain str when it is a str subclass)
        return
    start = 0
    while len(text) - start > size:
        end = start + size
        cut = text.rfind("\n", start, end) + 1 or text.rfind(" ", start, end) + 1 or end
        yield text[start:cut]
        start = cut
    if start < len(text) or not text:
        yield text[start:]
