"""The reuse lookup: past documents like a free-text description (a new project's) or like
another document, their key terms shared, grouped by project (``similar_projects``).

``SimilarDocuments`` is the part of :class:`indexer.search.index.SearchIndex` that answers
it; the key terms and the content words of a chunk (used by the tiers too) are here."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .analysis import normalize, word_texts
from .query import repair_query
from .schema import decompress
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


class SimilarDocuments:
    """The reuse lookup of :class:`indexer.search.index.SearchIndex`: past documents like a
    description or like another document."""

    def similar(
        self,
        text: str,
        limit: int = 10,
        published_only: bool = False,
        *,
        exclude_ids: Iterable[int] = (),
        max_terms: int = 25,
        min_df: int = 1,
    ) -> list[dict]:
        """Past documents most similar to a free-text description; each hit carries the
        ``shared_terms`` (key terms of ``text`` that the document contains) and its
        ``projects`` (see :func:`indexer.search.similar.similar_projects`)."""
        text = repair_query(text)

        def run() -> list[dict]:
            s = self._get_searcher()
            tables = self._tables(s)
            terms = key_terms(s.reader(), text, self.dictionary, max_terms=max_terms, min_df=min_df)
            if not terms:
                return []
            flat = []
            for t, w in terms:
                flat += [(w, [("text", t)]), (w * 1.5, [("title", t)])]
            within = tables.live.copy()
            allowed = tables.filter_docs({}, published_only)
            if allowed is not None:
                within &= allowed
            excluded = np.fromiter((int(i) for i in exclude_ids), dtype=np.int64)
            within[tables.docnums_of_ids(excluded)] = False
            out = []
            for docnum, score in tables.bm25_top(s, flat, within, limit):
                shared = [t for t, _ in terms if tables.has_term(s, docnum, ("text", "title"), t)]
                hit = self._hit(s, docnum, score, shared[:8])
                hit["shared_terms"] = shared
                hit["projects"] = list(tables.projects_of(docnum))
                out.append(hit)
            return out

        return self._answering(run)

    def similar_to_document(
        self, doc_id: int, limit: int = 10, published_only: bool = False
    ) -> list[dict]:
        def body() -> str | None:
            s = self._get_searcher()
            docnum = s.document_number(id=str(int(doc_id)))
            if docnum is None:
                return None
            f = s.stored_fields(docnum)
            return f"{f.get('title') or ''}\n{decompress(f.get('body'))}"

        text = self._answering(body)
        if text is None:
            raise KeyError(doc_id)
        # terms only this document has cannot be shared: min_df=2
        return self.similar(text, limit, published_only, exclude_ids=[doc_id], min_df=2)
