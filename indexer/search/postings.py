"""A Whoosh term's postings read straight from its segment files into NumPy arrays:
docnums and weights, one file read and one pickle a block, where Whoosh's matchers step one
posting at a time in Python (~15 us a posting). Damaged bytes raise ``UnreadablePostings``,
which the index's damage check (``damage.py``) turns into a rebuild."""

from __future__ import annotations

import io
import pickle
import struct
import zlib

import numpy as np

_INT = struct.Struct("!i")
# Whoosh's W3 postings start with a 4-byte magic number, then blocks: a signed length
# (negative for the last block), a pickled info tuple, a pickled (ids, weights, values)
# tuple, zlib-compressed when the info says so. Ids are delta-encoded.
_POSTINGS_MAGIC_SIZE = 4

EMPTY_IDS = np.zeros(0, dtype=np.int64)


class UnreadablePostings(RuntimeError):
    """A term's postings bytes do not decode: the index file is damaged."""


EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


def _decode_blocks(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Docnums (segment-relative) and weights of one term from its whole postings bytes."""
    stream = io.BytesIO(buf)
    stream.seek(_POSTINGS_MAGIC_SIZE)
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    while True:
        start = stream.tell()
        (length,) = _INT.unpack(stream.read(4))
        last = length < 0
        end = start + 4 + abs(length)
        info = pickle.load(stream)
        data = buf[stream.tell() : end]
        if info[3]:  # compression level
            data = zlib.decompress(data)
        ids, weights, _values = pickle.loads(data)
        count = info[0]
        id_parts.append(np.cumsum(np.array(ids, dtype=np.int64)))
        if weights is None:
            weight_parts.append(np.ones(count, dtype=np.float32))
        elif isinstance(weights, float):
            weight_parts.append(np.full(count, weights, dtype=np.float32))
        else:
            weight_parts.append(np.array(weights, dtype=np.float32))
        if last:
            break
        stream.seek(end)
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def segment_postings(segreader, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
    """Segment-relative docnums and weights of a term in one segment (empty when absent)."""
    try:
        info = segreader.term_info(fieldname, text)
    except Exception:  # TermNotFound, or a field this segment does not have
        return EMPTY_IDS, EMPTY_WEIGHTS
    if info.is_inlined():  # a term of few documents keeps its postings in its term entry
        ids, weights, _values = info.inlined_postings()
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)
    postfile = getattr(getattr(segreader, "_terms", None), "_postfile", None)
    if postfile is None:  # not Whoosh's W3 codec: its matcher, one posting at a time
        pairs = list(segreader.postings(fieldname, text).items_as("weight"))
        return (
            np.array([d for d, _ in pairs], dtype=np.int64),
            np.array([w for _, w in pairs], dtype=np.float32),
        )
    offset, length = info.extent()
    if isinstance(length, tuple):  # Whoosh's W3TermInfo.from_bytes keeps struct's 1-tuple
        (length,) = length
    try:
        return _decode_blocks(postfile.get(offset, length))
    except (ValueError, IndexError, KeyError, TypeError, EOFError, struct.error) as exc:
        raise UnreadablePostings(f"{fieldname}:{text!r}: {exc!r}") from exc


def term_postings(reader, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
    """Global docnums (ascending) and weights of a term across the segments of a reader."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for segreader, base in reader.leaf_readers():
        seg_ids, seg_weights = segment_postings(segreader, fieldname, text)
        if len(seg_ids):
            ids.append(seg_ids + base)
            weights.append(seg_weights)
    if not ids:
        return EMPTY_IDS, EMPTY_WEIGHTS
    return np.concatenate(ids), np.concatenate(weights)
