"""Whoosh's W3 codec with a postings writer that takes a term's postings at once.

Writing a segment (Whoosh's commit) was a third of the indexing process's CPU, and the
indexing process is the one stage of a large ingestion that takes one batch at a time. Whoosh's writer handles each
posting with a chain of Python calls (order checks, a field-length lookup through a column
reader, asserts, block statistics) and writes every term, however rare, as a block of two
pickles in the postings file. This one groups the sorted postings by term, reads each
field's lengths once per segment, and fills the block buffer a term at a time; terms of
fewer than ``inlinelimit`` postings are kept in the term's own entry ("inlined"), which
Whoosh supports but cannot write (its W3PostingsWriter calls ``set_inline``, a method
W3TermInfo does not have, so W3Codec's default limit of 1 inlines nothing).

Merging small segments (Whoosh's MERGE_SMALL policy, at commits) reads every posting of
the merged segments back: Whoosh looks each term up again in the hash table it is iterating
and steps through its postings one call at a time. :func:`merge_small` makes the same choice
of segments and reads each term's postings a block at a time, in the order they are stored.

The files are Whoosh's own W3 format, read by Whoosh and by :mod:`.ranking`; the tests
compare every term's postings and statistics with those Whoosh's writer makes.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Sequence
from functools import partial
from itertools import groupby
from operator import itemgetter

from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
    W3Segment,
    W3TermInfo,
)
from whoosh.system import pack_ushort
from whoosh.writing import MERGE_SMALL

_FIELD = itemgetter(0)
_TEXT = itemgetter(1)

# Terms with fewer postings than this in a segment are inlined in their term entry: in a
# segment of 200 documents, most terms.
INLINE_LIMIT = 8


class KhlangCodec(W3Codec):
    def __init__(self, compression: int = 0, inlinelimit: int = INLINE_LIMIT):
        super().__init__(compression=compression, inlinelimit=inlinelimit)

    def new_segment(self, storage, indexname):
        # Whoosh pickles a segment's codec into the index's table of contents, by class
        # name. Segments name Whoosh's own W3 codec, which reads these files the same way:
        # the index never depends on where this class lives, or on its existing.
        return W3Segment(W3Codec(compression=self._compression), indexname)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            # term vectors (byte ids) are never inlined: their readers need an extent
            inlinelimit=1 if byteids else self._inlinelimit,
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
            field_lengths = _field_lengths(lengths, fieldobj, fieldname)
            key_prefix = pack_ushort(self._fieldid)
            postwriter = self._postwriter
            for btext, postings in groupby(field_items, key=_TEXT):
                _, _, ids, weights, values = zip(*postings, strict=True)
                postwriter.start_postings(fieldobj.format, W3TermInfo())
                postwriter.add_term_postings(ids, weights, values, [field_lengths[i] for i in ids])
                terminfo = postwriter.finish_postings()
                self._tindex.add(key_prefix + btext, terminfo.to_bytes())
            self.finish_field()


def _field_lengths(lengths, fieldobj, fieldname: str) -> Sequence[int] | defaultdict[int, int]:
    """Each document's length in the field (0 when unknown), as Whoosh's writer looks it up
    for every posting; all 0 for a field without lengths (not scorable: ids, facets)."""
    if not lengths or not fieldobj.scorable:
        return defaultdict(int)
    return [lengths.doc_field_length(d, fieldname) or 0 for d in range(lengths.doc_count_all())]


# --- merging -----------------------------------------------------------------------------


def merge_small(writer, segments):
    """Whoosh's MERGE_SMALL policy (a commit's ``mergetype``): the same segments merged,
    each segment's postings read by :func:`_live_postings`."""
    return MERGE_SMALL(_MergingWriter(writer), segments)


class _MergingWriter:
    """The writer as MERGE_SMALL sees it: the reader of each segment it adds gives its
    postings by blocks."""

    def __init__(self, writer):
        self._writer = writer

    def __getattr__(self, name):
        return getattr(self._writer, name)

    def add_reader(self, reader) -> None:
        reader.iter_postings = partial(_live_postings, reader)
        self._writer.add_reader(reader)


def _live_postings(reader):
    """(field name, term bytes, docnum, weight, value) of every live posting of a segment
    reader, in term order, as Whoosh's iter_postings gives them."""
    schema = reader.schema
    deleted = reader.deleted_docs_set
    terms = reader._terms
    for (fieldname, btext), terminfo in terms.items():
        if fieldname not in schema:
            continue
        matcher = terms._codec.postings_reader(
            terms._postfile, terminfo, schema[fieldname].format, term=(fieldname, btext)
        )
        for docnum, weight, value in _postings(matcher):
            if docnum not in deleted:
                yield fieldname, btext, docnum, weight, value


def _postings(matcher):
    """(docnum, weight, value) of a term's postings: W3 blocks whole, else one by one."""
    if isinstance(matcher, W3LeafMatcher):
        while not matcher._atend:
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            yield from zip(matcher._ids, matcher._weights, matcher._values, strict=True)
            matcher._next_block()
        return
    while matcher.is_active():  # inlined postings (a ListMatcher)
        yield matcher.id(), matcher.weight(), matcher.value()
        matcher.next()
