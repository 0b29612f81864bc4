"""Tone marks put right after OCR (indexer/thai/ocr_words.py): the misreadings are Tesseract's
own on the scan bench's letters (bench/ocr_word_misses.py), the clean texts are the shared
seed letters and laws, which the correction must leave as they are."""

from __future__ import annotations

import pytest

from indexer.thai.ocr_words import correct_ocr_text, correct_tone_marks
from indexer.thai.repair import repair_thai
from tests.shared_paths import GOV_TEXTS, SEEDS


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        # a lost mark above an upper vowel, the commonest loss (Garuda and TlwgTypist letters)
        ("ให้เจ้าหน้าทีโครงการพัฒนาระบบ", "ให้เจ้าหน้าที่โครงการพัฒนาระบบ"),
        ("สำนักงานจังหวัดในพืนที)", "สำนักงานจังหวัดในพื้นที่)"),
        ("ทรัพยากรทีเกิดจากโครงการ", "ทรัพยากรที่เกิดจากโครงการ"),
        ("บล/องค์กรปกครองส่วนท้องถิน", "บล/องค์กรปกครองส่วนท้องถิ่น"),
        ("ที ลป ๐๔๓๕.๑/๑๘๖๒๘", "ที่ ลป ๐๔๓๕.๑/๑๘๖๒๘"),
        ("ในกรณีที", "ในกรณีที่"),
        ("สถานทีติดต่อ", "สถานที่ติดต่อ"),
        # a lost mark after a consonant or a lower vowel (TlwgTypist, Garuda)
        ("ทัวไป", "ทั่วไป"),
        ("อยาง", "อย่าง"),
        ("กลุม", "กลุ่ม"),
        ("ถัวเหลือง", "ถั่วเหลือง"),
        ("ชีแจง", "ชี้แจง"),
    ],
)
def test_lost_tone_marks_come_back(read, meant):
    assert correct_tone_marks(read) == meant


@pytest.mark.parametrize(
    "right",
    # words that one mark more or less would turn into commoner ones
    ["ยังไม่ได้", "นั่นคือ", "ต้นไม้", "ทีม", "ทีเดียว", "ชี", "ถูกรวมหรือ", "จะให้มี"],
)
def test_right_words_stay(right):
    assert correct_tone_marks(right) == right


def test_names_and_abbreviations_stay():
    # a name the dictionary lacks is not made into one; an abbreviation's letters are no word
    assert correct_tone_marks("(นายวรันธุ์ ติปรัชญา)") == "(นายวรันธุ์ ติปรัชญา)"
    assert correct_tone_marks("บ.ก. และ อปท.") == "บ.ก. และ อปท."
    # a word cut at a paragraph's end in the source ("ครัวเรือนต่") is not made a consonant
    assert correct_tone_marks("รายได้เฉลี่ยของคนในครัวเรือนต่\n") == "รายได้เฉลี่ยของคนในครัวเรือนต่\n"


def test_a_word_wrapped_over_a_line_end_is_read_whole_and_its_lines_kept():
    assert correct_tone_marks("เจ้าหน้าที\nโครงการ") == "เจ้าหน้าที่\nโครงการ"
    assert correct_tone_marks("พืน\nที ภายใน") == "พื้น\nที่ ภายใน"
    assert correct_tone_marks("ที่หน่\nวยงาน") == "ที่หน่\nวยงาน"


def test_ocr_text_is_repaired_before_its_words_are_read():
    # Tesseract's sara am as nikhahit + sara aa, and a space inside a word (Garuda letter)
    read = "ประจําปี ในกิจกรรมที่หน่ว ยงานรับผิดชอบ\nทีเกิดจากการดําเนินงาน"
    fixed = correct_ocr_text(read)
    assert fixed == "ประจำปี ในกิจกรรมที่หน่วยงานรับผิดชอบ\nที่เกิดจากการดำเนินงาน"
    assert fixed.count("\n") == read.count("\n")


def test_doubled_sara_a_is_one():
    # Kinnari letters: "ระบบ" read as "ระ ะบบ", "คณะทำงาน" as "คณะะทำงาน"
    assert repair_thai("เข้าสู่ระ ะบบสารสนเทศ").text == "เข้าสู่ระบบสารสนเทศ"
    assert repair_thai("ประชุมคณะะทำงาน").text == "ประชุมคณะทำงาน"


@pytest.mark.parametrize(
    "path",
    sorted(SEEDS.glob("00[0-3]_*.txt")) + sorted(GOV_TEXTS.glob("law_0[1-4]_*.txt")),
    ids=lambda p: p.name[:12],
)
def test_clean_texts_are_left_as_they_are(path):
    text = path.read_text(encoding="utf-8")[:8000]
    assert correct_tone_marks(text) == text


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        # names pythainlp's list lacks, known from the gazetteer and the domain words
        ("ที่ว่าการอำเภอกระทุมแบน", "ที่ว่าการอำเภอกระทุ่มแบน"),
        ("สำนักงานอำเภอแมสอด", "สำนักงานอำเภอแม่สอด"),
        ("โครงการกลุมจังหวัด", "โครงการกลุ่มจังหวัด"),
    ],
)
def test_place_names_and_domain_words_get_their_lost_mark_back(read, meant):
    assert correct_tone_marks(read) == meant


def test_the_lexicon_gives_each_entry_its_thai_words():
    """The search dictionary folds the same entries its own way; both count the same words."""
    from indexer.search.dictionary import word_list
    from indexer.thai.lexicon import entry_words, known_words

    assert entry_words("ผอ.รพ.สต.") == ["ผอรพสต"]
    assert entry_words("กลุ่มจังหวัดภาคเหนือตอนบน 1") == ["กลุ่มจังหวัดภาคเหนือตอนบน"]
    assert {"กระทุ่มแบน", "กลุ่มจังหวัด"} <= known_words()
    assert set(word_list()[2]) == known_words()
