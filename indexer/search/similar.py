"""Key terms of a free-text paragraph, for the reuse lookup (SearchIndex.similar)."""

from __future__ import annotations

import math
import re
from collections import Counter

from .analysis import normalize, word_texts
from .stopwords import is_stopword


def _keep(term: str) -> bool:
    if len(term) < 2 or term.isdigit() or re.fullmatch(r"[0-9.,/]+", term):
        return False
    return not is_stopword(term)


def content_words(chunk: str, dictionary: str) -> list[str]:
    """The words of a chunk minus stopwords (the chunk itself if nothing is left)."""
    words = word_texts(normalize(chunk), dictionary)
    if len(words) <= 1:
        return [chunk]
    kept = list(dict.fromkeys(w for w in words if w.isdigit() or _keep(w)))
    return kept or [chunk]


def key_terms(
    reader, text: str, dictionary: str, max_terms: int = 25, min_df: int = 1
) -> list[tuple[str, float]]:
    """TF-IDF key terms of ``text`` against the index's ``text`` field, best first; terms
    the index has never seen are skipped (they cannot be shared)."""
    counts = Counter(t for t in word_texts(normalize(text), dictionary) if _keep(t))
    n_docs = max(1, reader.doc_count())
    scored = []
    for term, tf in counts.items():
        df = reader.doc_frequency("text", term)
        if df == 0 or (df > 0.5 * n_docs and n_docs > 20):
            continue
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        scored.append((term, (1 + math.log(tf)) * idf))
    scored.sort(key=lambda tw: (-tw[1], tw[0]))
    return [(t, round(w, 4)) for t, w in scored[:max_terms]]


def similar_projects(hits: list[dict], limit: int = 10, documents_each: int = 5) -> list[dict]:
    """Projects of the similar documents ``hits`` (from SearchIndex.similar, each with its
    ``projects``: the linked inventory items' and those named in its metadata), most
    similar first: a project's score is the sum of its documents' scores, so a project
    with several close outputs ranks above one with a single one; its shared terms are
    those of its documents, in the order the documents came."""
    groups: dict[str, dict] = {}
    for hit in hits:
        for name in hit.get("projects") or []:
            group = groups.setdefault(
                name, {"project": name, "score": 0.0, "shared_terms": [], "documents": []}
            )
            group["score"] += hit.get("score") or 0.0
            if len(group["documents"]) < documents_each:
                group["documents"].append(
                    {"document_id": hit["document_id"], "title": hit.get("title") or ""}
                )
            for term in hit.get("shared_terms") or []:
                if term not in group["shared_terms"]:
                    group["shared_terms"].append(term)
    ranked = sorted(groups.values(), key=lambda g: (-g["score"], g["project"]))[:limit]
    for group in ranked:
        group["score"] = round(group["score"], 4)
    return ranked
