import datetime as dt
from pathlib import Path

import pytest

from indexer.thai.dates import (
    be_year,
    find_dates,
    find_deadlines,
    fiscal_year_of,
    fiscal_year_range,
    format_thai_date,
    parse_thai_date,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
D = dt.date


def seed(prefix: str) -> str:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix} not found under {SEEDS}")
    return matches[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("๓๑ ต.ค. ๒๕๖๒", D(2019, 10, 31)),
        ("31/10/2562", D(2019, 10, 31)),
        ("31 ตุลาคม 2562", D(2019, 10, 31)),
        ("๓๑ ตุลาคม ๒๕๖๒", D(2019, 10, 31)),
        ("วันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖", D(2023, 6, 30)),
        ("2019-10-31", D(2019, 10, 31)),
        ("31 ตุลาคม 2019", D(2019, 10, 31)),  # C.E. year
        ("31 October 2019", D(2019, 10, 31)),
        ("๓๑ ต.ค. พ.ศ. ๒๕๖๒", D(2019, 10, 31)),
        ("31 ต.ค 62", D(2019, 10, 31)),  # two-digit B.E.
        ("31/10/62", D(2019, 10, 31)),
        ("31/10/19", D(2019, 10, 31)),  # two-digit below 50: C.E.
        ("31-10-2562", D(2019, 10, 31)),
        ("ลงวันที่ ๒๑ พฤษภาคม ๒๕๖๗", D(2024, 5, 21)),
        ("๑๙ มิถุนายน ๒๕๖๗", D(2024, 6, 19)),
        ("29 ก.พ. 2567", D(2024, 2, 29)),
        ("15 กรกฏาคม 2566", D(2023, 7, 15)),  # common misspelling
    ],
)
def test_parse_thai_date(text, expected):
    assert parse_thai_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ประชุมครั้งที่ ๑๒/๒๕๕๘",  # meeting number, not a date
        "ที่ ขร ๐๐๑๙.๑/ ๑๙๕๕๕",  # letter number
        "30 ก.พ. 2567",  # no such day
        "เดือนกรกฎาคม ๒๕๖๗",  # month only
        "โทร.๐ ๓๘๕๑ ๑๒๓๙",
    ],
)
def test_parse_thai_date_rejects(text):
    assert parse_thai_date(text) is None


def test_parse_passes_dates_through():
    assert parse_thai_date(D(2019, 10, 31)) == D(2019, 10, 31)
    assert parse_thai_date(dt.datetime(2019, 10, 31, 9, 30)) == D(2019, 10, 31)
    assert parse_thai_date(None) is None


def test_fiscal_year_and_be_year():
    assert be_year(D(2019, 10, 31)) == 2562
    assert fiscal_year_of(D(2019, 9, 30)) == 2562
    assert fiscal_year_of(D(2019, 10, 1)) == 2563
    assert fiscal_year_of(D(2024, 6, 19)) == 2567  # seed 003
    assert fiscal_year_range(2562) == (D(2018, 10, 1), D(2019, 9, 30))


def test_format_thai_date():
    assert format_thai_date(D(2019, 10, 31)) == "๓๑ ตุลาคม ๒๕๖๒"
    assert format_thai_date(D(2019, 10, 31), style="short") == "๓๑ ต.ค. ๒๕๖๒"
    assert format_thai_date(D(2019, 10, 31), thai_digits=False) == "31 ตุลาคม 2562"
    for d in (D(2024, 6, 19), D(2023, 1, 1), D(2016, 12, 31)):
        for style in ("long", "short"):
            assert parse_thai_date(format_thai_date(d, style=style)) == d
    with pytest.raises(ValueError):
        format_thai_date(D(2019, 10, 31), style="iso")


def test_find_dates_offsets_and_day_names():
    text = "ส่งภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖ และประชุม 1/7/2566"
    found = find_dates(text)
    assert [f.date for f in found] == [D(2023, 6, 30), D(2023, 7, 1)]
    first = found[0]
    assert first.raw == "วันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖"
    assert text[first.start : first.end] == first.raw
    assert first.weekday == "ศุกร์" and first.weekday_matches is True


def test_seed_002_dates_ranges_and_a_wrong_day_name():
    found = find_dates(seed("002"))
    dates = [f.date for f in found]
    assert dates == [
        D(2016, 1, 2),
        D(2016, 1, 14),  # '๑๔ - ๒๖ มกราคม ๒๕๕๙'
        D(2016, 1, 26),
        D(2016, 1, 22),  # '๒๒ มกราคม - ๕ กุมภาพันธ์ ๒๕๕๙'
        D(2016, 2, 5),
        D(2016, 1, 5),
        D(2015, 12, 15),
    ]
    # the report says วันพุธที่ ๒ มกราคม ๒๕๕๙, but 2 January 2016 was a Saturday
    assert found[0].weekday == "พุธ" and found[0].weekday_matches is False


