"""Which inventory item does a document fulfil? Suggestions from its text, title, file name
and the path it arrived under (folder or ZIP bundle), scored with reasons.

Thai has no spaces between words and staff write names loosely, so names are compared
after ``normalise_name`` (spaces, punctuation, Thai/Arabic digits, the prefixes
โครงการ/กิจกรรม do not matter), first as a substring, then by character trigrams
(the share of the name's trigrams found in the document), which survives a word changed,
added or dropped and the spacing that PDF extraction leaves.

Score (0-1): project name 0.35, activity name 0.25, deliverable name 0.30, fiscal year
0.10; the project code adds 0.15 and the item's own code (INV-...) in the text or path
makes it 1. A document of another fiscal year than the item's is never suggested.
``auto_link_suggestions`` links items scoring AUTO_LINK_SCORE or more (method
"suggested"); staff confirm (``indexer.inventory.links.confirm_link``) or unlink them.

What is never suggested: a project's summary report item (รายงานสรุปผลการดำเนินงานโครงการ)
for a document that is not of kind ``summary_report`` (a letter asking for a report of
results is not one); a bundle (its members are the deliverables); a retired item; and, for
a document a DSSS officer of a province uploaded, another province's item.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from indexer.inventory.keys import (
    CODE_RE,
    item_province_id,
    normalise_code,
    normalise_name,
    normalise_text,
)
from indexer.inventory.links import is_container, link_document
from indexer.records import provenance as ev
from indexer.thai.digits import to_arabic_digits
from schemas.models import (
    ApiToken,
    Document,
    DocumentLink,
    Event,
    InventoryItem,
    Project,
    Submission,
    User,
)

AUTO_LINK_SCORE = 0.75
AUTO_LINK_MARGIN = 0.05  # items this close to the best are linked too (one report, many rows)
AUTO_LINK_MAX = 3
MIN_SCORE = 0.3
TEXT_LIMIT = 40_000
SUGGEST_AGENT = "khlang (suggested)"

W_PROJECT, W_ACTIVITY, W_DELIVERABLE, W_YEAR, W_PROJECT_CODE = 0.35, 0.25, 0.30, 0.10, 0.15

# Deliverable names of the project's summary report (seed 000).
SUMMARY_ITEM_WORDS = ("รายงานสรุปผลการดำเนินงาน", "รายงานสรุปผล", "รายงานผลการดำเนินงาน")
SUMMARY_KIND = "summary_report"
CATEGORY_WORDS = {
    "video": ("วีดิทัศน์", "วิดีทัศน์", "วีดีทัศน์", "วิดีโอ", "วีดีโอ", "คลิป", "video"),
    "audio": ("เสียง", "audio", "สปอต"),
    "image": ("ภาพ", "รูป", "โปสเตอร์", "อินโฟกราฟิก", "image", "photo"),
    "presentation": ("นำเสนอ", "สไลด์", "presentation"),
    "spreadsheet": ("ข้อมูล", "ตาราง", "ฐานข้อมูล"),
    "text": ("เอกสาร", "คู่มือ", "รายงาน", "หนังสือ", "แผ่นพับ", "เล่ม"),
}
_YEAR_RE = re.compile(
    r"(?:ปีงบประมาณ|ปีงบ|งบประมาณ|ประจำปี|fy)\s*(?:พ\s*\.?\s*ศ\s*\.?)?\s*(25\d\d)(?!\d)", re.IGNORECASE
)
_PATH_YEAR_RE = re.compile(r"(?<!\d)(25[5-9]\d)(?!\d)")


@dataclass
class Suggestion:
    code: str
    score: float
    reasons: list[str] = field(default_factory=list)
    item_id: int | None = None
    deliverable: str | None = None
    project: str | None = None
    activity: str | None = None
    # what tells two items of the same deliverable name apart for the person confirming
    province: str | None = None
    fiscal_year: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


class Haystack:
    """A normalised text with its trigram set, for repeated name look-ups."""

    def __init__(self, text: str):
        self.text = normalise_text(text)
        self.grams = trigrams(self.text)

    def match(self, name: str) -> float:
        """1.0 when the normalised name is in the text, else the share of its trigrams
        found (when at least 0.6), else 0."""
        name = normalise_name(name)
        if len(name) < 2 or not self.text:
            return 0.0
        if name in self.text:
            return 1.0
        grams = trigrams(name)
        if len(grams) < 3:
            return 0.0
        share = len(grams & self.grams) / len(grams)
        return round(share, 3) if share >= 0.6 else 0.0


@dataclass
class DocumentEvidence:
    names: Haystack  # title, file name, arrival names and paths
    body: Haystack  # extracted text
    raw_paths: str
    fiscal_years: set[int]
    kind: str
    category: str
    is_summary: bool


def _paths(session: Session, document: Document) -> list[str]:
    out = [document.filename or "", document.title or ""]
    for sub in session.scalars(select(Submission).where(Submission.document_id == document.id)):
        out += [sub.original_name or "", sub.bundle_path or "", sub.source_path or ""]
    return [p for p in dict.fromkeys(out) if p]


def document_evidence(session: Session, document: Document) -> DocumentEvidence:
    paths = _paths(session, document)
    joined = "\n".join(paths)
    text = (document.text or "")[:TEXT_LIMIT]
    years: set[int] = set()
    if document.fiscal_year:
        years.add(document.fiscal_year)
    else:
        arabic = to_arabic_digits(text[:5000] + "\n" + joined)
        years |= {int(y) for y in _YEAR_RE.findall(arabic)}
        if not years:
            years |= {int(y) for y in _PATH_YEAR_RE.findall(to_arabic_digits(joined))}
    return DocumentEvidence(
        names=Haystack(joined),
        body=Haystack(text),
        raw_paths=joined + "\n" + text[:5000],
        fiscal_years=years,
        kind=document.kind or "other",
        category=document.category or "other",
        is_summary=document.kind == SUMMARY_KIND,
    )


def is_summary_item(item: InventoryItem) -> bool:
    """Is this item the project's summary report (by its deliverable name)?"""
    deliverable = normalise_name(item.title)
    return any(normalise_text(w) in deliverable for w in SUMMARY_ITEM_WORDS)


