"""The versioned segmentation dictionary, loaded into nlpo3 by name.

The word list is pythainlp's standard Thai words + the domain words and place names of
:mod:`indexer.thai.lexicon` (``indexer/thai/data/domain_words.txt``: bump its ``# version:``
line when it changes; the index records the dictionary version and a hash of the final
list, and a rebuild is then asked for), folded as the analyzer folds text. Latin programme
names (DSSS, OSM, PADME) need no entry: Latin runs are lowercased whole words. It is written once per process to a cache file and
loaded into nlpo3's in-memory dictionary registry under a name that includes the version and
a hash of the final list. Analyzers refer to the dictionary only by that name, so nothing
large is ever pickled into a Whoosh schema.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.thai import lexicon

from .normalize import normalize

DEFAULT_DICTIONARY = "khlang"

_THAI_RUN = re.compile("[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e]+")
_lock = threading.Lock()
_loaded: dict[str, str] = {}  # public name -> nlpo3 registry name


@dataclass(frozen=True)
class DictionaryInfo:
    name: str
    version: str  # "<domain list version>-<sha1 of the final word list, 12 hex>"
    nlpo3_name: str
    word_count: int
    place_source: str  # "gazetteer" or "pythainlp-provinces"


def _fold_entry(word: str) -> list[str]:
    """Dictionary entries as the analyzer will see them: dots folded, split into Thai runs."""
    return _THAI_RUN.findall(normalize(word))


@lru_cache(maxsize=4)
def word_list(name: str = DEFAULT_DICTIONARY) -> tuple[str, str, tuple[str, ...]]:
    """(version, place source, sorted words) for the named dictionary."""
    if name != DEFAULT_DICTIONARY:
        raise KeyError(f"unknown search dictionary {name!r}")
    from pythainlp.corpus import thai_words

    domain_version, domain = lexicon.domain_words()
    place_source, places = lexicon.place_names()
    words: set[str] = set(thai_words())
    for w in (*domain, *places):
        words.update(r for r in _fold_entry(w) if r)
    ordered = tuple(sorted(words))
    digest = hashlib.sha1("\n".join(ordered).encode("utf-8")).hexdigest()[:12]
    return f"{domain_version}-{digest}", place_source, ordered


def load(name: str = DEFAULT_DICTIONARY) -> DictionaryInfo:
    """Load the named dictionary into nlpo3 (once per process) and describe it."""
    version, place_source, words = word_list(name)
    nlpo3_name = f"khlang-{name}-{version}"
    with _lock:
        if name not in _loaded:
            import nlpo3

            cache_dir = Path(tempfile.gettempdir()) / f"khlang-dict-{os.getuid()}"
            cache_dir.mkdir(parents=True, exist_ok=True)
            path = cache_dir / f"{nlpo3_name}.txt"
            if not path.exists():
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text("\n".join(words) + "\n", encoding="utf-8")
                os.replace(tmp, path)
            msg, ok = nlpo3.load_dict(str(path), nlpo3_name)
            if not ok and "already" not in str(msg).lower():
                raise RuntimeError(f"nlpo3 could not load {path}: {msg}")
            _loaded[name] = nlpo3_name
    return DictionaryInfo(name, version, nlpo3_name, len(words), place_source)
