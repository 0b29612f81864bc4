"""Thai repair: each step on real snippets from the shared documents, word recall on
the seed PDFs, cleanliness on real government PDFs, identity on clean text."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest

from indexer.extract import extract
from indexer.thai import repair as r
from tests.shared_paths import GOV_PDF, GOV_TEXTS, SEED_FIXTURES, SEEDS

# --- one test per step, snippets copied from real extractions -----------------


def test_sara_am_doubled_from_libreoffice_pdf():
    # pypdf on fixtures/seeds/000_*.pdf: "ดำาเนิน", "ประจำาปี"
    assert r.fix_sara_am_doubled("ที่เกิดจากการดำาเนินโครงการ") == "ที่เกิดจากการดำเนินโครงการ"
    assert r.fix_sara_am_doubled("ประจำาปีงบประมาณ") == "ประจำปีงบประมาณ"


def test_sara_am_decomposed_from_word_pdf():
    # gov-pdf/ratchakitcha_2558_ncpo_order_34.pdf: "คําสั่ง", "การอํานวยความสะดวก"
    assert r.fix_sara_am_decomposed("คําสั่งหัวหน้าคณะรักษาความสงบแห่งชาติ") == (
        "คำสั่งหัวหน้าคณะรักษาความสงบแห่งชาติ"
    )
    assert r.fix_sara_am_decomposed("การอํานวยความสะดวก") == "การอำนวยความสะดวก"
    # tone mark between nikhahit and sara aa (HarfBuzz/Uniscribe order): นํ้า -> น้ำ
    assert r.fix_sara_am_decomposed("น\u0e4d\u0e49\u0e32") == "น้ำ"


def test_replacement_char_sara_am_from_budget_bureau_pdf():
    # gov-pdf/budget_bureau_fy2565_doc3_vol17.pdf: "ส�านักงบประมาณ", "ประจ�าปี"
    assert r.fix_replacement_char_sara_am("ส\ufffdานักงบประมาณ") == "สำนักงบประมาณ"
    assert r.fix_replacement_char_sara_am("ประจ\ufffdาปี") == "ประจำปี"
    # other U+FFFD ("ผลสัมฤทธิ�") are not sara am; they are dropped by the next step
    assert r.fix_replacement_char_sara_am("ผลสัมฤทธิ\ufffd") == "ผลสัมฤทธิ\ufffd"
    assert r.drop_replacement_chars("ผลสัมฤทธิ\ufffd") == "ผลสัมฤทธิ"


def test_pua_glyphs_map_to_the_thai_they_draw():
    # Windows PUA (TH SarabunPSK, Angsana): low mai ek, left-shifted mai tho, yo ying without tail
    assert r.fix_pua_glyphs("ไม\uf70aสูญหาย") == "ไม่สูญหาย"
    assert r.fix_pua_glyphs("ป\uf714") == "ป้"
    assert r.fix_pua_glyphs("ปั\uf70fหา") == "ปัญหา"
    # Mac PUA range, same glyph roles
    assert r.fix_pua_glyphs("ไม\uf88bสูญหาย") == "ไม่สูญหาย"
    assert r.fix_pua_glyphs("ฐ") == "ฐ"
    assert not re.search(
        "[\uf700-\uf71a\uf884-\uf89e]", r.fix_pua_glyphs("".join(map(chr, r.PUA_TO_THAI)))
    )


def test_legacy_latin_marks_from_budget_bureau_pdf():
    # "ฉบับทีÉ 12", "รวมทัÊงสิÊน", "ผลสัมฤทธิÍ"
    assert r.fix_legacy_latin_marks("ฉบับทีÉ 12") == "ฉบับที่ 12"
    assert r.fix_legacy_latin_marks("รวมทัÊงสิÊน") == "รวมทั้งสิ้น"
    assert r.fix_legacy_latin_marks("ผลสัมฤทธิÍ") == "ผลสัมฤทธิ์"
    assert r.fix_legacy_latin_marks("Émile Zola") == "Émile Zola"


def test_space_before_mark_from_budget_bureau_pdf():
    # "หน่วย : ล ้านบาท", "มีความรู ้ความเข้าใจ", "ผู ้ประกอบธุรกิจ"
    assert r.fix_space_before_mark("หน่วย : ล ้านบาท") == "หน่วย : ล้านบาท"
    assert r.fix_space_before_mark("ผู ้ประกอบธุรกิจ") == "ผู้ประกอบธุรกิจ"
    assert r.fix_space_before_mark("ค่า ๑ ๒") == "ค่า ๑ ๒"


def test_mark_order_tone_after_vowel():
    # LibreOffice glyph order "คุ้ม" for คุ้ม (fixtures/seeds/000), tone before sara am
    assert r.fix_mark_order("ความค\u0e49\u0e38มค่า") == "ความคุ้มค่า"
    assert r.fix_mark_order("น\u0e33\u0e49") == "น้ำ"
    assert r.fix_mark_order("คุ้มค่า") == "คุ้มค่า"


def test_normalize_keeps_layout_and_fixes_doubles():
    # "จำำแนกตามประเภทงบประมาณ" (Budget Bureau PDF, ActualText + glyph)
    assert r.normalize_thai("จำำแนก\n\n  ตาม") == "จำแนก\n\n  ตาม"
    assert r.normalize_thai("เเผนงาน") == "แผนงาน"
    assert r.normalize_thai("ที่\u200bนี่") == "ที่นี่"


def test_line_join_only_inside_words():
    # fixtures/seeds/001 wraps "เจ้า|หน้าที่" and "ได้รับ|มอบหมาย" across lines
    assert r.join_wrapped_lines("ผอ.กลุ่มงานยุทธศาสตร์และข้อมูลฯ เจ้า\nหน้าที่กลุ่มงาน") == (
        "ผอ.กลุ่มงานยุทธศาสตร์และข้อมูลฯ เจ้าหน้าที่กลุ่มงาน"
    )
    # a break between words stays
    text = "ศาลากลางจังหวัดฉะเชิงเทรา\nถนนเรืองวุฒิ"
    assert r.join_wrapped_lines(text) == text


def test_space_after_slash_between_thai_words():
    # justified PDF lines stretch the gap in 'A/B' lists (seeds 003 and 004)
    assert r.fix_space_after_slash("กิจกรรม/   โครงการ ระดับอำเภอ/  ตำบล") == (
        "กิจกรรม/โครงการ ระดับอำเภอ/ตำบล"
    )
    # a letter number's slash is not between Thai words
    assert r.fix_space_after_slash("ที่ ขร ๐๐๑๙.๑/ ๑๙๕๕๕") == "ที่ ขร ๐๐๑๙.๑/ ๑๙๕๕๕"


def test_intra_word_space():
    assert r.fix_intra_word_space("หน่ วยงานอื่นของรัฐ") == "หน่วยงานอื่นของรัฐ"
    # deliberate spaces between words and before abbreviations stay
    for text in ("ประจำปีงบประมาณ พ.ศ. ๒๕๖๗", "สำนักงาน ก.พ.ร. ได้กำหนด", "และอื่น ๆ", "ไม่ สูญหาย"):
        assert r.fix_intra_word_space(text) == text


def test_repair_reports_steps_that_changed_something():
    result = r.repair_thai("การดำาเนินงาน คําสั่ง")
    assert result.text == "การดำเนินงาน คำสั่ง"
    assert result.repairs == ("sara-am-doubled", "sara-am-decomposed")
    assert r.repair_thai("ข้อความปกติ").repairs == ()


# --- identity on clean text ------------------------------------------------------


CLEAN = sorted(SEEDS.glob("*.txt")) + sorted(GOV_TEXTS.glob("law_*.txt"))


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_repair_is_identity_on_clean_text(path):
    text = path.read_text(encoding="utf-8")
    result = r.repair_thai(text)
    assert result.repairs == (), result.repairs
    assert result.text == text


def test_quality_separates_clean_from_garbled():
    clean = (SEEDS / "001_ea139409875e9751.txt").read_text(encoding="utf-8")
    assert r.thai_text_quality(clean) > 0.95
    # the Budget Bureau TOC through a font whose ToUnicode maps glyphs to wrong letters
    garbled = (
        "หน้่วยงาน้อื่่�น้ขอื่งรัฐ 1 ถึึง 74 งบประมาณรายจ่่ายประจ่ำาปีงบประมาณ ของหน่่วยงาน่อ่�น่ของรัฐ "
        "ความเชื่่�อมโยงยุทธศาสตร์ชื่าติ แผน่แม่บทภายใต้ยุทธศาสตร์ชื่าติ แผน่พัฒน่าเศรษฐกิิจ่และสังคมแห่งชื่าติ "
        "ยุทธศาสตร์กิารจ่ัดสรรงบประมาณและแผน่งาน่ปีงบประมาณ รายกิารผูกิพัน่ข้ามปีงบประมาณใน่ปีงบประมาณ"
    )
    assert r.thai_text_quality(garbled) < 0.8


# --- word recall on the seed PDFs ---------------------------------------------------

_THAI_TOKEN = re.compile("^[\u0e00-\u0e7f]+$")


def thai_word_multiset(text: str) -> Counter:
    """Multiset of newmm tokens made only of Thai characters (whitespace dropped)."""
    from pythainlp.tokenize import word_tokenize

    tokens = word_tokenize(text, engine="newmm", keep_whitespace=False)
    return Counter(t for t in tokens if _THAI_TOKEN.match(t))


def word_recall(source: str, extracted: str) -> tuple[int, int]:
    """(found, total): each Thai word token of the source counts as found if the
    extraction has it too, up to the number of times the extraction has it."""
    want, have = thai_word_multiset(source), thai_word_multiset(extracted)
    return sum(min(n, have[w]) for w, n in want.items()), sum(want.values())


@cache
def _extracted(pdf_name: str) -> str:
    return extract(SEED_FIXTURES / pdf_name, "application/pdf", ocr=False).text


def test_word_recall_on_seed_pdfs_is_at_least_99_5_percent():
    found = total = 0
    for pdf in sorted(SEED_FIXTURES.glob("*.pdf")):
        source = (SEEDS / f"{pdf.stem}.txt").read_text(encoding="utf-8")
        f, t = word_recall(source, _extracted(pdf.name))
        print(f"{pdf.name}: {f}/{t} = {f / t:.4f}")
        found, total = found + f, total + t
    recall = found / total
    print(f"word recall over the five seed PDFs: {found}/{total} = {recall:.4f}")
    assert recall >= 0.995


def test_seed_pdf_text_has_no_sara_am_faults():
    for pdf in sorted(SEED_FIXTURES.glob("*.pdf")):
        text = _extracted(pdf.name)
        assert "ำา" not in text and "\u0e4d\u0e32" not in text, pdf.name
        assert "ไม่" in text, pdf.name


# --- real government PDFs -------------------------------------------------------------

_PUA = re.compile("[\uf700-\uf71a\uf884-\uf89e]")
_SPACE_BEFORE_MARK = re.compile(f"\\s[{r.COMBINING_MARKS}]")


@pytest.mark.parametrize("path", sorted(GOV_PDF.glob("*.pdf")), ids=lambda p: p.name)
def test_gov_pdf_text_is_clean(path):
    result = extract(path, "application/pdf", ocr=False)
    text = result.text
    assert len(text) > 1000
    assert not _PUA.search(text)
    assert "\ufffd" not in text
    assert "\u0e4d\u0e32" not in text
    assert not _SPACE_BEFORE_MARK.search(text), _SPACE_BEFORE_MARK.search(text)
    assert r.thai_text_quality(text) > 0.9


def test_spaces_after_actual_text_spans_survive():
    """LibreOffice wraps some marks in /ActualText spans; the glyphs read in their place
    must advance as far as the originals, or the gap after them (between a given name and
    a surname, or two words) is lost."""
    assert "(  นายวรันธุ์ ติประเสริฐสิน)" in _extracted("004_b16aa6efba4dfd19.pdf")
    text_000 = _extracted("000_b5296e7a1e0e78d3.pdf")
    assert "ประจำอยู่ ณ สำนักงานจังหวัด" in text_000
    assert "ศาลากลางจังหวัดเชียงใหม่ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่" in text_000
