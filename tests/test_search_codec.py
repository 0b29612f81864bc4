"""The index's postings writer (indexer.search.codec) against Whoosh's own: the same
documents written by both must give the same terms, postings and term statistics, through
Whoosh's readers and through the ranking's direct postings reader."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import fields
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import MERGE_SMALL

from indexer.search.codec import INLINE_LIMIT, KhlangCodec, merge_small
from indexer.search.postings import segment_postings
from indexer.search.schema import build_schema, index_forms
from tests.test_jobs import SEED_TEXTS

pytestmark = pytest.mark.skipif(not SEED_TEXTS, reason="../shared/seeds not present")


def paragraph_docs(count: int) -> list[dict]:
    """Real Thai paragraphs of the seeds, each numbered (so 'ฉบับที่' is in every one)."""
    paragraphs = [
        p.strip()
        for seed in SEED_TEXTS
        for p in seed.read_text(encoding="utf-8").split("\n\n")
        if len(p.strip()) > 80
    ]
    return [
        {
            "id": n + 1,
            "title": f"ฉบับที่ {n}",
            "text": paragraphs[n % len(paragraphs)] + f"\nฉบับที่ {n}",
            "filename": f"เอกสาร-{n:04d}.txt",
            "kind": "letter" if n % 3 else "memo",
            "provinces": ["เชียงใหม่"] if n % 2 else ["ลำพูน", "เชียงราย"],
        }
        for n in range(count)
    ]


def write_index(path, codec, docs: list[dict], batches: list[int], optimize: bool):
    """``docs`` committed in batches of these sizes (Whoosh merges small segments as it
    goes), then optionally merged into one segment."""
    path.mkdir()
    ix = FileStorage(str(path), supports_mmap=False).create_index(build_schema())
    start = 0
    for size in batches:
        writer = ix.writer(codec=codec)
        for doc in docs[start : start + size]:
            fields, _side = index_forms(doc)
            writer.add_document(**fields)
        writer.commit()
        start += size
    if optimize:
        ix.writer(codec=codec).commit(optimize=True)
    return ix


def term_statistics(reader, fieldname, text) -> tuple:
    info = reader.term_info(fieldname, text)
    return (
        info.weight(),
        info.doc_frequency(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        info.min_id(),
        info.max_id(),
    )


def assert_same_postings(ours, theirs) -> tuple[int, int]:
    """Every term's postings and statistics equal in two indexes of the same documents;
    returns how many terms are inlined and how many span several blocks in ``ours``."""
    inlined = multi_block = 0
    with ours.reader() as r_ours, theirs.reader() as r_theirs:
        assert [s.doc_count_all() for s in ours._segments()] == [
            s.doc_count_all() for s in theirs._segments()
        ]
        assert list(r_ours.all_doc_ids()) == list(r_theirs.all_doc_ids())
        for fieldname in ("title", "meta", "text", "kind", "province", "id"):
            terms = list(r_ours.lexicon(fieldname))
            assert terms == list(r_theirs.lexicon(fieldname)), fieldname
            assert terms, fieldname
            for text in terms:
                got = list(r_ours.postings(fieldname, text).items_as("weight"))
                want = list(r_theirs.postings(fieldname, text).items_as("weight"))
                assert got == want, (fieldname, text)
                if fieldname in ("title", "meta", "text"):  # word counts, the values
                    got = list(r_ours.postings(fieldname, text).items_as("frequency"))
                    want = list(r_theirs.postings(fieldname, text).items_as("frequency"))
                    assert got == want, (fieldname, text)
                assert term_statistics(r_ours, fieldname, text) == term_statistics(
                    r_theirs, fieldname, text
                )
            for segment, _base in r_ours.leaf_readers():
                for text in segment.lexicon(fieldname):
                    info = segment.term_info(fieldname, text)
                    inlined += info.is_inlined()
                    multi_block += info.doc_frequency() > 128
                    # the ranking's own reader of W3 postings gives the same arrays (it
                    # reads deleted documents' postings too, and masks them later)
                    ids, weights = segment_postings(segment, fieldname, text)
                    live = [not segment.is_deleted(d) for d in ids.tolist()]
                    pairs = list(segment.postings(fieldname, text).items_as("weight"))
                    assert ids[live].tolist() == [d for d, _w in pairs]
                    assert np.allclose(weights[live], [w for _d, w in pairs])
        for fieldname in ("title", "meta", "text"):
            for docnum in r_ours.all_doc_ids():
                assert r_ours.doc_field_length(docnum, fieldname) == r_theirs.doc_field_length(
                    docnum, fieldname
                )
        assert [dict(f) for f in r_ours.all_stored_fields()] == [
            dict(f) for f in r_theirs.all_stored_fields()
        ]
    return inlined, multi_block


@pytest.mark.parametrize(
    "batches, optimize",
    [([300], False), ([40, 40, 40, 40, 40, 40, 40, 20], False), ([150, 7, 93], True)],
    ids=["one segment", "merged as they come", "optimized"],
)
def test_the_same_postings_as_whooshs_writer(tmp_path, batches, optimize):
    docs = paragraph_docs(sum(batches))
    ours = write_index(tmp_path / "ours", KhlangCodec(), docs, batches, optimize)
    theirs = write_index(tmp_path / "theirs", W3Codec(compression=0), docs, batches, optimize)
    inlined, multi_block = assert_same_postings(ours, theirs)
    assert inlined  # rare terms are kept in their term entries
    if batches == [300]:
        assert multi_block  # 'ฉบับที่' is in all 300: three blocks of postings


def commit_small_batches(path, docs: list[dict], mergetype) -> tuple:
    """Commits of 10 documents, each replacing two documents of the batch before (so that
    merged segments hold deleted documents); returns the index and the merges made."""
    path.mkdir()
    ix = FileStorage(str(path), supports_mmap=False).create_index(build_schema())
    merges = 0
    for start in range(0, len(docs), 10):
        writer = ix.writer(codec=KhlangCodec())
        batch = docs[start : start + 10]
        if start:
            batch += [{**d, "text": d["text"] + " แก้ไข"} for d in docs[start - 10 : start - 8]]
        for doc in batch:
            fields, _side = index_forms(doc)
            writer.update_document(**fields)
        before = len(ix._segments())
        writer.commit(mergetype=mergetype)
        merges += len(ix._segments()) < before + 1
    return ix, merges


def test_merging_reads_the_same_postings_as_whooshs_merge(tmp_path):
    docs = paragraph_docs(200)
    ours, merges = commit_small_batches(tmp_path / "ours", docs, merge_small)
    theirs, their_merges = commit_small_batches(tmp_path / "theirs", docs, MERGE_SMALL)
    assert merges == their_merges and merges >= 2
    with ours.searcher() as searcher:
        assert searcher.doc_count() == 200  # the replaced versions are gone
    assert_same_postings(ours, theirs)


def test_rare_terms_are_inlined_and_common_ones_written_as_blocks(tmp_path):
    docs = paragraph_docs(30)
    ix = write_index(tmp_path / "ours", KhlangCodec(), docs, [30], optimize=False)
    with ix.reader() as reader:
        [(segment, _base)] = reader.leaf_readers()
        for text in segment.lexicon("text"):
            info = segment.term_info("text", text)
            assert info.is_inlined() == (info.doc_frequency() < INLINE_LIMIT), text


def test_segments_name_whooshs_own_codec(tmp_path):
    """The table of contents pickles each segment's codec by class name: the index must
    not depend on Khlang's class, so that it opens whatever becomes of it."""
    write_index(tmp_path / "ours", KhlangCodec(), paragraph_docs(30), [10, 10, 10], False)
    reopened = FileStorage(str(tmp_path / "ours"), supports_mmap=False).open_index()
    assert [type(segment.codec()) for segment in reopened._segments()] == [W3Codec] * 3


def test_term_vectors_are_written_as_whooshs_writer_does(tmp_path):
    """Vectors (byte ids) are never inlined: their readers need a postings extent."""
    schema = fields.Schema(body=fields.TEXT(vector=True, stored=True))
    texts = [p["text"] for p in paragraph_docs(12)] + ["ข้าว ข่าว ขาว"]  # a vector of 3 terms
    vectors = []
    for name, codec in (("ours", KhlangCodec()), ("theirs", W3Codec(compression=0))):
        (tmp_path / name).mkdir()
        ix = FileStorage(str(tmp_path / name)).create_index(schema)
        writer = ix.writer(codec=codec)
        for text in texts:
            writer.add_document(body=text)
        writer.commit()
        with ix.reader() as reader:
            vectors.append(
                [list(reader.vector_as("frequency", d, "body")) for d in range(len(texts))]
            )
    assert vectors[0] == vectors[1] and vectors[0][0]
