import datetime as dt
import difflib
import json
import re
from pathlib import Path

import pytest

from indexer.understand import KIND_LABELS_TH, KINDS, understand
from indexer.understand.evaluate import confusion, pdf_text

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


def test_seed_003_letter_fields():
    u = understand(seed("003"), "003_d2773d3a604759fe.txt")
    assert u.kind == "letter"
    assert u.document_date == dt.date(2024, 6, 19)
    assert u.fiscal_year == 2567
    assert u.title == SUBJECT_003
    letter = u.metadata["letter"]
    assert letter["number"] == "ขร ๐๐๑๙.๑/ ๑๙๕๕๕"
    assert letter["number_normalized"] == "ขร 0019.1/19555"
    assert letter["number_thai"] == "ขร ๐๐๑๙.๑/๑๙๕๕๕"
    assert letter["circular"] is False
    assert letter["number_province"] == "เชียงราย"
    assert letter["office"] == "ศาลากลางจังหวัดเชียงราย"
    assert letter["address"] == "ถนนแม่ฟ้าหลวง ขร ๕๗๑๐๐"
    assert letter["date"] == "2024-06-19"
    assert letter["date_raw"] == "๑๙ มิถุนายน ๒๕๖๗"
    assert letter["urgency"] == "ด่วนที่สุด"
    assert letter["subject"] == SUBJECT_003
    assert letter["addressee"] == "นายอำเภอทุกอำเภอ"
    assert letter["references"] == [
        {
            "raw": "หนังสือจังหวัดเชียงราย ด่วนที่สุด ที่ ขร ๐๐๑๙.๑/ว ๑๒๑๖๙ ลงวันที่ ๒๑ พฤษภาคม ๒๕๖๗",
            "number": "ขร 0019.1/ว12169",
            "date": "2024-05-21",
        }
    ]
    assert letter["enclosures"] == ENCLOSURES_003
    assert letter["signatory"] == "นางอำไพ บัวระดก"
    assert letter["position"] == "พัฒนาการจังหวัด"
    assert letter["acting_for"] == "ผู้ว่าราชการจังหวัดเชียงราย"
    assert letter["contact"] == {
        "unit": "สำนักงานพัฒนาชุมชนจังหวัด กลุ่มงานยุทธศาสตร์การพัฒนาชุมชน",
        "phone": "053177350",
    }
    # 'ภายใน ๗ วัน หลังดำเนินการแล้วเสร็จ': counted from completion, so no date
    assert u.metadata["deadlines"] == [
        {
            "date": None,
            "sentence": "๒. เมื่อดำเนินกิจกรรม/โครงการแล้วเสร็จ ให้รายงานผลการดำเนินงานในระบบ (BPM) "
            "และในระบบ รายงานที่กรมการพัฒนาชุมชนกำหนด ภายใน ๗ วัน หลังดำเนินการแล้วเสร็จ",
            "days": 7,
            "working_days": False,
            "relative_to": "หลังดำเนินการแล้วเสร็จ",
        }
    ]
    md = u.metadata
    assert md["dates"] == ["2024-06-19", "2024-05-21"]
    assert md["provinces"][0] == "เชียงราย"
    assert {"district": "เวียงชัย", "province": "เชียงราย"} in md["districts"]
    assert md["projects"][0] == ("โครงการการบริหารการจัดเก็บและใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.)")
    assert "กิจกรรมการตรวจสอบและรับรองคุณภาพการจัดเก็บข้อมูลความจำเป็นพื้นฐาน (จปฐ.)" in (md["activities"])
    assert {"value": 3951000.0, "raw": "๓,๙๕๑,๐๐๐ บาท"} in md["amounts"]


