import datetime as dt
import json
import re
from pathlib import Path

import pytest

from indexer.understand import KINDS, understand
from indexer.understand.evaluate import confusion, pdf_text
from schemas.labels import KIND_TH as KIND_LABELS_TH

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
SEED_PDFS = SHARED / "fixtures" / "seeds"
GOV_PDF = SHARED / "corpus" / "gov-pdf"


def seed_path(prefix: str, folder: Path = SEEDS, ext: str = "txt") -> Path:
    matches = sorted(folder.glob(f"{prefix}_*.{ext}"))
    if not matches:
        pytest.skip(f"{prefix}_*.{ext} not found under {folder}")
    return matches[0]


def seed(prefix: str) -> str:
    return seed_path(prefix).read_text(encoding="utf-8")


def repaired_pdf(prefix: str) -> str:
    return pdf_text(seed_path(prefix, SEED_PDFS, "pdf"))


def squash(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


# --- expected values, written by reading the seed texts --------------------------------

SUBJECT_003 = (
    "การปรับแผนการปฏิบัติงานและแผนการใช้จ่ายงบประมาณ ประจำปีงบประมาณ พ.ศ. ๒๕๖๗ "
    "โครงการการบริหารการจัดเก็บและใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.) "
    "กิจกรรมตรวจสอบและรับรองคุณภาพการจัดเก็บข้อมูลความจำเป็นพื้นฐาน (จปฐ.)"
)
SUBJECT_004 = (
    "โครงการเปิดคู่มือการดำเนินการบริหารจัดการจัดเก็บและใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.) "
    "“CHACHOENSAO SMART PRACTICE FOR SMART BMN”"
)
ENCLOSURES_003 = [
    "ทะเบียนการจัดสรรงบประมาณกิจกรรมตามแผนการปฏิบัติงานฯ จำนวน ๑ ฉบับ",
    "แนวทางการดำเนินกิจกรรมตามแผนการปฏิบัติงานฯ จำนวน ๑ ชุด",
]
# Issue 7's done-when fields, written by reading the seed texts: the same from the text
# and from the PDF. Thai breaks lines between words without a space, so a wrapped
# sentence joins without one ('ในระบบ' + 'รายงานที่…').
FIELDS_003 = {
    "number": "ขร ๐๐๑๙.๑/ ๑๙๕๕๕",
    "number_normalized": "ขร 0019.1/19555",
    "date": "2024-06-19",
    "subject": SUBJECT_003,
    "addressee": "นายอำเภอทุกอำเภอ",
    "references": [
        {
            "raw": "หนังสือจังหวัดเชียงราย ด่วนที่สุด ที่ ขร ๐๐๑๙.๑/ว ๑๒๑๖๙ ลงวันที่ ๒๑ พฤษภาคม ๒๕๖๗",
            "number": "ขร 0019.1/ว12169",
            "date": "2024-05-21",
        }
    ],
    "enclosures": ENCLOSURES_003,
    "signatory": "นางอำไพ บัวระดก",
}
# 'ภายใน ๗ วัน หลังดำเนินการแล้วเสร็จ': counted from completion, so no date
DEADLINES_003 = [
    {
        "date": None,
        "sentence": "๒. เมื่อดำเนินกิจกรรม/โครงการแล้วเสร็จ ให้รายงานผลการดำเนินงานในระบบ (BPM) "
        "และในระบบรายงานที่กรมการพัฒนาชุมชนกำหนด ภายใน ๗ วัน หลังดำเนินการแล้วเสร็จ",
        "days": 7,
        "working_days": False,
        "relative_to": "หลังดำเนินการแล้วเสร็จ",
    }
]
FIELDS_004 = {
    "number": "ฌข ๐๐๑๙/ว ๒๐๒๕",
    "number_normalized": "ฌข 0019/ว2025",
    "date": "2023-03-27",
    "subject": SUBJECT_004,
    "addressee": "นายอำเภอ ทุกอำเภอ",
    "references": [],
    "enclosures": ["แนวทางการดำเนินงาน จำนวน ๑ ชุด"],
    "signatory": "นายวรันธุ์ ติประเสริฐสิน",
}
# the whole numbered item that sets it; stated again in the attachment, kept once
DEADLINES_004 = [
    {
        "date": "2023-06-30",
        "sentence": "๒. จัดทำเอกสารประกอบการพิจารณาผลการดำเนินงานประเภทหน่วยงานสนับสนุนการบริหาร"
        "การจัดเก็บข้อมูลและการนำข้อมูลไปใช้ประโยชน์ดีเด่น (สำนักงานพัฒนาชุมชนอำเภอ) "
        "องค์กรปกครองส่วนท้องถิ่นด้านการสนับสนุนการบริหารการจัดเก็บข้อมูลและการนำข้อมูลไปใช้"
        "ประโยชน์ดีเด่น บุคคลต้นแบบการสนับสนุนการบริหารการจัดเก็บข้อมูลดีเด่น (เจ้าหน้าที่พัฒนา"
        "ชุมชน) และอาสาสมัครผู้จัดเก็บข้อมูล จปฐ. ดีเด่น ตามแนวทางที่กำหนด "
        "ส่งให้จังหวัดภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖",
    }
]


def assert_letter_fields(u, fields: dict, deadlines: list[dict]) -> None:
    letter = u.metadata["letter"]
    assert {name: letter[name] for name in fields} == fields
    assert u.metadata["deadlines"] == deadlines


def test_seed_003_letter_fields():
    u = understand(seed("003"), "003_d2773d3a604759fe.txt")
    assert u.kind == "letter"
    assert u.document_date == dt.date(2024, 6, 19)
    assert u.fiscal_year == 2567
    assert u.title == SUBJECT_003
    assert_letter_fields(u, FIELDS_003, DEADLINES_003)
    letter = u.metadata["letter"]
    assert letter["number_thai"] == "ขร ๐๐๑๙.๑/๑๙๕๕๕"
    assert letter["circular"] is False
    assert letter["number_province"] == "เชียงราย"
    assert letter["office"] == "ศาลากลางจังหวัดเชียงราย"
    assert letter["address"] == "ถนนแม่ฟ้าหลวง ขร ๕๗๑๐๐"
    assert letter["date_raw"] == "๑๙ มิถุนายน ๒๕๖๗"
    assert letter["urgency"] == "ด่วนที่สุด"
    assert letter["position"] == "พัฒนาการจังหวัด"
    assert letter["acting_for"] == "ผู้ว่าราชการจังหวัดเชียงราย"
    assert letter["contact"] == {
        "unit": "สำนักงานพัฒนาชุมชนจังหวัด กลุ่มงานยุทธศาสตร์การพัฒนาชุมชน",
        "phone": "053177350",
    }
    md = u.metadata
    assert md["dates"] == ["2024-06-19", "2024-05-21"]
    # 'พื้นที่ดำเนินการ ทุกจังหวัด (ยกเว้น กรุงเทพมหานคร)': an excluded place is not named
    assert md["provinces"] == ["เชียงราย"]
    assert {"district": "เวียงชัย", "province": "เชียงราย"} in md["districts"]
    assert md["projects"][0] == ("โครงการการบริหารการจัดเก็บและใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.)")
    assert "กิจกรรมการตรวจสอบและรับรองคุณภาพการจัดเก็บข้อมูลความจำเป็นพื้นฐาน (จปฐ.)" in (md["activities"])
    assert {"value": 3951000.0, "raw": "๓,๙๕๑,๐๐๐ บาท"} in md["amounts"]


def test_seed_004_circular_letter_fields():
    u = understand(seed("004"))
    assert u.kind == "letter"
    assert u.document_date == dt.date(2023, 3, 27)
    assert u.fiscal_year == 2566
    assert_letter_fields(u, FIELDS_004, DEADLINES_004)
    letter = u.metadata["letter"]
    assert letter["circular"] is True
    assert letter["number_province"] == "ฉะเชิงเทรา"  # ฌข is how this letter prints ฉช
    assert letter["office"] == "ศาลากลางจังหวัดฉะเชิงเทรา"
    assert letter["address"] == "ถนนเรืองวุฒิ ฌข ๒๕๐๐๐"
    assert letter["date_raw"] == "๒๗ มีนาคม ๒๕๖๖"
    assert letter["urgency"] is None
    assert letter["position"] == "พัฒนาการจังหวัด"
    assert letter["acting_for"] == "ผู้ว่าราชการจังหวัดฉะเชิงเทรา"
    assert letter["contact"] == {
        "unit": "สำนักงานพัฒนาชุมชนจังหวัด กลุ่มงานสารสนเทศการพัฒนาชุมชน",
        "phone": "038511239",
        "fax": "038814483",
    }
    assert u.metadata["projects"] == ["โครงการเปิดคู่มือการดำเนินการบริหารจัดการจัดเก็บและ"
                                      "ใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.) "
                                      "“CHACHOENSAO SMART PRACTICE FOR SMART BMN”"]  # fmt: skip


def test_seed_002_is_meeting_minutes():
    u = understand(seed("002"))
    assert u.kind == "minutes"
    assert "letter" not in u.metadata
    assert u.title == "ประชุมครั้งที่ ๑๒/๒๕๕๘ ประจำเดือนธันวาคม พ.ศ. ๒๕๕๘"
    assert u.document_date == dt.date(2016, 1, 2)  # the meeting date as written
    assert u.fiscal_year == 2559
    assert u.metadata["amounts"][0] == {"value": 205973814.96, "raw": "๒๐๕,๙๗๓,๘๑๔.๙๖ บาท"}
    # 'ร้อยละ ๙๙.๖๐ บาท' is a percentage, not money
    assert all(a["value"] != 99.6 for a in u.metadata["amounts"])
    assert u.metadata["provinces"] == ["เชียงใหม่", "ลำปาง", "ลำพูน", "แม่ฮ่องสอน"]


@pytest.mark.parametrize("prefix", ["000", "001"])
def test_seeds_000_001_are_guidelines(prefix):
    u = understand(seed(prefix))
    assert u.kind == "guideline"
    assert "letter" not in u.metadata
    assert u.title.startswith(("แนวทางการจัดเก็บทรัพยากร", "แนวปฏิบัติในการเผยแพร่ข้อมูล"))


def test_seed_000_fiscal_year_and_deadlines():
    u = understand(seed("000"))
    assert u.fiscal_year == 2562
    assert u.document_date is None  # undated; its deadlines are not its date
    assert [d["date"] for d in u.metadata["deadlines"]] == ["2019-10-31", "2019-11-06"]


def test_a_date_in_prose_dates_nothing():
    """Only the date line of a dated structure (letter, memo, minutes, announcement,
    order) is a document date: prose that opens with a date is not dated by it."""
    u = understand("เมื่อวันที่ ๕ มกราคม ๒๕๖๗ ฝนตกหนักในพื้นที่อำเภอแม่ริม\nถนนหลายสายถูกน้ำท่วม")
    assert u.kind == "other"
    assert u.document_date is None and u.fiscal_year is None
    assert u.metadata["dates"] == ["2024-01-05"]  # still found as a date in the text


def test_words_that_begin_with_a_label_are_not_the_label():
    """'เรียนรู้' (learn) is not 'เรียน' (to: the addressee line), 'เรื่องเล่า' (story) is not
    'เรื่อง' (subject): a training handout is not a letter and gets no letter fields."""
    handout = (
        "เอกสารประกอบการอบรม\n"
        "เรียนรู้การใช้งานระบบติดตามประเมินผลโครงการ (PADME)\n"
        "เรื่องเล่าจากผู้ใช้งาน\n"
        "เรื่อง การบันทึกข้อมูลโครงการ\n"
        "ผู้เข้าอบรมจะได้ฝึกบันทึกข้อมูลโครงการและกิจกรรมด้วยตนเอง"
    )
    u = understand(handout)
    assert u.kind == "other", u.kind_evidence
    assert "letter" not in u.metadata
    assert u.title == "เอกสารประกอบการอบรม"


def test_news_headlines_and_cited_meetings_are_not_structures():
    """A headline that opens with the verb ประกาศ has no issuer's subject line; a meeting
    cited by number in passing does not make a meeting report."""
    headline = understand(
        "ประกาศรับรองข้าวพื้นนุ่มพันธุ์ใหม่ กข87 หวังกระตุ้นการส่งออกข้าวไทย\n"
        "กระทรวงเกษตรฯ กรมการข้าว ประกาศรับรองข้าวพื้นนุ่มพันธุ์ใหม่ กข87"
    )
    assert headline.kind == "other", headline.kind_evidence
    cited = understand(
        "แผนเฉพาะกิจได้รับความเห็นชอบจากคณะกรรมการสิ่งแวดล้อมแห่งชาติ"
        "ในการประชุมครั้งที่ 7/2563 เมื่อวันที่ 4 พฤศจิกายน 2563"
    )
    assert cited.kind == "other", cited.kind_evidence
    announcement = understand(
        "ประกาศจังหวัดเชียงใหม่\nเรื่อง รับสมัครอาสาสมัครผู้จัดเก็บข้อมูล\n"
        "ด้วยจังหวัดเชียงใหม่จะรับสมัคร…\nประกาศ ณ วันที่ ๕ มกราคม พ.ศ. ๒๕๖๗"
    )
    assert announcement.kind == "announcement"
    assert announcement.document_date == dt.date(2024, 1, 5)


@pytest.mark.parametrize(
    "heading",
    [
        "รายงานสรุปผลการดำเนินงานโครงการพัฒนาการท่องเที่ยวเชิงสร้างสรรค์ล้านนา",
        "รายงานผลการดำเนินโครงการพัฒนาการท่องเที่ยวเชิงสร้างสรรค์ล้านนา",
    ],
)
def test_project_summary_reports_are_recognised_by_their_heading(heading):
    u = understand(
        f"กลุ่มจังหวัดภาคเหนือตอนบน ๑\n{heading}\n"
        "กิจกรรมที่ ๑ อบรมผู้ประกอบการ ประจำปีงบประมาณ พ.ศ. ๒๕๖๒\nบทสรุปผู้บริหาร"
    )
    assert u.kind == "summary_report", u.kind_evidence
    assert u.fiscal_year == 2562 and u.document_date is None


def test_no_letter_structure_gives_other_and_no_invented_fields():
    text = "วันนี้อากาศดี ฝนไม่ตก เด็ก ๆ ไปโรงเรียนตามปกติ\nแล้วกลับบ้านตอนเย็น"
    u = understand(text)
    assert u.kind == "other"
    assert "letter" not in u.metadata
    assert u.document_date is None and u.fiscal_year is None
    assert u.metadata["deadlines"] == [] and u.metadata["amounts"] == []
    assert understand("").kind == "other"


def test_metadata_is_json_and_labels_cover_kinds():
    u = understand(seed("003"))
    assert json.loads(json.dumps(u.metadata, ensure_ascii=False))["kind"] == "letter"
    assert set(KIND_LABELS_TH) == set(KINDS)
    assert u.kind_label_th == "หนังสือภายนอก"
    assert all(e.startswith("letter +") for e in u.kind_evidence)


def test_memo_structure():
    text = (
        "บันทึกข้อความ\n"
        "ส่วนราชการ สำนักงานจังหวัดเชียงใหม่ กลุ่มงานยุทธศาสตร์และข้อมูล โทร. ๐ ๕๓๑๑ ๒๓๔๕\n"
        "ที่ ชม ๐๐๑๗.๒/๑๒๓ วันที่ ๕ มกราคม ๒๕๖๗\n"
        "เรื่อง ขออนุมัติจัดประชุม\n"
        "เรียน ผู้ว่าราชการจังหวัดเชียงใหม่\n"
        "ด้วยกลุ่มงานยุทธศาสตร์ฯ มีความประสงค์จัดประชุม ภายในวันที่ ๓๑ มกราคม ๒๕๖๗\n"
        "จึงเรียนมาเพื่อโปรดพิจารณา\n"
    )
    u = understand(text)
    assert u.kind == "memo"
    letter = u.metadata["letter"]
    assert letter["number_normalized"] == "ชม 0017.2/123"
    assert letter["date"] == "2024-01-05"
    assert letter["office"].startswith("สำนักงานจังหวัดเชียงใหม่")
    assert letter["subject"] == "ขออนุมัติจัดประชุม"
    assert u.fiscal_year == 2567
    assert u.metadata["deadlines"][0]["date"] == "2024-01-31"


@pytest.mark.parametrize(
    "name, kind, pages",
    [
        ("ratchakitcha_2558_ncpo_announcement_cdc.pdf", "announcement", None),
        ("ratchakitcha_2558_ncpo_order_34.pdf", "order", None),
        ("budget_bureau_fy2565_doc3_vol17.pdf", "budget_table", 12),
    ],
)
def test_gov_pdf_kinds(name, kind, pages):
    path = GOV_PDF / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    u = understand(pdf_text(path, pages), name)
    assert u.kind == kind, u.kind_evidence
    assert "letter" not in u.metadata
    if kind != "budget_table":
        assert u.document_date == dt.date(2015, 10, 5)
    else:
        assert u.fiscal_year == 2565


def test_budget_document_fiscal_year_is_the_one_its_title_names():
    """The whole Budget Bureau FY2565 volume cites 2566 (next year's estimates) more often
    than 2565; its cover says 'ประจำปีงบประมาณ พ.ศ. ๒๕๖๕'."""
    path = GOV_PDF / "budget_bureau_fy2565_doc3_vol17.pdf"
    if not path.exists():
        pytest.skip(f"{path} not found")
    u = understand(pdf_text(path), path.name)
    assert u.kind == "budget_table"
    assert u.fiscal_year == 2565, u.metadata["fiscal_year_source"]
    assert "title" in u.metadata["fiscal_year_source"]


def test_order_title_and_announcement_title():
    order = understand(pdf_text(GOV_PDF / "ratchakitcha_2558_ncpo_order_34.pdf"))
    assert squash(order.title) == squash(
        "คำสั่งหัวหน้าคณะรักษาความสงบแห่งชาติ เรื่อง การอำนวยความสะดวกในการจัดทำร่างรัฐธรรมนูญ"
    )


# --- the same letters from their PDFs, text by pypdf + repair_thai ----------------------


def test_seed_003_from_repaired_pdf():
    u = understand(repaired_pdf("003"), "003.pdf")
    assert u.kind == "letter"
    assert u.document_date == dt.date(2024, 6, 19)
    assert u.fiscal_year == 2567
    assert_letter_fields(u, FIELDS_003, DEADLINES_003)
    letter = u.metadata["letter"]
    assert letter["urgency"] == "ด่วนที่สุด"
    assert letter["circular"] is False
    assert letter["contact"]["phone"] == "053177350"


def test_seed_004_from_repaired_pdf():
    u = understand(repaired_pdf("004"), "004.pdf")
    assert u.kind == "letter"
    assert u.document_date == dt.date(2023, 3, 27)
    assert_letter_fields(u, FIELDS_004, DEADLINES_004)
    letter = u.metadata["letter"]
    assert letter["circular"] is True
    assert letter["contact"]["phone"] == "038511239"


@pytest.mark.parametrize(
    "prefix, kind", [("000", "guideline"), ("001", "guideline"), ("002", "minutes")]
)
def test_other_seeds_from_repaired_pdf(prefix, kind):
    assert understand(repaired_pdf(prefix)).kind == kind


def test_confusion_matrix_format():
    table = confusion([("a", "letter", "letter"), ("b", "law", "other"), ("c", "other", "other")])
    assert "2/3 correct" in table
    assert table.splitlines()[0].split()[-1] == "other"


@pytest.mark.parametrize(
    ("first_line", "number"),
    [
        ("fi กค ๐๔๐๒.๒/ว ๕๔๔๗", "กค ๐๔๐๒.๒/ว ๕๔๔๗"),  # ที่ read as Latin letters
        ("N ลป ๐๕๓๕.๑/๑๕๒๒๕", "ลป ๐๕๓๕.๑/๑๕๒๒๕"),
        ("ท ชม 0220.1/2916", "ชม 0220.1/2916"),  # its marks taken for a line of their own
        ("ท AD 6๒๐๕.ฆ/ว ๐๕๕๑", None),  # the office itself read wrong: no number
        ("ทั้งนี้ ๒๕ /", None),  # a word, not a lost label
        ("๙๙ ซอย ๑๒/๓ ถนนพหลโยธิน", None),  # an address: no government code
        ("ตู้ ปณ 12/3", None),
        ("๑. กค ๐๔๐๒/ว ๑๒", None),  # a list item: a reference, not the number
    ],
)
def test_a_scanned_letters_number_whose_label_ocr_lost(first_line, number):
    """OCR can lose the ที่ before a letter's number (the page's first line, whose marks
    Tesseract took for a line of their own): a head line opening with a whole letter number
    after at most three other characters is the number line; an address or a list item
    with a slash is not."""
    text = f"1\n{first_line}\nสำนักงานจังหวัด\n๑๕ มกราคม ๒๕๖๖\nเรื่อง ขอเชิญประชุม\nเรียน ผู้อำนวยการ\n"
    letter = understand(text + "ด้วยสำนักงานได้รับแจ้งจากกระทรวง\n").metadata.get("letter") or {}
    assert letter.get("number") == number
    assert letter.get("date") == "2023-01-15"
