"""The search's shortcuts give what the long way gives, on the real seeds and shared texts:
a snippet made from the beginning of a text (or of a compressed body) is the whole text's
snippet, and a long chunk looked up by pieces in the sidecar finds the documents FTS5's
phrase finds."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import numpy as np
import pytest

from indexer.search import sidecar as sc
from indexer.search.analysis import encode_units, normalize, syllables
from indexer.search.schema import sidecar_text
from indexer.search.snippet import make_snippet, snippet_of_compressed, whole_snippet

SHARED = Path(__file__).resolve().parents[2] / "shared"
TEXTS = (
    sorted((SHARED / "seeds").glob("*.txt"))
    + sorted((SHARED / "corpus" / "gov-texts").glob("*.txt"))[:6]
)

pytestmark = pytest.mark.skipif(not TEXTS, reason="../shared texts not present")


def texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in TEXTS]


def runs_of(text: str, rng: random.Random, count: int, units: tuple[int, int]) -> list[str]:
    """``count`` pieces of ``text`` cut at syllable units, ``units`` units long."""
    found = syllables(text)
    out = []
    for _ in range(count):
        n = rng.randint(*units)
        at = rng.randrange(max(1, len(found) - n))
        out.append(text[found[at].start : found[min(len(found) - 1, at + n)].end])
    return out


def test_a_snippet_from_the_start_of_the_text_is_the_whole_texts():
    rng = random.Random(7)
    all_texts = texts()
    checked = settled_early = 0
    for path, text in zip(TEXTS, all_texts, strict=True):
        blob = zlib.compress(text.encode("utf-8"), 1)
        late = text[len(text) * 3 // 4 :]
        # a run that begins just before the end of the first piece decompressed: its
        # snippet reaches past that piece
        first_piece = zlib.decompressobj().decompress(blob[:4096]).decode("utf-8", "ignore")
        edge = text[max(0, len(first_piece) - 150) : len(first_piece) - 60]
        queries = [
            runs_of(edge, rng, 1, (4, 6)) if len(edge) > 40 else [],
            runs_of(text, rng, 2, (1, 3)),  # words early and late in the text
            runs_of(late, rng, 1, (2, 4)),  # only near the end: the whole text is read
            [*runs_of(text, rng, 1, (1, 2)), "๒๕๖๒", "ทำ"],  # digits, sara am: line by line
            ["ไม่มีในเอกสารนี้เลยแน่นอนxyz"],  # nowhere: the text's beginning
        ]
        for chunks in filter(None, queries):
            want = whole_snippet(text, chunks)
            assert snippet_of_compressed(blob, chunks) == want, (path.name, chunks)
            assert make_snippet(text, chunks) == want, (path.name, chunks)
            checked += 1
        if len(blob) > 4 * 4096 and len(text) > 4 * 4096:
            settled_early += 1
    assert checked >= 40
    assert settled_early > 0  # some texts (and bodies) are long enough to be cut short


def test_a_long_chunk_found_by_pieces_is_found_by_the_phrase(tmp_path):
    path = tmp_path / sc.FILE_NAME
    sc.create(path)
    side = sc.Sidecar(path)
    all_texts = texts()
    with side.writer() as w:
        w.add(
            [(n + 1, sidecar_text({"text": t})) for n, t in enumerate(all_texts)],
            fresh=True,
        )
    rng = random.Random(3)
    long_chunks = [c for t in all_texts for c in runs_of(t, rng, 4, (16, 24))]
    # scattered words glued together, as staff type a question: in no document
    glued = ["".join(runs_of(t, rng, 8, (1, 2))) for t in all_texts]
    checked = found = 0
    for chunk in long_chunks + glued:
        encoded = encode_units(normalize(chunk))
        if len(encoded) < sc.LONG_CHUNK:
            continue
        want = side._phrase_ids(encoded, 0, 2**63 - 1)
        got = side.match_ids(encoded)
        assert np.array_equal(got, want), chunk
        checked += 1
        found += len(want) > 0
    assert checked >= 20
    assert 0 < found < checked  # both ways: chunks some document has, and none has
    side.close()
