"""The labels of Khlang's codes, in one place: what a status, role, kind, event or match
tier is called on the pages, in the CLI and in the reports (Thai; English where the pages
offer it).

The catalogue sits in ``schemas``, the bottom layer, because both the indexer (the XLSX,
CSV and print reports are written there) and the service need it, and the indexer may not
import the service. Only presentation looks labels up; the data carries codes.
A code without a label is shown as itself (``label()``).

This module imports nothing from Khlang.
"""

from __future__ import annotations

from collections.abc import Mapping


def label(labels: Mapping, code, default: str | None = None) -> str:
    """The label of ``code``, or the code itself (or ``default``) when it has none."""
    return labels.get(code, code if default is None else default)


# --- one file of an ingest, as `khlang ingest` and the upload page report it
INGEST_STATUS_TH = {
    "ingested": "นำเข้าแล้ว",
    "duplicate": "ซ้ำ",
    "stored-without-text": "เก็บแล้วแต่ไม่มีข้อความ",
    "rejected": "ปฏิเสธ",
}

# --- an inventory item in the gap report
GAP_STATUS_TH = {
    "received": "ได้รับแล้ว",
    "partial": "ได้รับบางส่วน",
    "missing": "ยังไม่ได้รับ",
    "overdue": "เกินกำหนด",
}
# The group of items that name no province or no host agency (a group's name is its key).
UNSPECIFIED_TH = "(ไม่ระบุ)"
# What the gap report notices about a project's summary report.
GAP_FLAG_TH = {
    "no_summary_report": "ไม่มีรายงานสรุปผลการดำเนินงานโครงการ",
    "summary_report_not_linked": "พบรายงานสรุปผลแต่ยังไม่ได้เชื่อมโยงกับรายการ",
    "summary_missing_project": "รายงานสรุปผลไม่ระบุชื่อโครงการ",
    "summary_missing_activity": "รายงานสรุปผลไม่ระบุชื่อกิจกรรม",
    "summary_missing_fiscal_year": "รายงานสรุปผลไม่ระบุปีงบประมาณ",
}
# The two deadlines of the fiscal year's inventory.
DEADLINE_TH = {
    "inventory_to_dsss": "ส่งบัญชีทรัพยากร/ผลลัพธ์ให้เจ้าหน้าที่ DSSS",
    "dsss_to_cluster": "เจ้าหน้าที่ DSSS ส่งบัญชีให้กลุ่มงานบริหารยุทธศาสตร์กลุ่มจังหวัด",
}

# --- documents
KIND_TH = {
    "letter": "หนังสือภายนอก",
    "memo": "บันทึกข้อความ",
    "minutes": "รายงานการประชุม",
    "summary_report": "รายงานสรุปผลการดำเนินงานโครงการ",
    "guideline": "แนวทาง/แนวปฏิบัติ/คู่มือ",
    "announcement": "ประกาศ",
    "order": "คำสั่ง",
    "law": "กฎหมาย/ระเบียบ",
    "budget_table": "ตารางงบประมาณ",
    "form": "แบบฟอร์ม",
    "other": "อื่น ๆ",
}
# A file's category as the search facets and the document page show it: short words, for
# a narrow column. (Not the formal names of the categories: none are shown today.)
CATEGORY_TH = {
    "text": "ข้อความ",
    "image": "ภาพ",
    "audio": "เสียง",
    "video": "วิดีโอ",
    "spreadsheet": "ตาราง",
    "presentation": "งานนำเสนอ",
    "archive": "ไฟล์บีบอัด",
    "other": "อื่น ๆ",
}
# The search page's facets, by field.
FACET_TH = {
    "fiscal_year": "ปีงบประมาณ",
    "province": "จังหวัด",
    "project": "โครงการ",
    "agency": "หน่วยงาน",
    "category": "หมวด",
    "kind": "ประเภท",
    "sender": "หน่วยงานผู้ส่ง",
    "urgency": "ความเร่งด่วน",
    "has_deadline": "มีกำหนดส่ง",
}
# What staff read beside a search hit (the page, the CLI), by match tier.
MATCH_TIER_TH = {"phrase": "ตรงทั้งวลี", "all": "มีครบทุกคำ", "some": "มีบางคำ"}

