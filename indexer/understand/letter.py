"""The parts of an official letter (หนังสือภายนอก) or memo (บันทึกข้อความ).

Works on the prepared text (Arabic digits at the same offsets, sara am composed) but
returns the text as printed (Thai digits kept) except in ``number_normalized`` and the
ISO dates. Fields that are not found are None (or empty lists); nothing is invented.
"""

from __future__ import annotations

import re

from indexer.thai.dates import find_dates
from indexer.thai.digits import to_arabic_digits, to_thai_digits
from indexer.thai.gazetteer import province_by_abbr
from indexer.thai.repair import join_wrapped

from .kinds import LETTER_NUMBER

#: What a lost ที่ leaves before a letter number: one to three characters ("fi", "N",
#: "ท"), never a list item's number ("๑.", "2)"), which would make a reference the number.
_LABEL_LOST = re.compile(r"^(?![\d.()]+\s)\S{1,3}\s+")
#: A government letter's code: four digits from 0 (มท ๐๘๐๘.๒, ขร ๐๐๑๙.๑); an address
#: (๙๙ ซอย ๑๒/๓, ตู้ ปณ 12/3) has none.
_GOVERNMENT_CODE = re.compile(r"[0๐]\d{3}")
#: The head lines where a ที่ may have been lost: the first few.
_LABEL_LOST_LINES = 4
_URGENCY = re.compile(r"^(ด่วนที่สุด|ด่วนมาก|ด่วน)(?!\S)")
_BODY_OPENERS = re.compile(
    r"^(?:ตามที่|ตามหนังสือ|ด้วย|เนื่องด้วย|เนื่องจาก|อนุสนธิ|สืบเนื่อง|โดยที่|ข้าพเจ้า|ตาม\S*ที่|"
    r"ด้วยจังหวัด|จังหวัด\S*ขอ|กรม\S*ขอ|ขอ(?:ส่ง|แจ้ง|เรียน|เชิญ))"
)
_CONTACT_UNIT = re.compile(r"^(?:สำนักงาน|กลุ่มงาน|กลุ่ม|ฝ่าย|งาน|ส่วน|กอง|ศูนย์|สถาบัน)")
_PHONE = re.compile(r"^โทร(?:ศัพท์)?\s*\.?\s*(?!สาร)(?P<num>[\d\s\-–,]+)")
_FAX = re.compile(r"^โทรสาร\s*\.?\s*(?P<num>[\d\s\-–,]+)")
_CONTACTISH = re.compile(r"^(?:สำนักงาน|กลุ่มงาน|ฝ่าย|โทร|ไปรษณีย์|e-?mail|อีเมล)", re.I)
_ACTING = re.compile(r"\s*(ปฏิบัติราชการแทน|รักษาราชการแทน|รักษาการแทน)\s*")
_NAME_LINE = re.compile(r"^\(\s*(?P<name>[^()\d]{3,60}?)\s*\)$")
_ITEM = re.compile(r"(?:^|\s)(\d{1,2})[.)]\s+")


class Lines:
    """Lines of the text with both the prepared (Arabic-digit) and printed forms."""

    def __init__(self, prepared: str, printed: str):
        self.prep: list[str] = []
        self.raw: list[str] = []
        self.ends_with_space: list[bool] = []
        for p_line, r_line in zip(prepared.split("\n"), printed.split("\n"), strict=True):
            if p_line.strip():
                self.prep.append(p_line.strip())
                self.raw.append(r_line.strip())
                self.ends_with_space.append(r_line != r_line.rstrip())

    def __len__(self) -> int:
        return len(self.prep)


def _normalize_number(m: re.Match) -> str:
    prefix = re.sub(r"\s", "", m["prefix"])
    code = re.sub(r"\s", "", m["code"])
    out = f"{prefix} {code}/"
    if m["circ"]:
        out += "ว"
    return out + (m["seq"] or "")


_CIRCULAR_AFTER_SLASH = re.compile(r"/\s+ว(?=[\s\d๐-๙.]|$)")


def tidy_printed(text: str) -> str:
    """Text as printed, without the layout's spacing: runs of spaces made one, and the
    circular mark written against its slash ('๐๐๑๙/  ว ๒๐๒๕' -> '๐๐๑๙/ว ๒๐๒๕'), as
    letters print it when justification does not stretch the line."""
    return _CIRCULAR_AFTER_SLASH.sub("/ว", re.sub(r"\s+", " ", text).strip())