def test_seed_004_circular_letter_fields():
    u = understand(seed("004"))
    assert u.kind == "letter"
    assert u.document_date == dt.date(2023, 3, 27)
    assert u.fiscal_year == 2566
    letter = u.metadata["letter"]
    assert letter["number"] == "ฌข ๐๐๑๙/ว ๒๐๒๕"
    assert letter["number_normalized"] == "ฌข 0019/ว2025"
    assert letter["circular"] is True
    assert letter["number_province"] == "ฉะเชิงเทรา"  # ฌข is how this letter prints ฉช
    assert letter["office"] == "ศาลากลางจังหวัดฉะเชิงเทรา"
    assert letter["address"] == "ถนนเรืองวุฒิ ฌข ๒๕๐๐๐"
    assert letter["date_raw"] == "๒๗ มีนาคม ๒๕๖๖"
    assert letter["urgency"] is None
    assert letter["subject"] == SUBJECT_004
    assert letter["addressee"] == "นายอำเภอ ทุกอำเภอ"
    assert letter["references"] == []
    assert letter["enclosures"] == ["แนวทางการดำเนินงาน จำนวน ๑ ชุด"]
    assert letter["signatory"] == "นายวรันธุ์ ติประเสริฐสิน"
    assert letter["position"] == "พัฒนาการจังหวัด"
    assert letter["acting_for"] == "ผู้ว่าราชการจังหวัดฉะเชิงเทรา"
    assert letter["contact"] == {
        "unit": "สำนักงานพัฒนาชุมชนจังหวัด กลุ่มงานสารสนเทศการพัฒนาชุมชน",
        "phone": "038511239",
        "fax": "038814483",
    }
    # the same deadline is stated twice (in the letter and in the attachment): kept once
    (deadline,) = u.metadata["deadlines"]
    assert deadline["date"] == "2023-06-30"
    assert deadline["sentence"].endswith("ส่งให้จังหวัดภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖")
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


def test_order_title_and_announcement_title():
    order = understand(pdf_text(GOV_PDF / "ratchakitcha_2558_ncpo_order_34.pdf"))
    assert squash(order.title) == squash(
        "คำสั่งหัวหน้าคณะรักษาความสงบแห่งชาติ เรื่อง การอำนวยความสะดวกในการจัดทำร่างรัฐธรรมนูญ"
    )


# --- the same letters from their PDFs, text by pypdf + repair_thai ----------------------


def _similar(a: str | None, b: str) -> float:
    return difflib.SequenceMatcher(None, squash(a), squash(b)).ratio()


def test_seed_003_from_repaired_pdf():
    u = understand(repaired_pdf("003"), "003.pdf")
    assert u.kind == "letter"
    assert u.document_date == dt.date(2024, 6, 19)
    assert u.fiscal_year == 2567
    letter = u.metadata["letter"]
    assert letter["number_normalized"] == "ขร 0019.1/19555"
    assert letter["urgency"] == "ด่วนที่สุด"
    assert letter["circular"] is False
    assert [(r["number"], r["date"]) for r in letter["references"]] == [
        ("ขร 0019.1/ว12169", "2024-05-21")
    ]
    assert len(letter["enclosures"]) == 2
    assert _similar(letter["subject"], SUBJECT_003) > 0.95
    assert squash(letter["signatory"]) == squash("นางอำไพ บัวระดก")
    assert letter["contact"]["phone"] == "053177350"
    assert [(d["date"], d.get("days")) for d in u.metadata["deadlines"]] == [(None, 7)]


def test_seed_004_from_repaired_pdf():
    u = understand(repaired_pdf("004"), "004.pdf")
    assert u.kind == "letter"
    assert u.document_date == dt.date(2023, 3, 27)
    letter = u.metadata["letter"]
    assert letter["number_normalized"] == "ฌข 0019/ว2025"
    assert letter["circular"] is True
    assert _similar(letter["subject"], SUBJECT_004) > 0.95
    assert len(letter["enclosures"]) == 1
    assert letter["contact"]["phone"] == "038511239"
    assert {d["date"] for d in u.metadata["deadlines"]} == {"2023-06-30"}


@pytest.mark.parametrize(
    "prefix, kind", [("000", "guideline"), ("001", "guideline"), ("002", "minutes")]
)
def test_other_seeds_from_repaired_pdf(prefix, kind):
    assert understand(repaired_pdf(prefix)).kind == kind


def test_confusion_matrix_format():
    table = confusion([("a", "letter", "letter"), ("b", "law", "other"), ("c", "other", "other")])
    assert "2/3 correct" in table
    assert table.splitlines()[0].split()[-1] == "other"
