"""The Thai words Khlang knows beyond pythainlp's list: the versioned domain words
(``data/domain_words.txt``: programme and agency words of provincial-cluster work) and the
place names of :mod:`indexer.thai.gazetteer`. The search dictionary
(:mod:`indexer.search.dictionary`) folds them as its analyzer reads text and loads them into
the segmenter; the OCR word correction (:mod:`indexer.thai.ocr_words`) counts them as words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DOMAIN_WORDS_FILE = Path(__file__).resolve().parent / "data" / "domain_words.txt"


@lru_cache(maxsize=1)
def domain_words() -> tuple[str, tuple[str, ...]]:
    """(the list's ``# version:``, its words as written)."""
    version = "0"
    words: list[str] = []
    for line in DOMAIN_WORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#\s*version:\s*(\S+)", line)
            if m:
                version = m.group(1)
            continue
        words.append(line)
    return version, tuple(words)


@lru_cache(maxsize=1)
def place_names() -> tuple[str, tuple[str, ...]]:
    """(where the names come from, the names): the gazetteer's provinces, districts and the
    18 cluster names (with and without their number); pythainlp's province list if the
    gazetteer's data is absent."""
    try:
        from indexer.thai.gazetteer import place_names as gazetteer_names
    except ImportError:
        from importlib.resources import files

        text = files("pythainlp.corpus").joinpath("thailand_provinces_th.csv").read_text("utf-8")
        return "pythainlp-provinces", tuple(row.split(",")[0] for row in text.splitlines() if row)
    return "gazetteer", tuple(gazetteer_names())


# A run of Thai letters and marks: an entry's words as text holds them (a cluster's name
# without its number, an abbreviation without its dots)
_THAI_RUN = re.compile("[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e]+")


def entry_words(entry: str) -> list[str]:
    """The Thai words of a list entry: "ผอ.รพ.สต." -> ["ผอรพสต"], "กลุ่มจังหวัดภาคเหนือตอนบน 1"
    -> ["กลุ่มจังหวัดภาคเหนือตอนบน"]."""
    return _THAI_RUN.findall(entry.replace(".", ""))


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """pythainlp's Thai words, with the domain words' and the place names' Thai words."""
    from pythainlp.corpus import thai_words

    extra = (*domain_words()[1], *place_names()[1])
    return frozenset(thai_words()).union(*(entry_words(entry) for entry in extra))
