"""Whoosh's W3 codec with a postings writer that takes a term's postings at once.

Writing a segment was half of the indexing process's CPU, and the indexing process is the
one stage of a large ingestion that takes one batch at a time. Whoosh's writer handles each
posting with a chain of Python calls (order checks, a field-length lookup through a column
reader, asserts, block statistics) and writes every term, however rare, as a block of two
pickles in the postings file. This one groups the sorted postings by term, reads each
field's lengths once per segment, and fills the block buffer a term at a time; terms of
fewer than ``inlinelimit`` postings are kept in the term's own entry ("inlined"), which
Whoosh supports but cannot write (its W3PostingsWriter calls ``set_inline``, a method
W3TermInfo does not have, so W3Codec's default limit of 1 inlines nothing).

The files are Whoosh's own W3 format, read by Whoosh and by :mod:`.ranking`; the tests
compare every term's postings and statistics with those Whoosh's writer makes.
"""

from __future__ import annotations

from array import array
from itertools import groupby
from operator import itemgetter

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter, W3TermInfo
from whoosh.system import pack_ushort

_FIELD = itemgetter(0)
_TEXT = itemgetter(1)

# Terms with fewer postings than this in a segment are inlined in their term entry: in a
# segment of 200 documents, most terms.
INLINE_LIMIT = 8


class KhlangCodec(W3Codec):
    def __init__(self, compression: int = 0, inlinelimit: int = INLINE_LIMIT):
        super().__init__(compression=compression, inlinelimit=inlinelimit)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _PostingsWriter(W3PostingsWriter):
    def add_term_postings(self, ids: list[int], weights: list[float], values, lengths) -> None:
        """A term's postings, ascending ids: what ``add_posting`` does for each, by blocks."""
        limit = self._blocklimit
        for start in range(0, len(ids), limit):
            if self._ids:
                self._write_block()  # the previous block is full
            end = start + limit
            block_weights = weights[start:end]
            self._ids = array("I", ids[start:end])
            self._weights = array("f", block_weights)
            block_values = values[start:end]
            if len(ids) < self._inlinelimit:
                # Inlined values are read by position: one for every posting, b"" for none
                # (Whoosh's reader of inlined postings yields no posting at all for an empty
                # tuple of values, and a str for None, which a merge refuses).
                self._values = [v or b"" for v in block_values]
            else:
                self._values = [v for v in block_values if v]
            self._maxweight = max(0, max(block_weights))
            known = [n for n in lengths[start:end] if n]
            self._minlength = min(known) if known else None
            self._maxlength = max(known) if known else 0

    def finish_postings(self):
        terminfo = self._terminfo
        if not self.written() and len(self) < self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items) -> None:
        """``items``: (field name, term bytes, docnum, weight, value), sorted, as Whoosh's
        pool gives them."""
        for fieldname, field_items in groupby(items, key=_FIELD):
            fieldobj = schema[fieldname]
            self.start_field(fieldname, fieldobj)
            field_lengths = _field_lengths(lengths, fieldname)
            key_prefix = pack_ushort(self._fieldid)
            postwriter = self._postwriter
            for btext, postings in groupby(field_items, key=_TEXT):
                _, _, ids, weights, values = zip(*postings, strict=True)
                if ids[0] == -1:  # Whoosh's marker for spelling words: no postings
                    continue
                postwriter.start_postings(fieldobj.format, W3TermInfo())
                postwriter.add_term_postings(ids, weights, values, [field_lengths[i] for i in ids])
                terminfo = postwriter.finish_postings()
                self._tindex.add(key_prefix + btext, terminfo.to_bytes())
            self.finish_field()


def _field_lengths(lengths, fieldname: str) -> list[int]:
    """Each document's length in the field (0 when unknown), as Whoosh's writer looks it up
    for every posting."""
    if not lengths:
        return _NoLengths()
    return [lengths.doc_field_length(d, fieldname) or 0 for d in range(lengths.doc_count_all())]


class _NoLengths:
    def __getitem__(self, docnum: int) -> int:
        return 0