# --- publication
PUBLICATION_STATE_TH = {
    "internal": "ภายใน",
    "checked": "ตรวจสอบแล้ว",
    "approved": "อนุมัติแล้ว",
    "published": "เผยแพร่แล้ว",
}
PUBLICATION_ACTION_TH = {
    "check": "ตรวจสอบ",
    "approve": "อนุมัติ",
    "publish": "เผยแพร่",
    "withdraw": "ถอนกลับเป็นภายใน",
}

# --- preservation: what fixity found wrong with an object, and which copy it was
FIXITY_PROBLEM_TH = {"missing": "ไฟล์หาย", "corrupt": "ไฟล์เสียหาย", "orphans": "ไฟล์ไม่มีเจ้าของ"}
COPY_TH = {"primary": "ชุดหลัก", "replica": "ชุดสำรอง"}

# --- accounts (None: a visitor who has not logged in)
ROLE_TH = {
    "admin": "ผู้ดูแลระบบ",
    "strategy": "สำนักงานยุทธศาสตร์",
    "dsss": "เจ้าหน้าที่ศูนย์ข้อมูล (DSSS)",
    "viewer": "ผู้อ่าน",
    None: "ผู้เยี่ยมชม",
}

# --- provenance events (the codes are indexer.records.provenance's constants)
EVENT_TH = {
    "received": "รับไฟล์",
    "identified": "ระบุชนิดไฟล์",
    "format-warning": "คำเตือนชนิดไฟล์",
    "stored": "จัดเก็บต้นฉบับ",
    "extracted": "ดึงข้อความ",
    "ocr-skipped": "ข้ามการอ่านภาพเป็นข้อความ",
    "classified": "จำแนกประเภท",
    "unpacked-from": "แตกจากไฟล์บีบอัด",
    "linked": "เชื่อมโยงกับรายการ",
    "unlinked": "ยกเลิกการเชื่อมโยง",
    "indexed": "ทำดัชนีค้นหา",
    "fixity-check": "ตรวจความถูกต้องของไฟล์",
    "rejected": "ปฏิเสธไฟล์",
    "publication": "สถานะการเผยแพร่",
    "inventory-imported": "นำเข้าบัญชีทรัพยากร/ผลลัพธ์",
    "inventory-retired": "ยกเลิกรายการในบัญชี",
    "inventory-restored": "นำรายการในบัญชีกลับมาใช้",
    "due-date-set": "กำหนดวันส่งของรายการ",
    "replicated": "ทำสำเนาที่สอง",
    "repaired": "ซ่อมไฟล์จากสำเนาอีกชุด",
    "exported": "ส่งออกเป็นแพ็กเกจ BagIt",
    "imported": "นำเข้าจากแพ็กเกจ BagIt",
    "edited": "แก้ไขข้อมูลเอกสาร",
    "derived": "สร้างสำเนาที่ค้นหาข้อความได้",
    "user-added": "เพิ่มผู้ใช้",
    "user-changed": "แก้ไขผู้ใช้",
    "token-created": "สร้างโทเคน",
    "token-revoked": "ยกเลิกโทเคน",
    "report-settings-changed": "แก้ไขการตั้งค่ารายงาน",
}
# The English page's names of the events a document's history shows (the others are
# shown by their code there, as before).
EVENT_EN = {
    "received": "Received",
    "identified": "Format identified",
    "format-warning": "Format warning",
    "stored": "Original stored",
    "extracted": "Text extracted",
    "ocr-skipped": "OCR skipped",
    "classified": "Classified",
    "unpacked-from": "Unpacked from bundle",
    "linked": "Linked to item",
    "unlinked": "Unlinked",
    "indexed": "Indexed",
    "fixity-check": "Fixity check",
    "rejected": "Rejected",
    "publication": "Publication",
    "edited": "Description edited",
    "derived": "Searchable copy made",
    "user-added": "User added",
    "user-changed": "User changed",
    "token-created": "Token created",
    "token-revoked": "Token revoked",
    "report-settings-changed": "Report settings changed",
}
