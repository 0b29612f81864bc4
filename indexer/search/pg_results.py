"""What a ``postgres`` search hands back: its hits (stored fields and a snippet each) and
the documents most like a text (:class:`~indexer.search.pg_search.Searcher`'s searches)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .pg_arrays import id_array
from .pg_ranking import TOP_K, Lexicon
from .similar import key_terms
from .snippet import make_snippet

if TYPE_CHECKING:
    from .pg_search import Searcher


def hits(s: Searcher, page: list, names: list, chunk_texts: list[str] | dict) -> list[dict]:
    """Hit dicts of ``page``; ``chunk_texts`` marked in the snippets (per document: a
    dict)."""
    stored = s.store.stored(s.state.gen, [d for d, _ in page])
    out = []
    for (doc, score), name in zip(page, names, strict=True):
        _id, title, filename, kind, category, fy, date, received, body, project = stored[doc]
        out.append(
            {
                "document_id": doc,
                "title": title,
                "filename": filename,
                "score": round(float(score or 0.0), 4),
                "snippet": make_snippet(
                    body,
                    chunk_texts[doc] if isinstance(chunk_texts, dict) else chunk_texts,
                    dictionary=s.dictionary,
                ),
                "kind": kind,
                "category": category,
                "fiscal_year": int(fy) if fy.isdigit() else None,
                "date": date or None,
                "received": received or None,
                "match": name,
                "projects": sorted(project),
            }
        )
    return out


def similar(s: Searcher, text: str, limit: int, exclude_ids) -> list[dict]:
    """The ``limit`` documents (but ``exclude_ids``) sharing most of ``text``'s key terms,
    each with the terms it shares."""
    terms = key_terms(Lexicon(s.scorer), text, s.dictionary)
    if not terms:
        return []
    clauses = [(w, [t]) for t, w in terms]
    words = [t for t, _ in terms]
    found: set[int] = set()
    for w in words:
        found.update(s.store.top_postings(s.state.gen, w, max(TOP_K, 10 * limit)))
    found -= set(exclude_ids)
    if s.base and found:
        found &= s.docs(("doc_id = ANY(%s::bigint[])", [id_array(found)]))
    # as the Whoosh backend: a key term in the text, and x1.5 in the title
    scores = s.scorer.scores(clauses, id_array(found), {"text": 1.0, "title": 1.5})
    best = sorted(scores.items(), key=lambda ds: (-ds[1], ds[0]))[:limit]
    present = defaultdict(set)
    for term, doc, *_tfs in s.store.postings(s.state.gen, words, [d for d, _ in best]):
        present[doc].add(term)
    shared = {d: [t for t in words if t in present[d]] for d, _ in best}
    out = hits(s, best, [None] * len(best), {d: ts[:8] for d, ts in shared.items()})
    for hit in out:
        hit["shared_terms"] = shared[hit["document_id"]]
    return out