def parse_number(prepared: str, printed: str) -> dict | None:
    """'ที่ ขร ๐๐๑๙.๑/ ๑๙๕๕๕' -> number fields, or None."""
    m = LETTER_NUMBER.search(prepared)
    if not m:
        return None
    norm = _normalize_number(m)
    province = province_by_abbr(re.sub(r"\s", "", m["prefix"]))
    return {
        "number": tidy_printed(printed[m.start("prefix") : m.end()]),
        "number_normalized": norm,
        "number_thai": to_thai_digits(norm),
        "circular": bool(m["circ"]),
        "number_province": province.name if province else None,
    }


def _find(lines: Lines, pattern: str, start: int = 0, stop: int | None = None) -> int | None:
    rx = re.compile(pattern)
    for i in range(start, min(len(lines), stop if stop is not None else len(lines))):
        if rx.search(lines.prep[i]):
            return i
    return None


def _label_rest(line: str, label: str) -> str:
    return re.sub(rf"^{label}\s*", "", line).strip()


def _items(text_prep: str, text_raw: str) -> list[str]:
    """Split 'A ๒. B' / numbered lines into items; unnumbered text is one item."""
    cuts = list(_ITEM.finditer(text_prep))
    # numbering must run 1, 2, 3 ...
    seq, want = [], 1
    for m in cuts:
        if int(m.group(1)) == want:
            seq.append(m)
            want += 1
    if not seq:
        return [text_raw.strip()] if text_raw.strip() else []
    out = []
    head = text_raw[: seq[0].start()].strip()
    if head:
        out.append(head)
    for i, m in enumerate(seq):
        end = seq[i + 1].start() if i + 1 < len(seq) else len(text_raw)
        item = re.sub(r"\s+", " ", text_raw[m.end() : end]).strip()
        if item:
            out.append(item)
    return out


def parse_letter(prepared: str, printed: str, memo: bool = False) -> dict:
    """The letter fields of a letter or memo. ``prepared`` and ``printed`` have the same
    length and line breaks (see understand.prepare)."""
    L = Lines(prepared, printed)
    out: dict = {
        "number": None,
        "number_normalized": None,
        "number_thai": None,
        "circular": False,
        "office": None,
        "address": None,
        "date": None,
        "date_raw": None,
        "urgency": None,
        "subject": None,
        "addressee": None,
        "references": [],
        "enclosures": [],
        "signatory": None,
        "position": None,
        "acting_for": None,
        "contact": None,
    }
    head_stop = min(len(L), 40)
    i_subject = _find(L, r"^เรื่อง(?:\s|$)", 0, head_stop)
    top = i_subject if i_subject is not None else min(len(L), 12)

    # number: on its ที่ line, or, where a scan lost the ที่ (Tesseract read it "fi", "N" or
    # "ท" when it took its marks for a line of their own), on a head line that opens with a
    # whole letter number after at most three other characters
    i_number, number = _find(L, r"^ที่\s*[ก-ฮ]", 0, top), None
    if i_number is not None:
        number = parse_number(L.prep[i_number], L.raw[i_number])
    else:
        for i in range(min(top, _LABEL_LOST_LINES)):
            lost = _LABEL_LOST.match(L.prep[i])
            labelled = "ที่ " + L.prep[i][lost.end() :] if lost else ""
            whole = LETTER_NUMBER.match(labelled)
            if whole and _GOVERNMENT_CODE.match(whole["code"]):
                i_number = i
                number = parse_number(labelled, "ที่ " + L.raw[i][lost.end() :])
                break
    if number:
        out.update(number)
    # urgency: a line of its own before the subject
    for i in range(top):
        m = _URGENCY.match(L.prep[i])
        if m:
            out["urgency"] = m.group(1)
            break
    # date: the first line before the subject that is mostly a date
    i_date = None
    for i in range((i_number or 0), top):
        found = find_dates(L.raw[i])
        # spaces counted once: OCR pads a date line out to a speck it read as "." or "|"
        rest = len(re.sub(r"\s+", " ", L.raw[i].strip())) - len(found[0].raw) if found else 0
        if found and (memo or rest <= 12):
            out["date"] = found[0].date.isoformat()
            out["date_raw"] = found[0].raw
            i_date = i
            break
    # office and address: between the number and the date (letters);
    # the ส่วนราชการ line (memos)
    if memo:
        i_office = _find(L, r"^ส่วนราชการ", 0, top)
        if i_office is not None:
            out["office"] = _label_rest(L.raw[i_office], "ส่วนราชการ") or None
    elif i_number is not None and i_date is not None and i_date > i_number + 1:
        block = L.raw[i_number + 1 : i_date]
        out["office"] = block[0]
        out["address"] = " ".join(block[1:]) or None

    # subject, addressee, references, enclosures
    i_to = _find(L, r"^เรียน(?:\s|$)", top, head_stop)
    i_ref = _find(L, r"^อ้างถึง", top, head_stop)
    i_enc = _find(L, r"^สิ่งที่\S{1,4}มาด้วย", top, head_stop)
    if i_subject is not None:
        end = min(x for x in (i_to, i_ref, i_enc, i_subject + 4) if x is not None and x > i_subject)
        parts = [_label_rest(L.raw[i_subject], "เรื่อง"), *L.raw[i_subject + 1 : end]]
        out["subject"] = join_wrapped(parts, L.ends_with_space[i_subject:end]) or None
    if i_to is not None:
        out["addressee"] = re.sub(r"\s+", " ", _label_rest(L.raw[i_to], "เรียน")) or None
    after_to = (i_to if i_to is not None else top) + 1
    i_body = None
    for i in range(after_to, min(len(L), after_to + 15)):
        if i in (i_ref, i_enc):
            continue
        if _BODY_OPENERS.match(L.prep[i]):
            i_body = i
            break
    if i_ref is not None:
        end = min(x for x in (i_enc, i_body, i_ref + 6, len(L)) if x is not None and x > i_ref)
        prep = " ".join([_label_rest(L.prep[i_ref], "อ้างถึง"), *L.prep[i_ref + 1 : end]])
        raw = " ".join([_label_rest(L.raw[i_ref], "อ้างถึง"), *L.raw[i_ref + 1 : end]])
        for item in _items(prep, raw):
            ref = {"raw": tidy_printed(item), "number": None, "date": None}
            item_prep = _to_prep(item)
            m = LETTER_NUMBER.search(item_prep)
            if m:
                ref["number"] = _normalize_number(m)
            dates = find_dates(item)
            if dates:
                ref["date"] = dates[0].date.isoformat()
            out["references"].append(ref)
    if i_enc is not None:
        end = min(x for x in (i_body, i_ref, i_enc + 8, len(L)) if x is not None and x > i_enc)
        label = r"สิ่งที่\S{1,4}มาด้วย"
        prep = " ".join([_label_rest(L.prep[i_enc], label), *L.prep[i_enc + 1 : end]])
        raw = " ".join([_label_rest(L.raw[i_enc], label), *L.raw[i_enc + 1 : end]])
        out["enclosures"] = _items(prep, raw)

    # signature block and contact
    i_close = _find(L, r"^ขอแสดงความนับถือ")
    if i_close is None:
        i_close = _find(L, r"จึงเรียนมาเพื่อ")
    if i_close is not None:
        window = range(i_close + 1, min(len(L), i_close + 14))
        i_name = next((i for i in window if _NAME_LINE.match(L.raw[i])), None)
        if i_name is not None:
            out["signatory"] = re.sub(r"\s+", " ", _NAME_LINE.match(L.raw[i_name])["name"])
            _signature(L, i_name, out)
        out["contact"] = _contact(L, i_close)
    return out


