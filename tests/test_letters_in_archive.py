"""Issue 7 through the whole pipeline: letters ingested from their PDFs carry their fields in
`metadata`, and a reference (อ้างถึง) points at the cited letter when it is archived."""

from __future__ import annotations

from docx import Document as DocxDocument

from tests.conftest import SEED_FIXTURES


def make_cited_letter(path, date="๒๑ พฤษภาคม ๒๕๖๗"):
    """The letter seed 003 cites (ที่ ขร ๐๐๑๙.๑/ว ๑๒๑๖๙ of ๒๑ พฤษภาคม ๒๕๖๗), as a DOCX;
    with another date, the letter that had the same number in another year."""
    document = DocxDocument()
    for line in [
        "ด่วนที่สุด",
        "ที่ ขร ๐๐๑๙.๑/ว ๑๒๑๖๙",
        "ศาลากลางจังหวัดเชียงราย",
        "ถนนแม่ฟ้าหลวง ขร ๕๗๑๐๐",
        date,
        "เรื่อง การจัดสรรงบประมาณ โครงการการบริหารการจัดเก็บและใช้ประโยชน์ข้อมูลความจำเป็นพื้นฐาน (จปฐ.)",
        "เรียน นายอำเภอทุกอำเภอ",
        "ด้วยจังหวัดเชียงรายได้รับการจัดสรรงบประมาณ ประจำปีงบประมาณ พ.ศ. ๒๕๖๗",
        "จึงเรียนมาเพื่อทราบ",
        "ขอแสดงความนับถือ",
        "ผู้ว่าราชการจังหวัดเชียงราย",
    ]:
        document.add_paragraph(line)
    document.save(path)


def test_letter_fields_are_in_show_json_and_references_resolve(cli, tmp_path):
    cited = tmp_path / "หนังสืออ้างถึง.docx"
    make_cited_letter(cited)
    [cited_entry] = cli.json("ingest", str(cited))
    [entry] = cli.json("ingest", str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf"))
    shown = cli.json("show", str(entry["document_id"]))
    assert shown["kind"] == "letter"
    assert shown["fiscal_year"] == 2567
    letter = shown["metadata"]["letter"]
    assert letter["number_normalized"] == "ขร 0019.1/19555"
    assert letter["date"] == "2024-06-19"
    assert letter["urgency"] == "ด่วนที่สุด"
    assert letter["addressee"] == "นายอำเภอทุกอำเภอ"
    [reference] = letter["references"]
    assert reference["number"] == "ขร 0019.1/ว12169"
    assert reference["document_id"] == cited_entry["document_id"]
    cited_shown = cli.json("show", str(cited_entry["document_id"]))
    assert cited_shown["kind"] == "letter"
    assert cited_shown["metadata"]["letter"]["circular"] is True


def test_a_reference_resolves_by_number_and_cited_date(cli, tmp_path):
    """Letter numbers start again each year: last year's ขร ๐๐๑๙.๑/ว ๑๒๑๖๙ (archived
    first) is not the letter seed 003 cites 'ลงวันที่ ๒๑ พฤษภาคม ๒๕๖๗'."""
    last_year = tmp_path / "ปีก่อน.docx"
    make_cited_letter(last_year, date="๒๑ พฤษภาคม ๒๕๖๖")
    [older] = cli.json("ingest", str(last_year))
    [entry] = cli.json("ingest", str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf"))
    shown = cli.json("show", str(entry["document_id"]))
    assert shown["metadata"]["letter"]["references"][0]["document_id"] is None
    cited = tmp_path / "หนังสืออ้างถึง.docx"
    make_cited_letter(cited)
    [cited_entry] = cli.json("ingest", str(cited))
    shown = cli.json("show", str(entry["document_id"]))
    [reference] = shown["metadata"]["letter"]["references"]
    assert reference["document_id"] == cited_entry["document_id"] != older["document_id"]


def test_a_reference_to_a_letter_not_in_the_archive_stays_unresolved(cli):
    [entry] = cli.json("ingest", str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf"))
    shown = cli.json("show", str(entry["document_id"]))
    [reference] = shown["metadata"]["letter"]["references"]
    assert reference["document_id"] is None


def test_circular_letter_deadline_from_seed_004_pdf(cli):
    [entry] = cli.json("ingest", str(SEED_FIXTURES / "004_b16aa6efba4dfd19.pdf"))
    shown = cli.json("show", str(entry["document_id"]))
    assert shown["kind"] == "letter"
    assert shown["metadata"]["letter"]["circular"] is True
    assert "2023-06-30" in [d["date"] for d in shown["metadata"]["deadlines"]]


def test_letter_numbers_are_searchable_in_thai_and_arabic_digits(cli):
    [letter] = cli.json("ingest", str(SEED_FIXTURES / "003_d2773d3a604759fe.pdf"))
    cli("ingest", str(SEED_FIXTURES / "002_0090340a6c3e03ac.pdf"))
    for query in ("ขร ๐๐๑๙.๑/๑๙๕๕๕", "ขร 0019.1/19555", "๐๐๑๙.๑/๑๙๕๕๕"):
        result = cli.json("search", query)
        assert result["hits"][0]["document_id"] == letter["document_id"], query


def test_amounts_of_a_pdf_letter_are_read_whole_as_from_its_docx(cli):
    """Seed 003's PDF text layer spaces its justified numbers after the thousands comma
    ('๓,๙๕๑,   ๐๐๐ บาท'): each amount is read whole, the same as from the DOCX of the same
    letter, and no tail ('๐๐๐ บาท', value 0) is taken for an amount."""
    amounts = {}
    for suffix in ("pdf", "docx"):
        [entry] = cli.json("ingest", str(SEED_FIXTURES / f"003_d2773d3a604759fe.{suffix}"))
        shown = cli.json("show", str(entry["document_id"]))
        amounts[suffix] = shown["metadata"]["amounts"]
    assert {"value": 3951000.0, "raw": "๓,๙๕๑,๐๐๐ บาท"} in amounts["pdf"]
    assert {"value": 2195000.0, "raw": "๒,๑๙๕,๐๐๐ บาท"} in amounts["pdf"]
    assert all(amount["value"] >= 1000 for amount in amounts["pdf"]), amounts["pdf"]
    assert amounts["pdf"] == amounts["docx"]


def test_the_tail_of_a_number_broken_beyond_repair_is_no_amount():
    """Read whole, or not at all: two line breaks after the comma leave a tail that is not
    joined, and not taken alone either."""
    from indexer.understand.entities import find_amounts

    text = "งบประมาณ 3,951,\n\n000 บาท และ 2,\n500 บาท"
    assert find_amounts(text, text) == [{"value": 2500.0, "raw": "2,500 บาท"}]
