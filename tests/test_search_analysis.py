"""The search analyzer on real text from the seeds: normalisation, offsets, TCC alignment."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from whoosh import fields

from indexer.search import analysis as A
from indexer.search.dictionary import load, word_list

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def seed_texts() -> list[str]:
    if not SEEDS:
        pytest.skip("../shared/seeds not present")
    return [p.read_text(encoding="utf-8") for p in SEEDS]


def wt(text: str) -> list[str]:
    return [p.text for p in A.words(text)]


def st(text: str) -> list[str]:
    return [p.text for p in A.syllables(text)]


def test_thai_digits_fold_to_arabic_one_for_one():
    assert A.normalize("ประจำปีงบประมาณ ๒๕๖๒") == "ประจำปีงบประมาณ 2562"
    assert wt("ที่ ขร ๐๐๑๙.๑/ ๑๙๕๕๕") == wt("ที่ ขร 0019.1/ 19555")
    assert "2562" in wt("พ.ศ. ๒๕๖๒")


def test_dotted_abbreviations_fold():
    assert "พศ" in wt("ประจำปีงบประมาณ พ.ศ. ๒๕๖๒")
    assert "พศ" in wt("พ.ศ.๒๕๖๒") and "2562" in wt("พ.ศ.๒๕๖๒")
    assert "จปฐ" in wt("ข้อมูลความจำเป็นพื้นฐาน (จปฐ.)")
    assert wt("จปฐ.") == wt("จปฐ") == ["จปฐ"]
    assert wt("U.S.A.") == ["usa"]
    # a long word before a full stop is not an abbreviation: the dot is only a separator
    assert wt("แผนงาน.") == ["แผนงาน"]


def test_latin_lowercased_and_programme_names_whole():
    assert wt("DSSS OSM PADME Cluster") == ["dsss", "osm", "padme", "cluster"]


def test_tone_marks_are_never_stripped():
    assert wt("ข้าว ข่าว ขาว") == ["ข้าว", "ข่าว", "ขาว"]
    assert st("ข้าว ข่าว ขาว") == ["ข้า", "ว", "ข่า", "ว", "ขา", "ว"]


def test_mai_yamok_and_paiyannoi_separate():
    assert wt("ต่างๆ") == wt("ต่าง ๆ") == ["ต่าง"]
    assert wt("แผนการปฏิบัติงานฯ") == wt("แผนการปฏิบัติงาน")


def test_decomposed_sara_am_and_thousands_separators():
    assert A.normalize("นํ้า") == "น้ำ"
    assert wt("กํากับ") == wt("กำกับ")
    assert wt("๑,๒๓๔,๕๖๗ บาท")[0] == "1234567"


def test_domain_dictionary_keeps_cluster_and_programme_words():
    assert wt("กลุ่มจังหวัดภาคเหนือตอนบน ๑") == ["กลุ่มจังหวัดภาคเหนือตอนบน", "1"]
    version, source, words = word_list()
    assert source == "gazetteer"
    assert {"จปฐ", "เชียงใหม่", "ปีงบประมาณ", "กลุ่มจังหวัดภาคเหนือตอนบน"} <= set(words)
    assert load().version == version


def test_compounds_segment_as_issue_says():
    # why the syllable field exists: these hide แนวทาง, เหนือ, งบประมาณ, จังหวัด
    assert wt("แนวทางการจัดเก็บ") == ["แนว", "ทางการ", "จัดเก็บ"]
    assert "เหนือ" not in wt("ภาคเหนือ")
    assert "งบประมาณ" not in wt("ปีงบประมาณ")


def test_offsets_point_into_the_original(seed_texts):
    for text in seed_texts:
        for stream in (A.words(text), A.syllables(text)):
            prev_end = 0
            for p in stream:
                assert 0 <= p.start < p.end <= len(text)
                assert p.start >= prev_end - 1
                prev_end = p.end
                raw = A.normalize(text[p.start : p.end]).replace(" ", "")
                assert raw == p.text, (text[p.start : p.end], p.text)


def test_positions_and_chars_from_whoosh_tokenizer(seed_texts):
    text = seed_texts[0][:2000]
    toks = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in A.ThaiWordTokenizer()(text, positions=True, chars=True)
    ]
    assert [t[1] for t in toks] == list(range(len(toks)))
    # the fast path (no chars) yields the same texts
    assert [t.text for t in A.ThaiWordTokenizer()(text, positions=True)] == [t[0] for t in toks]
    for word, _pos, s, e in toks:
        assert A.normalize(text[s:e]).replace(" ", "") == word


def test_tcc_matches_pythainlp(seed_texts):
    from pythainlp.tokenize import tcc as ref

    for text in seed_texts:
        for run in re.findall(f"[{A.THAI_LETTER}]+", A.normalize(text)):
            assert A.tcc(run) == ref.segment(run)


def test_syllable_boundaries_are_tcc_boundaries(seed_texts):
    """The claim the never-miss design rests on, checked with pythainlp's dictionary
    syllable segmenter: every syllable boundary inside a Thai run is a TCC boundary."""
    from pythainlp.tokenize import subword_tokenize

    checked = 0
    for text in seed_texts:
        for run in re.findall(f"[{A.THAI_LETTER}]+", A.normalize(text))[:300]:
            tcc_b = {0}
            p = 0
            for u in A.tcc(run):
                p += len(u)
                tcc_b.add(p)
            p = 0
            for syl in subword_tokenize(run, engine="dict"):
                p += len(syl)
                assert p in tcc_b, (run, syl)
                checked += 1
    assert checked > 1000


def test_query_substring_gets_the_same_clusters(seed_texts):
    """A TCC-aligned substring of a document run is cut into the clusters the run has there."""
    import random

    rng = random.Random(4)
    for text in seed_texts:
        runs = [r for r in re.findall(f"[{A.THAI_LETTER}]+", A.normalize(text)) if len(r) > 6]
        for run in rng.sample(runs, min(80, len(runs))):
            units = A.tcc(run)
            for _ in range(5):
                i = rng.randrange(len(units))
                j = rng.randrange(i + 1, len(units) + 1)
                assert A.tcc("".join(units[i:j])) == units[i:j]


def test_analyzers_pickle_small():
    for tok in (A.ThaiWordTokenizer(),):
        data = pickle.dumps(tok)
        assert len(data) < 400
        assert pickle.loads(data) == tok
    schema = fields.Schema(t=fields.TEXT(analyzer=A.ThaiWordTokenizer(), phrase=True))
    assert len(pickle.dumps(schema)) < 4000


def test_sidecar_encoding_matches_exactly_the_aligned_substrings(seed_texts):
    """The sidecar's encoded text contains the encoding of a substring of a Thai run exactly
    when the substring starts and ends on TCC boundaries (checked both ways on the seeds)."""
    import random

    rng = random.Random(9)
    aligned = unaligned = 0
    for text in seed_texts:
        runs = [r for r in re.findall(f"[{A.THAI_LETTER}]+", A.normalize(text)) if len(r) > 6]
        for run in rng.sample(runs, min(60, len(runs))):
            enc = A.encode_units(run)
            assert len(enc) == len(run)
            bounds = {0}
            for u in A.tcc(run):
                bounds.add(max(bounds) + len(u))
            for _ in range(6):
                i = rng.randrange(len(run))
                j = rng.randrange(i + 1, len(run) + 1)
                found = A.encode_units(run[i:j]) in enc
                if i in bounds and j in bounds:
                    assert found, (run, run[i:j])
                    aligned += 1
                elif not found:
                    unaligned += 1
    assert aligned > 100 and unaligned > 100
    # short grams: every aligned one- or two-character piece, nothing else
    enc = A.encode_units("ภูเขาวง")  # ภู|เขา|ว|ง
    grams = set(A.short_grams(enc))
    assert A.encode_units("ภู") in grams and A.encode_units("วง") in grams
    assert A.encode_units("ว") in grams and A.encode_units("ขา") not in grams
    assert A.encode_units(A.normalize("PADME")) == A.RUN_OPEN + "padme" + A.RUN_CLOSE