def _to_prep(s: str) -> str:
    return to_arabic_digits(s)


def _signature(L: Lines, i_name: int, out: dict) -> None:
    rest = [L.raw[i] for i in range(i_name + 1, min(len(L), i_name + 4))]
    if not rest or _CONTACTISH.match(rest[0]):
        return
    first = rest[0]
    m = _ACTING.search(first)
    if m:
        out["position"] = first[: m.start()].strip() or None
        after = first[m.end() :].strip()
        if after:
            out["acting_for"] = after
        elif len(rest) > 1 and not _CONTACTISH.match(rest[1]):
            out["acting_for"] = rest[1]
        return
    out["position"] = first
    if len(rest) > 1:
        m = _ACTING.match(rest[1])
        if m:
            after = rest[1][m.end() :].strip()
            if after:
                out["acting_for"] = after
            elif len(rest) > 2 and not _CONTACTISH.match(rest[2]):
                out["acting_for"] = rest[2]


def _contact(L: Lines, i_close: int) -> dict | None:
    units: list[str] = []
    phone = fax = None
    for i in range(i_close + 1, min(len(L), i_close + 16)):
        prep, raw = L.prep[i], L.raw[i]
        if m := _FAX.match(prep):
            fax = re.sub(r"\D", "", m["num"].split(",")[0])
        elif m := _PHONE.match(prep):
            phone = re.sub(r"\D", "", m["num"].split(",")[0])
        elif _CONTACT_UNIT.match(prep) and len(raw) <= 80 and phone is None and len(units) < 3:
            if units and i > 0 and not _CONTACT_UNIT.match(L.prep[i - 1]):
                units = []  # units must be consecutive lines
            units.append(raw)
        if phone and (fax or i + 1 >= len(L) or not _FAX.match(L.prep[i + 1])):
            break
    if not units and not phone:
        return None
    contact = {"unit": " ".join(units) or None, "phone": phone}
    if fax:
        contact["fax"] = fax
    return contact
