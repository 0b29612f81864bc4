"""Relevance: the written-down query set over seeds + gov texts, and QA retrieval (iapp and
XQuAD-th) in every search mode a user can reach, beside a plain BM25 over newmm words.

Every question of both sets (739 and 1,190): ``KHLANG_QA_ALL=1 python -m pytest -s
tests/test_search_relevance.py -k qa``."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from indexer.search.backend import SearchBackend, search_backend
from schemas.config import Settings

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2] / "shared"
REL = HERE / "relevance"
IAPP = SHARED / "corpus" / "qa" / "iapp_wiki_qa_squad_test.jsonl"
XQUAD = SHARED / "corpus" / "qa" / "xquad.th.json"


def _doc(n: int, key: str, spec: dict) -> dict:
    path = SHARED / spec["path"]
    text = path.read_text(encoding="utf-8")
    if spec.get("line"):  # one line of a file of short texts (1-based)
        text = text.splitlines()[spec["line"] - 1]
    return {
        "id": n,
        "title": key,
        "filename": path.name,
        "text": text,
        "category": "",
        "kind": spec.get("kind") or "",
        "fiscal_year": spec.get("fiscal_year"),
        "date": None,
        "provinces": spec.get("provinces") or [],
        "projects": [],
        "agencies": [],
        "publication": "published",
        "mime": "text/plain",
        "letter_number": None,
        "metadata_text": "",
    }


def open_backend(where: Path) -> SearchBackend:
    """A search backend with its index under ``where``, through the seam, so that these
    figures can be had of any engine (the default one: KHLANG_SEARCH_BACKEND's default)."""
    return search_backend(Settings(data_dir=where, database_url=f"sqlite:///{where / 'k.db'}"))


@pytest.fixture(scope="module")
def rel_index(tmp_path_factory):
    specs = json.loads((REL / "documents.json").read_text("utf-8"))
    if not all((SHARED / s["path"]).exists() for s in specs.values()):
        pytest.skip("../shared corpus not present")
    keys = list(specs)
    ix = open_backend(tmp_path_factory.mktemp("rel"))
    ix.index(_doc(i + 1, k, specs[k]) for i, k in enumerate(keys))
    return ix, {i + 1: k for i, k in enumerate(keys)}


def test_relevance_set(rel_index):
    ix, key_of = rel_index
    queries = json.loads((REL / "queries.json").read_text("utf-8"))
    failures = []
    covered: set[str] = set()
    for q in queries:
        r = ix.search(q["query"], limit=10).as_dict()
        got = [key_of[h["document_id"]] for h in r["hits"]]
        top = q.get("top", 5)
        if q.get("first") and (not got or got[0] != q["first"]):
            failures.append((q["query"], "first", q["first"], got))
        if q.get("tier") and (not got or r["hits"][0]["match"] != q["tier"]):
            failures.append((q["query"], "tier", q["tier"], r["hits"][:1]))
        for k in q.get("must_find", []):
            if k not in got[:top]:
                failures.append((q["query"], f"top{top}", k, got))
        for k in q.get("must_not_find", []):
            if k in got:
                failures.append((q["query"], "must_not", k, got))
        # the words are there, scattered: the strict all-words mode finds nothing
        strict = ix.search(q["query"], limit=10, match="all").as_dict()
        if q.get("no_hits") and strict["total"]:
            failures.append((q["query"], "no_hits", strict["total"], strict["hits"]))
        covered.update(q.get("covers", []))
    print(f"\nrelevance set: {len(queries)} queries, {len(failures)} failures")
    assert not failures, failures
    assert {
        "thai-digits",
        "arabic-digits",
        "compound",
        "phrase",
        "abbreviation",
        "tone",
        "tone-negative",
        "mai-yamok",
        "scattered",
        "mixed",
        "question",
    } <= covered


def _iapp() -> list[tuple[str, str, str]]:
    """(question, context, title) of every iapp question (739, on 192 passages)."""
    rows = [json.loads(line) for line in IAPP.read_text("utf-8").splitlines() if line.strip()]
    return [(r["question"], r["context"], r.get("title") or "") for r in rows]


def _xquad() -> list[tuple[str, str, str]]:
    """(question, context, title) of every XQuAD-th question (1190, on 240 passages)."""
    out = []
    for article in json.loads(XQUAD.read_text("utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"].lstrip("\ufeff")
            out += [
                (qa["question"], context, article.get("title") or "") for qa in paragraph["qas"]
            ]
    return out


QA_SETS = {"iapp": (IAPP, _iapp), "xquad": (XQUAD, _xquad)}
# What a user can reach: the default search (the search box, /api/search, khlang search),
# the strict all-words mode (match=all, khlang search --all) and the reuse lookup
# (similar).
QA_MODES = {
    "default": lambda ix, q: [h.document_id for h in ix.search(q, limit=10).hits],
    "all": lambda ix, q: [h.document_id for h in ix.search(q, limit=10, match="all").hits],
    "similar": lambda ix, q: [h.document_id for h in ix.similar(q, limit=10)],
}
# Floors a little under the figures measured on every question (KHLANG_QA_ALL=1, printed
# with -s) and on the sample: the strict all-words mode stays low on questions by design,
# since an unbroken Thai run is a phrase there.
QA_FLOORS = {
    ("iapp", "default"): (0.98, 0.95),
    ("iapp", "all"): (0.55, 0.50),
    ("iapp", "similar"): (0.95, 0.88),
    ("xquad", "default"): (0.97, 0.93),
    ("xquad", "all"): (0.22, 0.18),
    ("xquad", "similar"): (0.95, 0.88),
}
BASELINE = "BM25 newmm"


def _plain_bm25(passages: list[str]):
    """A plain BM25 (rank_bm25's Okapi) over pythainlp's newmm words, no stopwords, no
    fields: what the default search is compared with, on the same passages."""
    from pythainlp.tokenize import word_tokenize
    from rank_bm25 import BM25Okapi

    def words(text: str) -> list[str]:
        return [w for w in word_tokenize(text, engine="newmm", keep_whitespace=False) if w]

    bm25 = BM25Okapi([words(p) for p in passages])

    def ask(question: str) -> list[int]:
        scores = bm25.get_scores(words(question))
        best = sorted(range(len(passages)), key=lambda i: (-scores[i], i))[:10]
        return [i + 1 for i in best if scores[i] > 0]  # document ids are 1-based

    return ask


# Questions asked per set: a fixed sample (seed 11) keeps the test near a minute on the
# 2-core machine; KHLANG_QA_ALL=1 asks every question.
QA_SAMPLE = 300


@pytest.mark.parametrize("name", QA_SETS)
def test_qa_retrieval(tmp_path, name):
    """Index each QA set's unique passages, ask every question in each reachable mode and
    measure recall@10 (the question's passage among the first ten) and MRR."""
    path, load = QA_SETS[name]
    if not path.exists():
        pytest.skip("../shared/corpus/qa not present")
    questions = load()
    every = questions
    if not os.environ.get("KHLANG_QA_ALL"):
        questions = random.Random(11).sample(questions, QA_SAMPLE)
    contexts: dict[str, int] = {}
    docs = []
    for _question, context, title in every:  # every passage: the haystack stays whole
        if context not in contexts:
            contexts[context] = len(contexts) + 1
            docs.append(
                {
                    "id": contexts[context],
                    "title": title,
                    "text": context,
                    "publication": "published",
                }
            )
    ix = open_backend(tmp_path / name)
    ix.index(docs)
    baseline = _plain_bm25([d["text"] for d in docs])
    asks = {mode: lambda q, ask=ask: ask(ix, q) for mode, ask in QA_MODES.items()}
    asks[BASELINE] = baseline
    figures = {}
    for mode, ask in asks.items():
        found = 0
        reciprocal = 0.0
        for question, context, _title in questions:
            got = ask(question)
            want = contexts[context]
            if want in got:
                found += 1
                reciprocal += 1.0 / (got.index(want) + 1)
        figures[mode] = (found / len(questions), reciprocal / len(questions))
    print(f"\nQA {name}: {len(questions)} questions on {len(docs)} passages")
    for mode, (recall, mrr) in figures.items():
        print(f"  {mode:10} recall@10={recall:.3f} MRR@10={mrr:.3f}")
    for mode, (recall, mrr) in figures.items():
        if mode == BASELINE:
            continue
        floor_recall, floor_mrr = QA_FLOORS[(name, mode)]
        assert recall >= floor_recall and mrr >= floor_mrr, (mode, recall, mrr)
    # the search box answers questions at least as well as a plain BM25 does (measured on
    # every question: iapp 0.978 against 0.962, XQuAD-th 0.959 against 0.958)
    assert figures["default"][1] >= figures[BASELINE][1], figures
