"""SearchIndex: the index lifecycle and search primitives the service builds on.

Layout of ``index_dir``::

    CURRENT            name of the live generation (replaced atomically)
    .admin.lock        flock held while creating/swapping generations
    gen-<ns>-<pid>/    a Whoosh index + khlang.json (schema_version, created)

Writers take Whoosh's file lock on the live generation, waiting up to ``lock_timeout``
seconds (several processes -- gunicorn workers, the CLI -- can call add_documents at once;
they take turns). Readers are never blocked: Whoosh readers see the last committed
generation of segments. ``rebuild()`` fills a fresh generation and then swaps CURRENT, so
searches keep working during a rebuild.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as Q
from whoosh.writing import LockError

from .analysis import normalize, word_texts
from .dictionary import DEFAULT_DICTIONARY
from .query import chunk_query, filter_query, normalize_filters, parse
from .schema import FACET_FIELDS, build_schema, decompress, schema_version, to_fields
from .snippet import make_snippet

log = logging.getLogger(__name__)

META_FILE = "khlang.json"


def _codec():
    """Whoosh's W3 codec without zlib on postings blocks: the syllable fields have many
    short postings lists and compressing each one was ~30% of commit time (+~10% size)."""
    from whoosh.codec.whoosh3 import W3Codec

    return W3Codec(compression=0)


class IndexBusy(RuntimeError):
    """The writer lock could not be taken within lock_timeout."""


class SearchIndex:
    def __init__(
        self,
        index_dir: Path | str,
        *,
        dictionary: str = DEFAULT_DICTIONARY,
        lock_timeout: float = 60.0,
    ):
        self.index_dir = Path(index_dir)
        self.dictionary = dictionary
        self.lock_timeout = lock_timeout
        self.recreated = False  # set by open_or_create() when it had to start empty
        self._lock = threading.RLock()
        self._gen: str | None = None
        self._ix: Any = None
        self._searcher: Any = None
        self._facet_cache: tuple[Any, dict[str, list[tuple[str, ...]]]] | None = None

    # --- versions ---------------------------------------------------------------------------

    @property
    def schema_version(self) -> str:
        return schema_version(self.dictionary)

    def stored_schema_version(self) -> str | None:
        gen = self._read_current()
        if gen is None:
            return None
        try:
            meta = json.loads((self.index_dir / gen / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return meta.get("schema_version")

    def needs_rebuild(self) -> bool:
        """True when the index is missing, was recreated empty, or was built by another
        analyzer/dictionary/schema version."""
        return self.recreated or self.stored_schema_version() != self.schema_version

    # --- generations ------------------------------------------------------------------------

    def _read_current(self) -> str | None:
        try:
            gen = (self.index_dir / "CURRENT").read_text("utf-8").strip()
        except OSError:
            return None
        return gen or None

    @contextlib.contextmanager
    def _admin_lock(self):
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".admin.lock", "a+") as fh:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexBusy("index administration lock busy") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _new_generation(self) -> str:
        gen = f"gen-{time.time_ns()}-{os.getpid()}"
        path = self.index_dir / gen
        path.mkdir(parents=True)
        windex.create_in(str(path), build_schema(self.dictionary))
        meta = {"schema_version": self.schema_version, "created": time.time()}
        (path / META_FILE).write_text(json.dumps(meta), "utf-8")
        return gen

    def _swap(self, gen: str) -> None:
        tmp = self.index_dir / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(gen, "utf-8")
        os.replace(tmp, self.index_dir / "CURRENT")

    def _cleanup(self, keep: set[str]) -> None:
        """Remove generations other than ``keep`` (readers in other processes that still
        have old files open keep them until they close: POSIX unlink semantics)."""
        for child in self.index_dir.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def _close(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        self._ix = None
        self._gen = None
        self._facet_cache = None

    def close(self) -> None:
        with self._lock:
            self._close()

    def _index(self):
        """The Whoosh index of the live generation (reopened when CURRENT changes)."""
        gen = self._read_current()
        if gen is None:
            raise FileNotFoundError(f"no search index in {self.index_dir}; call open_or_create()")
        if gen != self._gen or self._ix is None:
            self._close()
            self._ix = windex.open_dir(str(self.index_dir / gen))
            self._gen = gen
        return self._ix

    def _get_searcher(self):
        with self._lock:
            ix = self._index()
            if self._searcher is None:
                self._searcher = ix.searcher()
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers whose deletions have
                # changed (a deleted/updated document stays visible) and fails on an
                # EmptyReader. A fresh searcher costs a few file opens.
                self._searcher.close()
                self._searcher = ix.searcher()
            return self._searcher

    # --- lifecycle --------------------------------------------------------------------------

    def _healthy_gen(self, gen: str, deep: bool = False) -> bool:
        path = self.index_dir / gen
        try:
            json.loads((path / META_FILE).read_text("utf-8"))
            ix = windex.open_dir(str(path))
            with ix.searcher() as s:
                r = s.reader()
                n = r.doc_count_all()
                ids = list(r.lexicon("id"))
                if n and not ids:
                    return False
                for fname in ("title", "text", "syl", "syl3", "province"):
                    for k, term in enumerate(r.lexicon(fname)):
                        list(r.postings(fname, term).all_ids())
                        if not deep and k >= 2:
                            break
                docnums = list(r.all_doc_ids())
                sample = docnums if deep else docnums[:1] + docnums[-1:]
                for d in sample:
                    decompress(r.stored_fields(d).get("body"))
                if docnums:  # one real query through every layer
                    s.search(Q.Term("id", ids[0]), limit=1)
            return True
        except Exception as exc:  # any failure to read is "not healthy"
            log.warning("search index generation %s unreadable: %r", gen, exc)
            return False

    def is_healthy(self, deep: bool = False) -> bool:
        """Can the live generation be opened and read? ``deep`` reads every postings list and
        stored document (slow on a large index)."""
        gen = self._read_current()
        return gen is not None and self._healthy_gen(gen, deep=deep)

    def open_or_create(self) -> SearchIndex:
        """Open the index, creating it if absent and recreating it (empty) if it cannot be
        read. Never fatal for a damaged index: afterwards ``recreated``/``needs_rebuild()``
        tell the caller to re-add documents."""
        with self._lock, self._admin_lock():
            gen = self._read_current()
            if gen is None or not self._healthy_gen(gen):
                if gen is not None:
                    log.error("search index %s damaged; recreating it empty", gen)
                self._close()
                new = self._new_generation()
                self._swap(new)
                self.recreated = True
                self._cleanup(keep={new})
            self._index()
        return self

    # --- writing ----------------------------------------------------------------------------

    def _writer(self, ix):
        try:
            return ix.writer(timeout=self.lock_timeout, delay=0.05, codec=_codec())
        except LockError:
            raise IndexBusy(f"index writer lock not free after {self.lock_timeout}s") from None

    def _write(self, batch: list[dict], delete_ids: Iterable[int] = ()) -> None:
        with self._lock:
            ix = self._index()
        w = self._writer(ix)
        try:
            for doc in batch:
                w.update_document(**to_fields(doc))
            for doc_id in delete_ids:
                w.delete_by_term("id", str(int(doc_id)))
            w.commit()
        except BaseException:
            w.cancel()
            raise

    def add_documents(self, docs: Iterable[dict], batch_size: int = 200) -> int:
        """Add or replace documents (by ``id``), committing every ``batch_size`` documents so
        memory stays bounded. Returns the number written."""
        n = 0
        batch: list[dict] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                self._write(batch)
                n += len(batch)
                batch = []
        if batch:
            self._write(batch)
            n += len(batch)
        return n

    def delete_document(self, doc_id: int) -> None:
        self._write([], delete_ids=[doc_id])

    def indexed_ids(self) -> set[int]:
        s = self._get_searcher()
        r = s.reader()
        col = r.column_reader("id")
        return {int(col[d]) for d in r.all_doc_ids()}  # live documents only

    def doc_count(self) -> int:
        return self._get_searcher().doc_count()

    def rebuild(
        self,
        docs_iter: Iterable[dict],
        progress: Callable[[int], Any] | None = None,
        *,
        limitmb: int = 256,
    ) -> int:
        """Index ``docs_iter`` into a fresh generation, then atomically make it live.

        Searches keep using the old generation until the swap. Writes that other processes
        make to the old generation during the rebuild are not carried over: run rebuild from
        one maintenance process and reconcile afterwards (``indexed_ids()``).
        ``progress(n_done)`` is called every 100 documents and at the end."""
        with self._admin_lock():
            gen = self._new_generation()
        ix = windex.open_dir(str(self.index_dir / gen))
        w = ix.writer(limitmb=limitmb, codec=_codec())
        n = 0
        try:
            seen: set[str] = set()
            for doc in docs_iter:
                fields = to_fields(doc)
                if fields["id"] in seen:
                    w.update_document(**fields)
                else:
                    w.add_document(**fields)
                    seen.add(fields["id"])
                n += 1
                if progress is not None and n % 100 == 0:
                    progress(n)
            w.commit()
        except BaseException:
            w.cancel()
            shutil.rmtree(self.index_dir / gen, ignore_errors=True)
            raise
        with self._lock, self._admin_lock():
            old = self._read_current()
            self._swap(gen)
            self._close()
            self.recreated = False
            self._cleanup(keep={gen} | ({old} if old else set()))
            self._index()
        if progress is not None:
            progress(n)
        return n

    # --- searching --------------------------------------------------------------------------

    def _facet_values(self, searcher) -> dict[str, list[tuple[str, ...]]]:
        """Per facet field, the values of every docnum (cached per reader)."""
        reader = searcher.reader()
        if self._facet_cache is not None and self._facet_cache[0] is reader:
            return self._facet_cache[1]
        size = reader.doc_count_all()
        table: dict[str, list[tuple[str, ...]]] = {}
        for fname in FACET_FIELDS:
            per_doc: list[list[str]] = [[] for _ in range(size)]
            for term in reader.lexicon(fname):
                value = term.decode("utf-8") if isinstance(term, bytes) else term
                if not value:
                    continue
                for d in reader.postings(fname, term).all_ids():
                    per_doc[d].append(value)
            table[fname] = [tuple(v) for v in per_doc]
        self._facet_cache = (reader, table)
        return table

    def _facets(self, searcher, docs: Iterable[int]) -> dict[str, list[dict]]:
        table = self._facet_values(searcher)
        out: dict[str, list[dict]] = {}
        docs = list(docs)
        for fname in FACET_FIELDS:
            col = table[fname]
            counts = Counter(v for d in docs for v in col[d])
            out[fname] = [
                {"value": v, "count": c}
                for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
        return out

    def _hit(self, searcher, docnum: int, score: float | None, chunks: list[str]) -> dict:
        f = searcher.stored_fields(docnum)
        fy = f.get("fiscal_year") or ""
        return {
            "document_id": int(f["id"]),
            "title": f.get("title") or "",
            "filename": f.get("filename") or "",
            "score": round(float(score or 0.0), 4),
            "snippet": make_snippet(decompress(f.get("body")), chunks, dictionary=self.dictionary),
            "kind": f.get("kind") or "",
            "category": f.get("category") or "",
            "fiscal_year": int(fy) if fy.isdigit() else None,
            "date": f.get("date") or None,
        }

    def _suggest(self, searcher, chunks: list[str]) -> str | None:
        """ "Did you mean": each chunk is corrected whole against the word lexicon if it is
        within a small edit distance of a known word, else word by word."""
        reader = searcher.reader()
        corrector = searcher.corrector("text")

        def known(w: str) -> bool:
            return reader.doc_frequency("text", w) > 0

        def fix(w: str) -> str | None:
            if len(w) < 3:
                return None
            cands = corrector.suggest(w, limit=1, maxdist=1 if len(w) <= 4 else 2)
            return cands[0] if cands else None

        changed = False
        out = []
        for chunk in chunks:
            norm = normalize(chunk)
            whole = "".join(word_texts(norm, self.dictionary))
            if known(whole):
                out.append(whole)
                continue
            cand = fix(whole)
            if cand:
                out.append(cand)
                changed = True
                continue
            fixed = []
            for w in word_texts(norm, self.dictionary):
                cand = None if known(w) else fix(w)
                fixed.append(cand or w)
                changed = changed or bool(cand)
            out.append("".join(fixed))
        return " ".join(out) if changed else None

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        offset: int = 0,
        sort: str = "relevance",
        published_only: bool = False,
        filters: dict | None = None,
        relaxed: bool = False,
    ) -> dict:
        """Search; see the module docstring of :mod:`indexer.search.query` for the language.

        Documents matching every clause come first (relevance sort), then documents matching
        some. ``total`` and ``facets`` count every match after filters (and the
        ``published_only`` visibility filter).

        ``relaxed=True`` is for natural-language questions: an unbroken Thai chunk is no
        longer a phrase but its content words (stopwords dropped), each a clause."""
        if sort not in ("relevance", "date"):
            raise ValueError("sort must be 'relevance' or 'date'")
        limit = max(0, int(limit))
        offset = max(0, int(offset))
        pq = parse(query)
        merged = normalize_filters(filters)
        for k, vs in pq.filters.items():
            merged.setdefault(k, []).extend(vs)
        pq.filters = merged

        positive = pq.positive
        if relaxed:
            from .similar import content_words

            positive = [w for chunk in positive for w in content_words(chunk, self.dictionary)]
        clauses = [c for c in (chunk_query(t, self.dictionary) for t in positive) if c]
        excluded = [c for c in (chunk_query(t, self.dictionary) for t in pq.excluded) if c]
        fq = filter_query(merged, published_only)

        if clauses:
            q_any: Q.Query = clauses[0] if len(clauses) == 1 else Q.Or(clauses)
            q_all: Q.Query | None = Q.And(clauses) if len(clauses) > 1 else None
        else:
            q_any = Q.Every()
            q_all = None
        if excluded:
            neg = excluded[0] if len(excluded) == 1 else Q.Or(excluded)
            q_any = Q.AndNot(q_any, neg)
            if q_all is not None:
                q_all = Q.AndNot(q_all, neg)

        s = self._get_searcher()
        want = offset + limit
        page: list[tuple[int, float | None]] = []
        if sort == "date" or not clauses:
            r = s.search(
                q_any,
                limit=max(want, 1),
                filter=fq,
                sortedby="date" if sort == "date" or not clauses else None,
                reverse=True,
            )
            total = len(r)
            docs = r.docs()
            page = [(h.docnum, None) for h in r[offset:want]]  # h.score is the sort key
        elif q_all is None:
            r = s.search(q_any, limit=max(want, 1), filter=fq)
            total = len(r)
            docs = r.docs()
            page = [(h.docnum, h.score) for h in r[offset:want]]
        else:
            # tier 1: documents with every clause; tier 2: the rest of the partial matches
            r1 = s.search(q_all, limit=max(want, 1), filter=fq)
            n1 = len(r1)
            tier1 = r1.docs()  # a docnum set: whoosh would re-run q_all for a query mask
            r2 = s.search(q_any, limit=max(want - n1, 1), filter=fq, mask=tier1)
            total = n1 + len(r2)
            docs = set(tier1) | set(r2.docs())
            page = [(h.docnum, h.score) for h in r1[offset:want]]
            if want > n1:
                skip = max(0, offset - n1)
                page += [(h.docnum, h.score) for h in r2[skip : skip + (want - n1) - skip]]
                page = page[:limit]

        hits = [self._hit(s, d, sc, positive) for d, sc in page[:limit]]
        suggestion = self._suggest(s, pq.positive) if total == 0 and pq.positive else None
        return {
            "total": int(total),
            "hits": hits,
            "facets": self._facets(s, docs),
            "suggestion": suggestion,
            "query": pq.to_dict(),
        }

    # --- reuse lookup -----------------------------------------------------------------------

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
        ``shared_terms`` (key terms of ``text`` that the document contains)."""
        from .similar import key_terms

        s = self._get_searcher()
        terms = key_terms(s.reader(), text, self.dictionary, max_terms=max_terms, min_df=min_df)
        if not terms:
            return []
        subqs = []
        for t, w in terms:
            subqs.append(Q.Term("text", t, boost=w))
            subqs.append(Q.Term("title", t, boost=w * 1.5))
        excl = {str(int(i)) for i in exclude_ids}
        mask = Q.Or([Q.Term("id", i) for i in excl]) if excl else None
        fq = filter_query({}, published_only)
        r = s.search(Q.Or(subqs), limit=limit, filter=fq, mask=mask, terms=True)
        out = []
        order = [t for t, _ in terms]
        for h in r:
            matched = {
                (t.decode("utf-8") if isinstance(t, bytes) else t) for _f, t in h.matched_terms()
            }
            shared = [t for t in order if t in matched]
            hit = self._hit(s, h.docnum, h.score, shared[:8])
            hit["shared_terms"] = shared
            out.append(hit)
        return out

    def similar_to_document(
        self, doc_id: int, limit: int = 10, published_only: bool = False
    ) -> list[dict]:
        s = self._get_searcher()
        docnum = s.document_number(id=str(int(doc_id)))
        if docnum is None:
            raise KeyError(doc_id)
        f = s.stored_fields(docnum)
        text = f"{f.get('title') or ''}\n{decompress(f.get('body'))}"
        # terms only this document has cannot be shared: min_df=2
        return self.similar(text, limit, published_only, exclude_ids=[doc_id], min_df=2)
