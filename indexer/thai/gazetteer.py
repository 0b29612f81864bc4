"""Thai places: the 77 provinces, their 928 districts and the 18 provincial clusters.

Pure and offline. Data lives in ``indexer/thai/data/`` (see its README for sources and
licences) and is read once, on first use.

    >>> province_by_abbr("ชม").name
    'เชียงใหม่'
    >>> find_provinces("ศาลากลางจังหวัดเชียงใหม่ และ จ.ลำพูน")
    ['เชียงใหม่', 'ลำพูน']
    >>> find_districts("อำเภอเมืองเชียงใหม่ และ อ.แม่ริม")
    [('เมืองเชียงใหม่', 'เชียงใหม่'), ('แม่ริม', 'เชียงใหม่')]
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# A Thai letter, vowel sign or tone mark (not a Thai digit, not ฯ/ๆ which end words).
_THAI_LETTER = "\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e"
_IS_THAI_LETTER = re.compile(f"[{_THAI_LETTER}]")

# Province names that are also common words or sit inside common words
# (แพร่ in เผยแพร่, ตาก "to dry", เลย "at all", น่าน in น่านน้ำ, ตราด in อัตราดอกเบี้ย, ...).
# They count only after จังหวัด/จ. or when standing alone between spaces or punctuation.
AMBIGUOUS_PROVINCES = frozenset({"แพร่", "ตาก", "เลย", "น่าน", "ตราด", "ตรัง", "กระบี่"})

# Other ways a province is written in running text.
PROVINCE_ALIASES = {
    "กรุงเทพฯ": "กรุงเทพมหานคร",
    "กรุงเทพ": "กรุงเทพมหานคร",
    "กทม.": "กรุงเทพมหานคร",
    "อยุธยา": "พระนครศรีอยุธยา",
}

# Letter-number prefixes seen in print that are not the official abbreviation.
# ขร: seed 003 (Chiang Rai, officially ชร) prints ขร both in the number and the postcode
# line; ฌข: seed 004 (Chachoengsao, officially ฉช). กท: Bangkok offices' letter prefix.
ABBR_ALIASES = {"ขร": "ชร", "ฌข": "ฉช", "กท": "กทม"}


@dataclass(frozen=True)
class Province:
    name: str  # Thai name without จังหวัด, e.g. "เชียงใหม่"
    abbr: str  # official abbreviation used in letter numbers, e.g. "ชม" ("กทม" for Bangkok)
    name_en: str
    region: str  # ภาคเหนือ | ภาคตะวันออกเฉียงเหนือ | ภาคกลาง | ภาคตะวันออก | ภาคใต้
    districts: tuple[str, ...]  # district names without อำเภอ/เขต, e.g. "เมืองเชียงใหม่"
    code: str = ""  # DOPA province code, e.g. "50"
    cluster: str | None = None  # the กลุ่มจังหวัด it belongs to (None for Bangkok)


@dataclass(frozen=True)
class Cluster:
    name: str  # e.g. "กลุ่มจังหวัดภาคเหนือตอนบน ๑"
    provinces: tuple[str, ...]  # member province names; the first is the operations centre
    name_en: str = ""
    region: str = ""


def _rows(filename: str) -> list[dict[str, str]]:
    with open(DATA_DIR / filename, encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@cache
def clusters() -> list[Cluster]:
    """The 18 provincial clusters (กลุ่มจังหวัด), with their member provinces."""
    return [
        Cluster(
            name=row["name_th"],
            provinces=tuple(row["provinces"].split()),
            name_en=row["name_en"],
            region=row["region"],
        )
        for row in _rows("clusters.tsv")
    ]


def _strip_district_prefix(name: str) -> str:
    return name[3:] if name.startswith("เขต") else name


@cache
def provinces() -> list[Province]:
    """All 77 provinces (Bangkok included), in DOPA code order."""
    by_province: dict[str, list[str]] = {}
    for row in _rows("districts.tsv"):
        by_province.setdefault(row["province_code"], []).append(
            _strip_district_prefix(row["name_th"])
        )
    cluster_of = {p: c for c in clusters() for p in c.provinces}
    out = []
    for row in _rows("provinces.tsv"):
        name = row["name_th"]
        cluster = cluster_of.get(name)
        region = cluster.region if cluster else "ภาคกลาง"
        out.append(
            Province(
                name=name,
                abbr=row["abbr"],
                name_en=row["name_en"],
                region=region,
                districts=tuple(by_province.get(row["code"], ())),
                code=row["code"],
                cluster=cluster.name if cluster else None,
            )
        )
    return out


@cache
def _by_name() -> dict[str, Province]:
    return {p.name: p for p in provinces()}


@cache
def _by_abbr() -> dict[str, Province]:
    return {p.abbr: p for p in provinces()}


def province_by_name(name: str) -> Province | None:
    """'เชียงใหม่', 'จังหวัดเชียงใหม่', 'จ.เชียงใหม่' or an alias such as 'กรุงเทพฯ'."""
    name = name.strip()
    for prefix in ("จังหวัด", "จ."):
        if name.startswith(prefix):
            name = name[len(prefix) :].strip()
    name = PROVINCE_ALIASES.get(name, name)
    return _by_name().get(name)


def province_by_abbr(abbr: str) -> Province | None:
    """The province of a letter-number prefix: 'ชม' -> เชียงใหม่. Dots and spaces are ignored;
    misprints seen in real letters ('ขร', 'ฌข') are accepted, see ABBR_ALIASES."""
    key = re.sub(r"[\s.]", "", abbr)
    key = ABBR_ALIASES.get(key, key)
    return _by_abbr().get(key)


def place_names() -> list[str]:
    """Every province, district and cluster name, for a search dictionary.

    Province names and aliases, district names without อำเภอ (Bangkok's also with เขต),
    cluster names as written (with the Thai-digit number, e.g. 'กลุ่มจังหวัดภาคเหนือตอนบน ๑')
    and without the number ('กลุ่มจังหวัดภาคเหนือตอนบน'). Sorted, no duplicates.
    """
    names: set[str] = set(PROVINCE_ALIASES) - {"กทม."}
    for p in provinces():
        names.add(p.name)
        names.update(p.districts)
        if p.name == "กรุงเทพมหานคร":
            names.update("เขต" + d for d in p.districts)
    for c in clusters():
        names.add(c.name)
        names.add(re.sub(r"\s*[0-9๐-๙]+$", "", c.name))
    return sorted(names)


def _left_free(text: str, start: int) -> bool:
    return start == 0 or not _IS_THAI_LETTER.match(text[start - 1])


def _right_free(text: str, end: int) -> bool:
    return end >= len(text) or not _IS_THAI_LETTER.match(text[end])


def _alternation(names) -> str:
    """A regex matching any of ``names``, the longest first where several match (as
    ``longest|…|shortest`` would), written as a trie: ``เชียง(?:ราย|ใหม่)``. re tries the
    branches of a plain alternation one by one at every character; the trie makes
    find_provinces ~3x faster."""
    trie: dict = {}
    for name in set(names):
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}  # a name ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        if "" in node:  # a name ends here: the longer ones first, then this one
            return f"(?:{'|'.join(branches)})?"
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return pattern(trie)


@cache
def _province_re() -> re.Pattern[str]:
    names = [p.name for p in provinces()] + list(PROVINCE_ALIASES)
    # The lookahead skips characters that start no match before the optional prefix group
    # is entered (re cannot skip ahead on a pattern that opens with an optional group).
    starts = "".join(sorted({"จ"} | {name[0] for name in names}))
    return re.compile(rf"(?=[{starts}])(?P<prefix>จังหวัด\s*|จ\.\s*)?(?P<name>{_alternation(names)})")


_LIST_WORDS = ("และ", "หรือ", "กับ")


# 'ทุกจังหวัด (ยกเว้น กรุงเทพมหานคร)': a place named to be left out is not a place the text
# is about. The exclusion runs on over a list ('ยกเว้น ลำปาง และลำพูน').
_EXCEPT = re.compile(r"(?:ยกเว้น|เว้นแต่)\s*$")
_LIST_GAP = re.compile(r"^(?:\s|,|/|และ|หรือ)*$")


def find_provinces(text: str) -> list[str]:
    """Provinces named in ``text``, canonical Thai names, in order of first mention.

    Finds 'จังหวัดเชียงใหม่', 'จ.เชียงใหม่', bare 'เชียงใหม่' and aliases ('กรุงเทพฯ').
    Names that are also common words (AMBIGUOUS_PROVINCES, e.g. แพร่ inside เผยแพร่) count
    only after จังหวัด/จ. or standing alone (spaces, punctuation, or after และ/หรือ/กับ).
    Names excluded ('ยกเว้น กรุงเทพมหานคร', 'เว้นแต่จังหวัดน่าน และแพร่') do not count.
    """
    found: list[str] = []
    excluded_until = -1  # end of the last excluded name, while a list of them runs on
    for m in _province_re().finditer(text):
        name = PROVINCE_ALIASES.get(m["name"], m["name"])
        if name in AMBIGUOUS_PROVINCES and not m["prefix"]:
            start = m.start("name")
            left_ok = _left_free(text, start) or any(
                text.endswith(w, 0, start) for w in _LIST_WORDS
            )
            if not (left_ok and _right_free(text, m.end("name"))):
                continue
        if _EXCEPT.search(text, max(0, m.start() - 12), m.start()) or (
            excluded_until >= 0 and _LIST_GAP.match(text[excluded_until : m.start()])
        ):
            excluded_until = m.end()
            continue
        excluded_until = -1
        if name not in found:
            found.append(name)
    return found


@cache
def _district_index() -> dict[str, list[str]]:
    """district name -> the provinces that have a district of that name."""
    index: dict[str, list[str]] = {}
    for p in provinces():
        for d in p.districts:
            index.setdefault(d, []).append(p.name)
    return index


@cache
def _district_re() -> re.Pattern[str]:
    names = _alternation(_district_index())
    provinces_alt = _alternation([p.name for p in provinces()] + list(PROVINCE_ALIASES))
    return re.compile(
        rf"(?P<prefix>อำเภอ|อ\.|เขต)\s*(?P<name>{names}|เมือง)"
        rf"(?:\s*(?:จังหวัด|จ\.)\s*(?P<province>{provinces_alt}))?"
    )


def find_districts(text: str, provinces_named: list[str] | None = None) -> list[tuple[str, str]]:
    """Districts named in ``text`` as (district, province), in order of first mention.

    - after อำเภอ / อ. / เขต: 'อำเภอเมืองเชียงใหม่', 'อ.แม่ริม', 'เขตบางรัก';
      'อำเภอเมือง จังหวัดลำปาง' gives เมืองลำปาง. After อ. and เขต the name must end the
      word (อ.ก.บ.ก. and เขตการปกครอง are not districts).
    - bare names ('เวียงชัย' in a table) only for districts of a province the text names,
      and only standing alone between spaces, tabs or punctuation.
    A name shared by several provinces (เฉลิมพระเกียรติ) goes to the province written after
    it, else to those the text names, else to all of them.

    ``provinces_named``: ``find_provinces(text)``, when the caller has it already.
    """
    index = _district_index()
    text_provinces = find_provinces(text) if provinces_named is None else provinces_named
    found: dict[tuple[str, str], int] = {}  # (district, province) -> first position

    def add(district: str, province: str, pos: int) -> None:
        key = (district, province)
        found[key] = min(pos, found.get(key, pos))

    for m in _district_re().finditer(text):
        prefix, name = m["prefix"], m["name"]
        after = PROVINCE_ALIASES.get(m["province"] or "", m["province"])
        if prefix != "อำเภอ" and not m["province"] and not _right_free(text, m.end("name")):
            continue
        if name == "เมือง":
            if after and after != "กรุงเทพมหานคร":
                add("เมือง" + after, after, m.start())
            continue
        candidates = index[name]
        if prefix == "เขต":
            candidates = [c for c in candidates if c == "กรุงเทพมหานคร"]
        elif prefix == "อ.":
            candidates = [c for c in candidates if c != "กรุงเทพมหานคร"] or candidates
        if len(candidates) > 1:
            narrowed = [after] if after in candidates else []
            narrowed = narrowed or [c for c in candidates if c in text_provinces]
            candidates = narrowed or candidates
        for c in candidates:
            add(name, c, m.start())

    by_name = _by_name()
    for pname in text_provinces:
        for district in by_name[pname].districts:
            if len(district) < 3:
                continue
            # str.find, not re.finditer: a literal needs no regex (and no cache lookup)
            start = text.find(district)
            while start >= 0:
                end = start + len(district)
                if _left_free(text, start) and _right_free(text, end):
                    add(district, pname, start)
                    break
                start = text.find(district, end)
    return sorted(found, key=found.__getitem__)


def normalize_letter_prefix(prefix: str) -> str:
    """'ฌข' -> 'ฉช' (known misprint), 'ชม' -> 'ชม'; unknown prefixes are returned as given."""
    p = province_by_abbr(prefix)
    return p.abbr if p else prefix.strip()


__all__ = [
    "ABBR_ALIASES",
    "AMBIGUOUS_PROVINCES",
    "PROVINCE_ALIASES",
    "Cluster",
    "Province",
    "clusters",
    "find_districts",
    "find_provinces",
    "normalize_letter_prefix",
    "place_names",
    "province_by_abbr",
    "province_by_name",
    "provinces",
]
