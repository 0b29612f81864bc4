"""Which kind of document a text is: explainable, weighted rules.

Each rule looks in one place of the document (its title lines, its head, its whole body,
or the file name) for one pattern and adds its weight to one kind. The kind with the
highest total wins if it reaches MIN_SCORE; otherwise the kind is ``other``. Every rule
that fired is reported as evidence: which kind, which rule, where, and what it matched.

Texts are read after ``prepare`` (Arabic digits, sara am composed), so patterns use
Arabic digits only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

KINDS = (
    "letter",
    "memo",
    "minutes",
    "summary_report",
    "guideline",
    "announcement",
    "order",
    "law",
    "budget_table",
    "form",
    "other",
)  # their labels: schemas.labels.KIND_TH

MIN_SCORE = 3

# Letter number: 'ที่ ขร 0019.1/ 19555', 'ที่ ฉช 0019/ว 2025', 'ที่ มท 0808.2/ว 123'
LETTER_NUMBER = re.compile(
    r"ที่\s*(?P<prefix>[ก-ฮ]{1,4}\.?(?:\s?[ก-ฮ]{1,3}\.?)?)\s*"
    r"(?P<code>\d{2,5}(?:\s*\.\s*\d+)*)\s*/\s*(?P<circ>ว\s*\.?)?\s*(?P<seq>\d{1,6})?"
)


@dataclass(frozen=True)
class Prepared:
    text: str
    lines: list[str]  # stripped lines, empty ones dropped
    title_lines: list[str]  # the first short lines (titles sit there)
    head: list[str]  # the first 25 lines
    filename: str


@dataclass(frozen=True)
class Rule:
    kind: str
    weight: int
    scope: str  # title | head | head text (its lines joined) | body | filename | stat
    name: str
    pattern: re.Pattern[str] | None = None
    stat: Callable[[Prepared], str | None] | None = None


def _re(p: str) -> re.Pattern[str]:
    return re.compile(p, re.MULTILINE)


def _table_density(doc: Prepared) -> str | None:
    """Share of lines holding three or more numbers: tables of figures."""
    lines = [ln for ln in doc.lines if len(ln) > 3]
    if len(lines) < 30:
        return None
    numeric = sum(1 for ln in lines if len(re.findall(r"(?<![\d.,])\d[\d,]*(?:\.\d+)?", ln)) >= 3)
    share = numeric / len(lines)
    return f"{share:.0%} of {len(lines)} lines hold 3+ numbers" if share >= 0.3 else None


def _dotted_lines(doc: Prepared) -> str | None:
    """Share of lines with fill-in leaders (........ or ____): forms."""
    lines = doc.lines
    if len(lines) < 5:
        return None
    dotted = sum(1 for ln in lines if re.search(r"\.{8,}|…{3,}|_{6,}", ln))
    share = dotted / len(lines)
    return f"{share:.0%} of {len(lines)} lines have fill-in leaders" if share >= 0.2 else None


def _heading_with_subject(word: str) -> Callable[[Prepared], str | None]:
    """A title line opening with ``word`` ('ประกาศ', 'คำสั่ง') followed by its issuer, with
    a 'เรื่อง' subject on it or on one of the next two lines (an order's number may come
    between): how announcements and orders are headed. A headline that merely opens with
    the verb ('ประกาศรับรองข้าวพันธุ์ใหม่ …') has no subject line."""
    opening = re.compile(rf"^{word}(?!\s*ณ|นียบัตร|ซื้อ)\s*\S")
    subject = re.compile(r"(?:^|\s)เรื่อง\s")

    def find(doc: Prepared) -> str | None:
        lines = doc.title_lines
        for i, line in enumerate(lines):
            if opening.match(line) and any(subject.search(ln) for ln in lines[i : i + 3]):
                return f"at title line {i + 1}: «{_clip(line)}»"
        return None

    return find


def _law_sections(doc: Prepared) -> str | None:
    n = sum(1 for ln in doc.lines if re.match(r"มาตรา\s*\d+(?:/\d+)?\s", ln + " "))
    return f"{n} lines open with มาตรา N" if n >= 5 else None


RULES: tuple[Rule, ...] = (
    # letters (หนังสือภายนอก) and memos (บันทึกข้อความ)
    Rule("letter", 3, "head", "letter number line", _re(r"^" + LETTER_NUMBER.pattern)),
    # 'เรื่อง'/'เรียน' as labels are followed by a space: 'เรื่องเล่า', 'เรียนรู้' are words
    Rule("letter", 1, "head", "subject line", _re(r"^เรื่อง\s+\S")),
    Rule("letter", 2, "head", "addressee line", _re(r"^เรียน\s+\S")),
    Rule("letter", 1, "head", "reference or enclosure line", _re(r"^(?:อ้างถึง|สิ่งที่ส่งมาด้วย)")),
    Rule("letter", 3, "body", "complimentary close", _re(r"^ขอแสดงความนับถือ")),
    Rule("letter", 1, "body", "closing formula", _re(r"จึงเรียนมาเพื่อ")),
    Rule("memo", 6, "title", "memo heading", _re(r"^บันทึกข้อความ")),
    Rule("memo", 2, "head", "ส่วนราชการ line", _re(r"^ส่วนราชการ\s")),
    Rule("memo", 1, "head", "number and date on one line", _re(r"^ที่\s.*\sวันที่\s")),
    # meeting minutes
    Rule("minutes", 5, "title", "minutes heading", _re(r"^(?:รายงาน|บันทึก|สรุป)การประชุม")),
    # not a meeting cited in passing: 'ในการประชุมครั้งที่ 7/2563', 'ในคราวประชุม ครั้งที่ …';
    # news mentions meetings by number too, so the number alone is not enough
    Rule(
        "minutes",
        2,
        "head",
        "meeting number",
        _re(r"(?<!ในการ)(?<!ในคราว)ประชุม\s*ครั้งที่\s*\d+\s*/\s*\d{2,4}"),
    ),
    Rule("minutes", 1, "head text", "monthly meeting", _re(r"ประชุม.{0,40}ประจำเดือน")),
    Rule("minutes", 2, "body", "agenda item", _re(r"^ระเบียบวาระที่")),
    Rule("minutes", 2, "body", "attendance list", _re(r"^ผู้(?:มา|ไม่มา|เข้าร่วม)ประชุม")),
    Rule("minutes", 1, "body", "opening or closing time", _re(r"(?:เริ่ม|ปิด)ประชุม(?:เวลา|\s)")),
    Rule("minutes", 1, "body", "resolution", _re(r"มติที่ประชุม|ที่ประชุม(?:รับทราบ|มีมติ)")),
    # summary reports of a project
    Rule(
        "summary_report",
        5,
        "title",
        "report heading",
        _re(
            r"^(?:รายงาน)?สรุปผลการ(?:ดำเนินงาน|ดำเนินการ|ดำเนินโครงการ|จัด)"
            r"|^รายงานผลการ(?:ดำเนินงาน|ดำเนินการ|ดำเนินโครงการ|ปฏิบัติงาน)"
            r"|^รายงานฉบับสมบูรณ์|^รายงานโครงการ"
        ),
    ),
    # guidelines, practice notes, manuals
    Rule(
        "guideline",
        5,
        "title",
        "guideline heading",
        _re(r"^(?:แนวทาง|แนวปฏิบัติ|คู่มือ|หลักเกณฑ์|ขั้นตอนการปฏิบัติ|มาตรฐานการปฏิบัติ)"),
    ),
    # announcements and orders (incl. Royal Gazette ones)
    # headings with their subject line; the dated line opens its own line (a citation,
    # 'ตามประกาศกระทรวง… ประกาศ ณ วันที่ … นั้น', is prose)
    Rule("announcement", 3, "stat", "announcement heading", stat=_heading_with_subject("ประกาศ")),
    Rule("announcement", 3, "body", "announced-on line", _re(r"^ประกาศ\s*ณ\s*วันที่")),
    Rule("order", 3, "stat", "order heading", stat=_heading_with_subject("คำสั่ง")),
    Rule("order", 2, "head", "order number", _re(r"^ที่\s*\d+\s*/\s*\d{4}\s*$")),
    Rule("order", 3, "body", "ordered-on line", _re(r"^สั่ง\s*ณ\s*วันที่")),
    Rule("order", 1, "body", "ordering formula", _re(r"จึงมีคำสั่ง|จึงออกคำสั่ง")),
    # laws and regulations
    Rule(
        "law",
        3,
        "title",
        "law heading",
        _re(r"^(?:พระราชบัญญัติ|พระราชกฤษฎีกา|พระราชกำหนด|กฎกระทรวง|รัฐธรรมนูญ|ระเบียบ\S*ว่าด้วย)"),
    ),
    Rule("law", 2, "head", "given-on line", _re(r"ให้ไว้\s*ณ\s*วันที่")),
    Rule("law", 2, "stat", "numbered sections", stat=_law_sections),
    # budget tables and budget documents
    Rule("budget_table", 4, "title", "budget document heading", _re(r"^เอกสารงบประมาณ")),
    Rule(
        "budget_table",
        4,
        "title",
        "allocation register heading",
        _re(r"^(?:ทะเบียน|บัญชี|ตาราง)(?:การ)?(?:จัดสรร|แสดง)?งบประมาณ"),
    ),
    Rule(
        "budget_table",
        3,
        "title",
        "budget heading",
        _re(r"^งบประมาณ(?:ฉบับประชาชน|รายจ่ายประจำปี)"),
    ),
    Rule("budget_table", 1, "head", "expenditure budget", _re(r"งบประมาณรายจ่าย")),
    Rule("budget_table", 1, "head", "unit of money", _re(r"หน่วย\s*:?\s*(?:ล้าน)?บาท")),
    Rule("budget_table", 2, "stat", "table of figures", stat=_table_density),
    Rule("budget_table", 1, "filename", "spreadsheet file", _re(r"\.(?:xlsx?|ods|csv)$")),
    # forms
    Rule(
        "form", 4, "title", "form heading", _re(r"^แบบ(?:ฟอร์ม|คำขอ|คำร้อง|สำรวจ|รายงาน|ขอ(?!ง)|\s)")
    ),
    Rule("form", 2, "stat", "fill-in leaders", stat=_dotted_lines),
    Rule("form", 1, "body", "signature blank", _re(r"ลงชื่อ\s*\.{3,}|☐|□")),
    # file names as weak hints
    Rule("minutes", 1, "filename", "file name", _re(r"รายงานการประชุม|minutes")),
    Rule("announcement", 1, "filename", "file name", _re(r"ประกาศ|announcement")),
    Rule("order", 1, "filename", "file name", _re(r"คำสั่ง|(?:^|[_\W])order")),
    Rule("guideline", 1, "filename", "file name", _re(r"แนวทาง|แนวปฏิบัติ|คู่มือ|guideline|manual")),
)

# When two kinds tie, the earlier wins.
PRIORITY = (
    "memo",
    "letter",
    "order",
    "announcement",
    "minutes",
    "law",
    "summary_report",
    "guideline",
    "budget_table",
    "form",
)


def _where(doc: Prepared, scope: str) -> list[tuple[str, str]]:
    """(label, text) pieces to search for a scope."""
    if scope == "title":
        return [(f"title line {i + 1}", ln) for i, ln in enumerate(doc.title_lines)]
    if scope == "head":
        return [(f"head line {i + 1}", ln) for i, ln in enumerate(doc.head)]
    if scope == "head text":  # for phrases that PDF layout wraps across lines
        return [("head", " ".join(doc.head))]
    if scope == "body":
        return [(f"line {i + 1}", ln) for i, ln in enumerate(doc.lines)]
    if scope == "filename":
        return [("file name", doc.filename)] if doc.filename else []
    return []


def _clip(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def classify(doc: Prepared) -> tuple[str, list[str], dict[str, int]]:
    """-> (kind, evidence, scores). Evidence lines read
    'letter +3: letter number line at head line 2: «ที่ ขร 0019.1/ 19555»'."""
    scores: dict[str, int] = {}
    evidence: list[tuple[str, str]] = []
    for rule in RULES:
        hit: str | None = None
        if rule.stat is not None:
            found = rule.stat(doc)
            hit = f"{rule.name}: {found}" if found else None
        else:
            for label, piece in _where(doc, rule.scope):
                m = rule.pattern.search(piece)
                if m:
                    hit = f"{rule.name} at {label}: «{_clip(piece)}»"
                    break
        if hit:
            scores[rule.kind] = scores.get(rule.kind, 0) + rule.weight
            evidence.append((rule.kind, f"{rule.kind} +{rule.weight}: {hit}"))
    if not scores:
        return "other", ["no rule matched"], {}
    best = max(scores.values())
    if best < MIN_SCORE:
        kind = "other"
        reasons = [f"best score {best} < {MIN_SCORE}"] + [e for _, e in evidence]
        return kind, reasons, scores
    kind = next(k for k in PRIORITY if scores.get(k) == best)
    chosen = [e for k, e in evidence if k == kind]
    others = [e for k, e in evidence if k != kind]
    return kind, chosen + [f"(also) {e}" for e in others], scores
