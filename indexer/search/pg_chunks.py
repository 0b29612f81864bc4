"""A query's chunks as the ``postgres`` backend asks for them: each chunk's words (for
postings) and its encoded form (for never-miss substrings in the pieces, the short grams
and the junction keys, :mod:`indexer.search.pg_rows`)."""

from __future__ import annotations

from dataclasses import dataclass

from .analysis import normalize, word_texts
from .pg_rows import PIECE_CHUNK, encode_chunk, like


@dataclass
class Chunk:
    """A query chunk: its words and its encoded form (never-miss substring)."""

    text: str
    words: list[str]
    encoded: str
    norm: str = ""  # its normalised text

    def one_word(self) -> str | None:
        """The chunk's word when the chunk is that word alone, encoded alike: a posting of
        it that is not ``unaligned`` proves a document holds the chunk."""
        if len(self.words) == 1 and encode_chunk(self.words[0]) == self.encoded:
            return self.words[0]
        return None

    def fits_a_piece(self) -> bool:
        """Whether the chunk is found by trigrams and lies whole in one piece."""
        return 3 <= len(self.encoded) <= PIECE_CHUNK

    def substring(self) -> tuple[str, list]:
        """An SQL condition on ``khlang_search.documents``: the document holds the chunk.
        Its pieces' trigram index finds the pieces and ``LIKE`` confirms them there (short
        rows in line); a chunk longer than :data:`PIECE_CHUNK` is found by its head and
        confirmed on the document's whole encoded text."""
        if len(self.encoded) < 3:
            return "grams @> ARRAY[%s]::text[]", [self.encoded]
        sql = "(gen, doc_id) IN (SELECT gen, doc_id FROM khlang_search.pieces WHERE units LIKE %s)"
        if len(self.encoded) <= PIECE_CHUNK:
            return sql, [like(self.encoded)]
        return f"{sql} AND units LIKE %s", [like(self.encoded[:PIECE_CHUNK]), like(self.encoded)]


def chunk(text: str, dictionary: str) -> Chunk | None:
    norm = normalize(text)
    words = word_texts(norm, dictionary)
    encoded = encode_chunk(norm)
    return Chunk(text, words, encoded, norm) if words and encoded else None


def chunks(texts, dictionary: str) -> list[Chunk]:
    return [c for c in (chunk(t, dictionary) for t in texts) if c]
