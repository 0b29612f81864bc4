"""Words that never decide whether a document matches a search: question and function words.

Staff type questions ("ต้องส่งบัญชีรายละเอียดทรัพยากรภายในวันที่เท่าไร"); the words that make
it a question, or only join its parts, occur in nearly every Thai document and say nothing
about which one answers it. They are dropped from the words a document must (partly) have,
and ranking does not count them.

The list is data, not taste: pythainlp's Thai stopword corpus (``thai_stopwords()``, about
1,000 words drawn from Thai corpus frequencies), plus the question words it lacks, minus the
few words it lists that name what a civil servant's document is about. Why each of those
edits, and why the question/function words the search relies on most are there, is written
beside each word below.
"""

from __future__ import annotations

from functools import lru_cache

# Question and function words the default search relies on dropping; each is in
# pythainlp's list unless marked "added". The reason is what the word does in a question.
# Question words also count for nothing in the score (the other stopwords count by their
# idf, nearly nothing for the frequent ones: :mod:`indexer.search.weighting`).
QUESTION_WORDS = {
    "อะไร": "asks for a thing: the answer, not the word, is in the document",
    "ไหน": "asks for a place or choice (ที่ไหน, อันไหน)",
    "ใด": "added: the formal ไหน (หน่วยงานใด, ข้อใด), absent from pythainlp's list",
    "เท่าไร": "asks for an amount or a date (วันที่เท่าไร)",
    "เท่าไหร่": "spoken spelling of เท่าไร",
    "กี่": "added: asks for a count (กี่วัน, กี่ฉบับ), absent from pythainlp's list",
    "อย่างไร": "asks how: the document states the way, not the question word",
    "ยังไง": "spoken spelling of อย่างไร",
    "ใคร": "asks who: the document names the office or person instead",
    "เมื่อไร": "asks when: the document gives the date",
    "เมื่อไหร่": "spoken spelling of เมื่อไร",
    "ทำไม": "asks why",
    "เหตุใด": "added: the formal ทำไม, absent from pythainlp's list",
    "เพราะอะไร": "added: asks why, segmented as one word, absent from pythainlp's list",
    "เท่าใด": "the formal เท่าไร",
    "เมื่อใด": "the formal เมื่อไร",
    "สิ่งใด": "asks which thing (the formal อะไร)",
    "ผู้ใด": "asks who (the formal ใคร)",
    "ที่ใด": "asks where (the formal ที่ไหน)",
    "ที่ไหน": "asks where, segmented as one word",
    "แห่งใด": "asks where (which place)",
    "อย่างใด": "asks in which way",
    "หรือเปล่า": "spoken yes/no question tail",
    "มั้ย": "spoken spelling of ไหม",
    "ไหม": "added: yes/no question particle, absent from pythainlp's list",
    "หรือไม่": "yes/no question tail (ต้อง...หรือไม่)",
    "บ้าง": "asks for a list (มีอะไรบ้าง)",
    "คือ": "joins a term to its definition (X คืออะไร)",
    "ได้": "modal (can, may): in nearly every rule",
    "ต้อง": "modal (must): in nearly every rule",
    "จะ": "future marker",
    "ที่": "relative/locative particle, the most frequent Thai word",
    "ของ": "possessive",
    "การ": "nominaliser; as its own word it only marks a verb used as a noun",
    "ความ": "nominaliser of adjectives and verbs",
    "หรือ": "or",
}

# Words pythainlp lists that name what a document is about in this archive: kept as words.
NOT_STOPWORDS = {
    "ส่ง": "to submit: 'what must be sent, by when' is what staff ask about deadlines",
}

ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
    ]
)


@lru_cache(maxsize=1)
def thai_stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords as corpus

    return frozenset((set(corpus()) | set(QUESTION_WORDS)) - set(NOT_STOPWORDS))


def is_stopword(word: str) -> bool:
    return word in thai_stopwords() or word.lower() in ENGLISH_STOPWORDS