def test_seed_000_deadlines():
    deadlines = find_deadlines(seed("000"))
    assert [(d.date, d.raw) for d in deadlines] == [
        (D(2019, 10, 31), "ภายในวันที่ ๓๑ ตุลาคม ๒๕๖๒"),
        (D(2019, 11, 6), "ภายในวันที่ ๖ พฤศจิกายน ๒๕๖๒"),
    ]
    assert "เจ้าหน้าที่ DSSS" in deadlines[0].sentence
    assert deadlines[1].sentence.endswith("ภายในวันที่ ๖ พฤศจิกายน ๒๕๖๒")


def test_seed_004_deadline_with_a_day_name():
    deadlines = find_deadlines(seed("004"))
    assert {d.date for d in deadlines} == {D(2023, 6, 30)}
    assert deadlines[0].raw == "ภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖"
    # the whole numbered item, from its start
    assert deadlines[0].sentence.startswith("๒. จัดทำเอกสารประกอบการพิจารณาผลการดำเนินงาน")
    assert deadlines[0].sentence.endswith("ส่งให้จังหวัดภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖")
    assert deadlines[1].sentence == (
        "กำหนดส่งเอกสารประกอบการพิจารณาผลการดำเนินงานภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖"
    )


def test_seed_003_relative_deadline_counts_from_completion():
    (deadline,) = find_deadlines(seed("003"), document_date=D(2024, 6, 19))
    assert deadline.days == 7
    assert deadline.raw == "ภายใน ๗ วัน"
    assert deadline.relative_to == "หลังดำเนินการแล้วเสร็จ"
    # counted from the end of the activity, not from the letter: no date can be placed
    assert deadline.date is None
    assert deadline.sentence.startswith("๒. เมื่อดำเนินกิจกรรม/โครงการแล้วเสร็จ")


def test_deadline_sentences_join_wrapped_thai_lines_without_a_space():
    """PDF lines break between Thai words that have no space between them; the sentence
    joins them as written ('การบริหาร' + 'การจัดเก็บ'), and keeps real spaces."""
    text = (
        "๒. บุคคลต้นแบบการสนับสนุนการบริหาร\n การจัดเก็บข้อมูลดีเด่น ตามแนวทางที่\n"
        "         กำหนด ส่งให้จังหวัดภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖ ทั้งนี้ จังหวัดจะแจ้ง"
    )
    (deadline,) = find_deadlines(text)
    assert deadline.sentence == (
        "๒. บุคคลต้นแบบการสนับสนุนการบริหารการจัดเก็บข้อมูลดีเด่น ตามแนวทางที่กำหนด "
        "ส่งให้จังหวัดภายในวันศุกร์ที่ ๓๐ มิถุนายน ๒๕๖๖"
    )


def test_relative_deadlines_from_the_document_date():
    letter = D(2024, 10, 1)
    (d,) = find_deadlines("โปรดแจ้งผลภายใน ๑๕ วัน นับแต่วันที่ได้รับหนังสือนี้", letter)
    assert d.date == D(2024, 10, 16) and d.relative_to == "นับแต่วันที่ได้รับหนังสือนี้"
    (d,) = find_deadlines("โปรดแจ้งผลภายใน ๗ วัน", letter)
    assert d.date == D(2024, 10, 8)
    (d,) = find_deadlines("ตอบภายใน 3 วันทำการ", D(2024, 10, 4))  # a Friday
    assert d.working_days and d.date == D(2024, 10, 9)
    (d,) = find_deadlines("โปรดแจ้งผลภายใน ๗ วัน")
    assert d.date is None and d.days == 7


def test_other_deadline_triggers():
    text = "ส่งไม่เกินวันที่ 15 ม.ค. 2568 และรายงานก่อนวันที่ ๓๐ ก.ย. ๒๕๖๗"
    assert [(d.trigger, d.date) for d in find_deadlines(text)] == [
        ("ไม่เกิน", D(2025, 1, 15)),
        ("ก่อน", D(2024, 9, 30)),
    ]
    # a plain date is no deadline
    assert find_deadlines("ประชุมเมื่อวันที่ ๑๕ ธันวาคม ๒๕๕๘") == []