def _score(item: InventoryItem, evidence: DocumentEvidence) -> Suggestion | None:
    project = item.project
    reasons: list[str] = []
    if evidence.fiscal_years and project.fiscal_year not in evidence.fiscal_years:
        return None
    summary_item = is_summary_item(item)
    if summary_item and not evidence.is_summary:
        return None  # only a summary report is the project's summary report
    found_codes = {normalise_code(c) for c in CODE_RE.findall(to_arabic_digits(evidence.raw_paths))}
    if item.code in found_codes:
        return _suggestion(item, 1.0, ["รหัสรายการปรากฏในเอกสารหรือชื่อไฟล์ (item code found)"])

    def best(name: str | None, what_th: str, what_en: str) -> float:
        if not name:
            return 0.0
        in_names = evidence.names.match(name)
        in_body = evidence.body.match(name)
        if in_names >= in_body and in_names > 0:
            reasons.append(
                f"{what_th}ตรงกับชื่อไฟล์/เส้นทาง {in_names:.0%} ({what_en} in file name/path)"
            )
            return in_names
        if in_body > 0:
            reasons.append(f"{what_th}ปรากฏในเนื้อหา {in_body:.0%} ({what_en} in the text)")
        return in_body

    score = W_PROJECT * best(project.name, "ชื่อโครงการ", "project name")
    if item.activity is not None:
        score += W_ACTIVITY * best(item.activity.name, "ชื่อกิจกรรม", "activity name")
    deliverable = normalise_name(item.title)
    in_names = evidence.names.match(item.title)
    in_body = evidence.body.match(item.title)
    if len(deliverable) < 8:
        in_body *= 0.5  # 'คู่มือ', 'วีดิทัศน์': common words in any text
    m_deliverable = max(in_names, in_body)
    if m_deliverable:
        where = "ชื่อไฟล์/เส้นทาง (file name/path)" if in_names >= in_body else "เนื้อหา (text)"
        reasons.append(f"ชื่อรายการตรงกับ{where} {m_deliverable:.0%} (deliverable name)")
    if summary_item and m_deliverable < 0.9:
        m_deliverable = 0.9
        reasons.append("เป็นรายงานสรุปผลการดำเนินงาน (a summary report)")
    score += W_DELIVERABLE * m_deliverable
    if item.activity is None:
        # A project-level deliverable: the project name carries the activity's weight.
        score += W_ACTIVITY * (score / (W_PROJECT + W_DELIVERABLE) if score else 0)
    if score == 0:
        return None
    if evidence.fiscal_years:
        score += W_YEAR
        reasons.append(f"ปีงบประมาณ {project.fiscal_year} ตรงกัน (fiscal year matches)")
    if project.code and len(normalise_text(project.code)) >= 3:
        code = normalise_text(project.code)
        if code in evidence.names.text or code in evidence.body.text:
            score += W_PROJECT_CODE
            reasons.append("รหัสโครงการปรากฏ (project code found)")
    if item.item_type:
        item_type = normalise_text(item.item_type)
        words = CATEGORY_WORDS.get(evidence.category, ())
        if any(normalise_text(w) in item_type for w in words):
            score += 0.05
            reasons.append("ประเภทไฟล์ตรงกับประเภทรายการ (file type fits the item type)")
    return _suggestion(item, min(round(score, 3), 1.0), reasons)


def _suggestion(item: InventoryItem, score: float, reasons: list[str]) -> Suggestion:
    return Suggestion(
        code=item.code,
        score=score,
        reasons=reasons,
        item_id=item.id,
        deliverable=item.title,
        project=item.project.name,
        activity=item.activity.name if item.activity else None,
        province=_province_name(item),
        fiscal_year=item.project.fiscal_year,
    )


