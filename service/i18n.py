"""Thai by default, English on request: a small dictionary keyed by the Thai text.

Templates write ``{{ _("ค้นหา") }}``; with ``lang=en`` (query parameter, remembered in a
cookie) the English from ``EN`` is shown, and any text without an English entry stays Thai
rather than disappearing. Dates are Buddhist Era in both languages, as offices write them.
"""

from __future__ import annotations

from flask import g, request

LANGS = ("th", "en")

EN = {
    # layout
    "คลัง": "Khlang",
    "คลังผลลัพธ์โครงการกลุ่มจังหวัด": "Archive of provincial-cluster project outputs",
    "ค้นหา": "Search",
    "ค้นหาเอกสาร": "Search documents",
    "นำเข้าไฟล์": "Upload",
    "บัญชีทรัพยากร/ผลลัพธ์": "Inventory",
    "รายงานความครบถ้วน": "Gap report",
    "ค้นหาผลงานเดิม": "Reuse lookup",
    # OCR confidence (issue 18)
    "ตรวจทาน: ข้อความจากการสแกนอาจไม่ถูกต้อง": "Review: text read from a scan may be wrong",
    "ข้อความจากการสแกนอาจไม่ถูกต้อง": "Text read from a scan may be wrong",
    "ดาวน์โหลด PDF ที่ค้นหาข้อความได้": "Download searchable PDF",
    "สำเนาจากการสแกน มีข้อความให้เลือกและค้นหาได้ ไม่ใช่ต้นฉบับ": "A copy of the scan with selectable, findable text; not the original",
    "เข้าสู่ระบบ": "Log in",
    "ออกจากระบบ": "Log out",
    "ชื่อผู้ใช้": "User name",
    "รหัสผ่าน": "Password",
    "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง": "Wrong user name or password",
    "ข้ามไปยังเนื้อหา": "Skip to content",
    "บทบาท": "Role",
    "ผู้ดูแลระบบ": "Administrator",
    "สำนักงานยุทธศาสตร์": "Strategy office",
    "เจ้าหน้าที่ศูนย์ข้อมูล (DSSS)": "DSSS officer",
    "ผู้อ่าน": "Viewer",
    "ผู้เยี่ยมชม": "Visitor",
    "เฉพาะเอกสารที่เผยแพร่แล้ว": "Published documents only",
    "ไม่พบหน้านี้": "Page not found",
    "ไม่มีสิทธิ์เข้าถึง": "Access denied",
    "ไฟล์หรือคำขอใหญ่เกินกำหนด": "The file or request is too large",
    "ต้องเข้าสู่ระบบก่อน": "Please log in first",
    "เกิดข้อผิดพลาด": "Something went wrong",
    "กลับหน้าค้นหา": "Back to search",
    "แบบฟอร์มหมดอายุ กรุณาลองใหม่": "The form expired, please try again",
    # search
    "พิมพ์คำค้น เช่น ชื่อโครงการ เลขที่หนังสือ หรือหัวข้อ": (
        "Type words, e.g. a project name, a letter number or a subject"
    ),
    "ผลการค้นหา": "Results",
    "พบ": "Found",
    "รายการ": "items",
    "เอกสาร": "documents",
    "ไม่พบเอกสารที่ตรงกับคำค้น": "No documents match your search",
    "หมายถึง": "Did you mean",
    "เรียงตาม": "Sort by",
    "ความตรง": "Relevance",
    "วันที่": "Date",
    "ตัวกรอง": "Filters",
    "ล้างตัวกรอง": "Clear filters",
    "ปีงบประมาณ": "Fiscal year",
    "จังหวัด": "Province",
    "โครงการ": "Project",
    "หน่วยงาน": "Agency",
    "หน่วยงานเจ้าภาพ": "Host agency",
    "หมวด": "Category",
    "หน่วยงานผู้ส่ง": "Sending office",
    "ความเร่งด่วน": "Urgency",
    "มีกำหนดส่ง": "Sets a deadline",
    "ประเภท": "Type",
    "ก่อนหน้า": "Previous",
    "ถัดไป": "Next",
    "หน้า": "Page",
    "ดัชนีค้นหายังไม่พร้อม": "The search index is not ready yet",
    "ใช้": "Apply",
    # document
    "ชื่อไฟล์": "File name",
    "ชนิดไฟล์": "File type",
    "ขนาด": "Size",
    "วันที่เอกสาร": "Document date",
    "รับเข้าเมื่อ": "Received",
    "สถานะการเผยแพร่": "Publication",
    "ภายใน": "Internal",
    "ตรวจสอบแล้ว": "Checked",
    "อนุมัติแล้ว": "Approved",
    "เผยแพร่แล้ว": "Published",
    "ดาวน์โหลดต้นฉบับ": "Download original",
    "ข้อมูลหนังสือราชการ": "Official letter",
    "ที่": "Number",
    "ส่วนราชการ": "Office",
    "เรื่อง": "Subject",
    "เรียน": "To",
    "อ้างถึง": "Reference",
    "สิ่งที่ส่งมาด้วย": "Enclosures",
    "ผู้ลงนาม": "Signatory",
    "ข้อความในเอกสาร": "Text",
    "ไม่มีข้อความ": "No text",
    "แสดงข้อความทั้งหมด": "Show all text",
    "ประวัติการจัดเก็บ": "Provenance",
    "ผู้ดำเนินการ": "Agent",
    "ผล": "Outcome",
    "รายการในบัญชีที่เชื่อมโยง": "Linked inventory items",
    "ยังไม่ได้เชื่อมโยงกับรายการในบัญชี": "Not linked to any inventory item",
    "เอกสารที่คล้ายกัน": "Similar documents",
    "คำที่ตรงกัน": "Shared terms",
    "ค้นหาเอกสารที่มีคำเหล่านี้": "Find documents with any of these words",
    "ตรงทั้งวลี": "Exact phrase",
    "มีครบทุกคำ": "All words",
    "มีบางคำ": "Some words",
    "รับเข้าคลัง": "Received",
    "โครงการเดิมที่เกี่ยวข้อง": "Related past projects",
    "ผลงานของโครงการ": "Outputs of the project",
    "การส่งไฟล์": "Submissions",
    "ผู้ส่ง": "Submitted by",
    "ตรวจสอบ": "Check",
    "อนุมัติ": "Approve",
    "เผยแพร่": "Publish",
    "ถอนกลับเป็นภายใน": "Withdraw to internal",
    "ขั้นตอนถัดไป": "Next step",
    "เชื่อมโยง": "Link",
    "ยกเลิกการเชื่อมโยง": "Unlink",
    "รหัสรายการ": "Item code",
    "ข้อมูลอื่น": "What the document says",
    "รายละเอียดเอกสาร": "Document details",
    "ข้อมูลทางเทคนิค": "Technical metadata",
    "ชั้นความเร็ว": "Urgency",
    "ตำแหน่ง": "Position",
    "ติดต่อ": "Contact",
    "อำเภอ": "District",
    "กำหนดเวลา": "Deadlines",
    "จำนวนเงิน": "Amounts",
    "ได้รับบางส่วน": "Partly received",
    # upload
    "ลากไฟล์หรือไฟล์ ZIP มาวางที่นี่": "Drag files or ZIP bundles here",
    "หรือ": "or",
    "เลือกไฟล์": "Choose files",
    "ส่งไฟล์": "Upload",
    "รายการที่ส่งมอบ (ไม่บังคับ)": "Deliverable (optional)",
    "กิจกรรม": "Activity",
    "ไม่ระบุ": "Not specified",
    "กำลังส่ง": "Uploading",
    "กำลังประมวลผล": "Processing",
    "เสร็จแล้ว": "Done",
    "ล้มเหลว": "Failed",
    "นำเข้าแล้ว": "Ingested",
    "ซ้ำ": "Duplicate",
    "เก็บแล้วแต่ไม่มีข้อความ": "Stored without text",
    "ปฏิเสธ": "Rejected",
    "เหตุผล": "Reason",
    "กลับ": "Back",
    "แถว": "Row",
    "คอลัมน์": "Column",
    "ค่า": "Value",
    "ไฟล์": "File",
    "สถานะ": "Status",
    "ไฟล์ที่เลือก": "Selected files",
    "รอส่ง": "Waiting",
    "ส่งแล้ว รอประมวลผล": "Sent, waiting to be processed",
    "เอาออก": "Remove",
    "ขนาดไม่เกิน": "Up to",
    # inventory
    "นำเข้าบัญชี": "Import inventory",
    "ดาวน์โหลดแบบฟอร์ม": "Download template",
    "ไฟล์บัญชี (.xlsx หรือ .csv)": "Inventory file (.xlsx or .csv)",
    "นำเข้า": "Import",
    "ทั้งหมด": "All",
    "ชื่อรายการ": "Deliverable",
    "กำหนดส่ง": "Due",
    "จำนวน": "Quantity",
    "เอกสารที่ส่ง": "Delivered",
    "ยังไม่มีรายการ": "No items yet",
    "ยังไม่พร้อมใช้งาน": "Not available yet",
    "ยืนยัน": "Confirm",
    "ใช้กำหนดส่งในเอกสารนี้เป็นกำหนดส่งของรายการ": "Use a deadline in this document as an item's due date",
    "ใช้เป็นกำหนดส่ง": "Use as due date",
    "กำหนดส่งของรายการ": "Items' due dates",
    "บันทึกกำหนดส่ง": "Save due date",
    # Thai date box
    "เลือกจากปฏิทิน": "Pick from a calendar",
    "เช่น ๑ ธ.ค. ๒๕๖๒ หรือ 1/12/2562": "e.g. ๑ ธ.ค. ๒๕๖๒ or 1/12/2562 (day first, B.E.)",
    "อ่านวันที่ไม่ได้": "Unreadable date",
    "อ่านวันที่ไม่ได้ เขียนได้เช่น ๑ ธ.ค. ๒๕๖๒ หรือ 1/12/2562": (
        "Unreadable date: write it like ๑ ธ.ค. ๒๕๖๒ or 1/12/2562 (day first, B.E.)"
    ),
    "ปีงบประมาณไม่ถูกต้อง": "Not a fiscal year",
    "เขียนเป็นปี พ.ศ. เช่น 2567": "write a Buddhist Era year, e.g. 2567",
    "เดือนก่อน": "Previous month",
    "เดือนถัดไป": "Next month",
    # gaps
    "ความครบถ้วน": "Completeness",
    "ครบ": "Complete",
    "ขาด": "Missing",
    "เกินกำหนด": "Overdue",
    "ตามจังหวัด": "By province",
    "ตามหน่วยงาน": "By agency",
    "ส่งออก CSV": "Export CSV",
    "ส่งออก Excel": "Export Excel",
    "พิมพ์ (A4)": "Print (A4)",
    "ณ วันที่": "As of",
    "แสดงรายงาน": "Show report",
    "รายการที่ยังขาด": "Missing items",
    "ที่คาดไว้": "Expected",
    "ที่ได้รับ": "Received",
    "รอยืนยัน": "Awaiting confirmation",
    "รายการที่ระบบเชื่อมโยงให้ รอเจ้าหน้าที่ยืนยัน": "Items linked by suggestion, awaiting staff confirmation",
    "รายงานสรุปผลที่ต้องแก้ไข": "Summary reports to correct",
    "ชื่อ": "Name",
    "เลขเอกสาร": "Document no.",
    "ชื่อเรื่อง": "Title",
    "วันที่ได้รับ": "Received on",
    "รายการที่อาจตรงกัน": "Items it may belong to",
    "เอกสารที่ได้รับแต่ไม่อยู่ในบัญชี": "Documents received but not on the inventory",
    "ลงชื่อ": "Signed",
    "ผู้รายงาน": "Reporter",
    "ลงชื่อผู้รายงาน": "Reporter's signature",
    "ความครบถ้วนตามจังหวัด": "Completeness by province",
    "ความครบถ้วนตามหน่วยงาน": "Completeness by agency",
    "ดูตัวเลขในตารางถัดไป": "the figures are in the table that follows",
    # reuse
    "วางคำอธิบายโครงการใหม่": "Paste the new project's description",
    "หาผลงานเดิมที่นำมาต่อยอดได้": "Find past outputs to build on",
    "ผลงานเดิมที่เกี่ยวข้อง": "Related past outputs",
    "ไม่พบผลงานที่เกี่ยวข้อง": "No related outputs found",
    # editing a document
    "แท็ก": "Tags",
    "บันทึก": "Notes",
    "แก้ไขข้อมูลเอกสาร": "Edit description",
    "ชื่อเอกสาร": "Title",
    "ประเภทเอกสาร": "Kind",
    "คั่นด้วยจุลภาค": "separated by commas",
    "พ.ศ.": "B.E.",
    # bulk actions
    "ทำกับเอกสารที่เลือก": "With the selected documents",
    "ยืนยันการเชื่อมโยงที่ระบบแนะนำ": "Confirm suggested links",
    "เพิ่มแท็ก": "Add tags",
    "ส่งออก": "Export",
    "ทำรายการ": "Apply",
    "เลือก": "Select",
    "กำหนดรายการในบัญชีให้แต่ละไฟล์": "Assign each file to its item",
    "ทุกไฟล์ถูกเชื่อมโยงกับรายการ": "Every file was linked to item",
    "เมื่อนำเข้า เลือกรายการของแต่ละไฟล์ได้ที่นี่": "on upload; choose each file's own item here",
    "เชื่อมโยงอยู่": "Linked to",
    "รายการในบัญชี": "Inventory item",
    "คงเดิม": "Keep",
    "แนะนำ": "suggested",
    "หรือพิมพ์รหัสรายการ": "or type an item code",
    "บันทึกรายการที่เลือก": "Save the chosen items",
    "ใช้รายการที่ระบบแนะนำทุกไฟล์": "Accept the suggestion for every file",
    "ยังไม่ได้เลือกเอกสาร": "No document selected",
    # preview
    "ตัวอย่างต้นฉบับ": "Preview of the original",
    "แสดงตัวอย่างไม่ได้": "No preview",
    "หน้าของเอกสาร": "Pages of the document",
    "บันทึกการแก้ไข": "Save changes",
    "บันทึกการแก้ไขแล้ว": "Changes saved",
}


def current_lang() -> str:
    lang = getattr(g, "lang", None)
    if lang:
        return lang
    chosen = request.args.get("lang") or request.cookies.get("lang") or "th"
    g.lang = chosen if chosen in LANGS else "th"
    return g.lang


def translate(text: str) -> str:
    if current_lang() == "en":
        return EN.get(text, text)
    return text


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