def _province_name(item: InventoryItem) -> str | None:
    """The item's province (its own, else its project's), as ``item_province_id`` rules."""
    province = item.province or item.project.province
    return province.name if province else None


def suggest_items(
    session_or_core,
    document: Document | int,
    *,
    limit: int = 10,
    min_score: float = MIN_SCORE,
    province_id: int | None = None,
) -> list[Suggestion]:
    """Inventory items this document may fulfil, best first, each with a score and the
    reasons (Thai, with English in brackets); only items of ``province_id`` when given."""
    if isinstance(session_or_core, Session):
        return _suggest(session_or_core, document, limit, min_score, province_id)
    with session_or_core.sessions() as session:
        return _suggest(session, document, limit, min_score, province_id)


def _suggest(
    session: Session, document, limit: int, min_score: float, province_id: int | None = None
) -> list[Suggestion]:
    if isinstance(document, int):
        document = session.get(Document, document)
        if document is None:
            return []
    if is_container(document):
        return []
    evidence = document_evidence(session, document)
    query = (
        select(InventoryItem)
        .join(Project, InventoryItem.project_id == Project.id)
        .where(InventoryItem.retired_at.is_(None))
        .options(
            selectinload(InventoryItem.project).selectinload(Project.province),
            selectinload(InventoryItem.activity),
            selectinload(InventoryItem.province),
        )
    )
    if evidence.fiscal_years:
        query = query.where(Project.fiscal_year.in_(sorted(evidence.fiscal_years)))
    out = []
    for item in session.scalars(query):
        if province_id is not None and item_province_id(item) != province_id:
            continue
        suggestion = _score(item, evidence)
        if suggestion and suggestion.score >= min_score:
            out.append(suggestion)
    out.sort(key=lambda s: (-s.score, s.code))
    return out[:limit]


def uploader_province_id(session: Session, document: Document) -> int | None:
    """The province of the DSSS officer who uploaded the document (its first arrival's
    agent: the user's name for uploads through the service, and may be for the CLI's
    --submitted-by; "token:NAME" for a script's API token), or None when the uploader is
    not a DSSS user or token with a province: an officer delivers for their own province,
    so only its items are suggested."""
    agent = session.scalar(
        select(Submission.submitted_by)
        .where(Submission.document_id == document.id)
        .order_by(Submission.submitted_at, Submission.id)
        .limit(1)
    )
    if agent is None:
        return None
    if agent.startswith("token:"):
        # token names need not be unique: only a name all of whose dsss tokens act for
        # one province names it
        provinces = set(
            session.scalars(
                select(ApiToken.province_id).where(
                    ApiToken.name == agent.removeprefix("token:"),
                    ApiToken.role == "dsss",
                    ApiToken.revoked.is_(False),
                )
            )
        )
        return provinces.pop() if len(provinces) == 1 else None
    user = session.scalar(select(User).where(User.name == agent, User.role == "dsss"))
    return user.province_id if user is not None else None


def auto_link_suggestions(
    core, document_id: int, agent: str = SUGGEST_AGENT, *, threshold: float = AUTO_LINK_SCORE
) -> list[Suggestion] | None:
    """Link the document to the items it most likely fulfils, with method "suggested".

    Nothing is done when the document already has an active link (staff or --item
    decided), and an item staff once unlinked from this document is never re-suggested.
    For a document a DSSS officer uploaded, only the items of their province are linked.
    Every link is a provenance event (agent, score and reasons in its detail). Returns
    the suggestions linked, or None when there is no inventory at all (a caller ingesting
    many files may then stop asking for a while). Safe to call more than once."""
    with core.transaction() as session:
        # Most archives ingest long before (or without) an inventory: then there is nothing
        # to suggest, and loading the document's text to find that out is wasted.
        if session.scalar(select(InventoryItem.id).limit(1)) is None:
            return None
        document = session.get(Document, document_id)
        if document is None:
            return []
        existing = {
            link.item_id: link
            for link in session.scalars(
                select(DocumentLink).where(DocumentLink.document_id == document_id)
            )
        }
        if any(link.active for link in existing.values()):
            return []
        suggestions = _suggest(
            session,
            document,
            limit=AUTO_LINK_MAX * 3,
            min_score=threshold,
            province_id=uploader_province_id(session, document),
        )
        if not suggestions:
            return []
        top = suggestions[0].score
        chosen = [
            s
            for s in suggestions
            if s.score >= top - AUTO_LINK_MARGIN and s.item_id not in existing
        ][:AUTO_LINK_MAX]
        for suggestion in chosen:
            item = session.get(InventoryItem, suggestion.item_id)
            link_document(session, document, item, agent=agent, method="suggested")
            for obj in session.new:
                if (
                    isinstance(obj, Event)
                    and obj.event_type == ev.LINKED
                    and obj.document is document
                    and (obj.detail or {}).get("item_code") == item.code
                ):
                    obj.detail = {
                        **obj.detail,
                        "score": suggestion.score,
                        "reasons": suggestion.reasons,
                    }
        return chosen
