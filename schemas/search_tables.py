"""The tables of one search generation: the ``postgres`` backend's ``documents``, ``pieces``,
``postings`` and ``terms`` are partitioned by generation (migration 0015), each
generation's rows in tables of their own (``khlang_search.documents_g7`` ...) attached to
the parents that searches read.

Why (measured at 2,000 documents, a rebuild on this 2-core machine): with one table for
every generation, a rebuild's rows went in under the live generation's indexes, kept up row
by row (two GIN, five B-trees) and a foreign-key check a row: 28.8 s of a 42.6 s build were
the server's, 13.2 the analyzer's. Now a rebuild writes its generation's tables bare
(:func:`create_sql` ``indexed=False``), counts the words' document frequencies once from
the postings, makes the indexes in one pass each (:func:`finish_sql`: sorted builds, GIN
from a sorted run) and attaches the tables: the ``CHECK (gen = N)`` each carries lets
PostgreSQL attach without scanning them. A retired generation goes as ``DROP TABLE``, not
as millions of deleted rows. The live generation is written to as before (its tables have
their indexes from the start, :func:`create_sql` ``indexed=True``).

The SQL here is plain text, so that the migration that made the tables partitioned and the
backend make a generation's tables alike; it lives with the schemas because migrations
(schemas) may not import the indexer, which is built on them.
"""

from __future__ import annotations

TABLES = ("documents", "pieces", "postings", "terms")

# maintenance_work_mem of the session building a generation's indexes: a GIN build past it
# spills to disk and merges (the server's default, 64 MB, is sized for many sessions)
BUILD_MEMORY = "256MB"


def partition(table: str, gen: int) -> str:
    """The qualified name of generation ``gen``'s table of ``table``."""
    return f"khlang_search.{table}_g{int(gen)}"


def _indexes(gen: int, unaligned: bool = True) -> list[str]:
    """The indexes (and keys) of a generation's tables, as migrations 0009 and 0011 made
    them on the shared tables (the impact index covering as 0017 made it); ``unaligned``:
    and 0016's."""
    g = int(gen)
    d, pc, po, t = (partition(x, g) for x in TABLES)
    return [
        f"ALTER TABLE {d} ADD PRIMARY KEY (gen, doc_id)",
        f"CREATE INDEX documents_g{g}_words ON {d} USING gin (words)",
        f"CREATE INDEX documents_g{g}_grams ON {d} USING gin (grams)",
        f"CREATE INDEX documents_g{g}_date ON {d} (gen, date DESC, doc_id DESC)",
        f"CREATE INDEX documents_g{g}_facets ON {d} (gen, doc_id) INCLUDE (fiscal_year,"
        " province, project, agency, category, kind, sender, urgency, has_deadline,"
        " publication, date, len_title, len_meta, len_text)",
        f"ALTER TABLE {pc} ADD PRIMARY KEY (gen, doc_id, piece)",
        f"CREATE INDEX pieces_g{g}_units ON {pc} USING gin (units gin_trgm_ops)",
        f"ALTER TABLE {po} ADD PRIMARY KEY (gen, term, doc_id)",
        impact_index_sql(g),
        f"CREATE INDEX postings_g{g}_doc ON {po} (gen, doc_id)",
        f"ALTER TABLE {t} ADD PRIMARY KEY (gen, term)",
        terms_trigram_index_sql(g),
    ] + ([unaligned_index_sql(g)] if unaligned else [])


def impact_index_sql(gen: int, name: str = "impact") -> str:
    """Each word's postings by impact (a word's best documents: an index range, no sort),
    covering the frequencies (migration 0017): ranking reads its candidates' postings of
    the query's words as an index-only range a word, joined to the candidates by hash (at
    10k, a question's 2,000 candidates' postings took 30-160 ms through the document
    index, 10-13 ms so)."""
    g = int(gen)
    return (
        f"CREATE INDEX postings_g{g}_{name} ON {partition('postings', g)}"
        " (gen, term, impact DESC, doc_id) INCLUDE (tf_title, tf_meta, tf_text)"
    )


def terms_trigram_index_sql(gen: int) -> str:
    """The words of the archive by their trigrams (migration 0018): the words holding a
    chunk are asked for every chunk of a search, and a ``LIKE`` over all of them read the
    whole table (169k words, 10 to 20 ms at 100k documents; by this index 0.2 to 2.5 ms)."""
    g = int(gen)
    return (
        f"CREATE INDEX IF NOT EXISTS terms_g{g}_trigrams ON {partition('terms', g)}"
        " USING gin (term gin_trgm_ops)"
    )


def unaligned_index_sql(gen: int) -> str:
    """The few postings whose word's encoding is not in the document's text (migration
    0016: the others prove a substring)."""
    g = int(gen)
    return (
        f"CREATE INDEX postings_g{g}_unaligned ON {partition('postings', g)} (gen, term, doc_id)"
        " WHERE unaligned"
    )


def _attach(gen: int, *, checked: bool) -> list[str]:
    """Each table's rows tied to their generation row (deleting it deletes them; NOT VALID
    when the rows are already there: they were written for it, and checking them is a scan)
    and attached to its parent."""
    g = int(gen)
    out = []
    for table in TABLES:
        out.append(
            f"ALTER TABLE {partition(table, g)} ADD FOREIGN KEY (gen)"
            " REFERENCES khlang_search.generations (gen) ON DELETE CASCADE"
            + ("" if checked else " NOT VALID")
        )
        out.append(
            f"ALTER TABLE khlang_search.{table} ATTACH PARTITION {partition(table, g)}"
            f" FOR VALUES IN ({g})"
        )
    return out


def create_sql(gen: int, *, indexed: bool) -> list[str]:
    """Statements making generation ``gen``'s tables: ``indexed``, with their indexes and
    attached (a live generation, written to document by document); else bare and apart
    until :func:`finish_sql` (a rebuild's)."""
    g = int(gen)
    out = [
        f"CREATE TABLE {partition(t, g)} (LIKE khlang_search.{t} INCLUDING DEFAULTS"
        f" INCLUDING STORAGE, CHECK (gen = {g}))"
        for t in TABLES
    ]
    if indexed:
        out += _indexes(g) + _attach(g, checked=True)
    return out


def count_terms_sql(gen: int) -> str:
    """A bare generation's ``terms`` counted from its postings in one pass (a rebuild does
    not keep them row by row)."""
    g = int(gen)
    return (
        f"INSERT INTO {partition('terms', g)} (gen, term, df, df_title, df_meta, df_text)"
        " SELECT gen, term, count(*), count(*) FILTER (WHERE tf_title > 0),"
        " count(*) FILTER (WHERE tf_meta > 0), count(*) FILTER (WHERE tf_text > 0)"
        f" FROM {partition('postings', g)} GROUP BY gen, term"
    )


def finish_sql(gen: int, *, unaligned: bool = True) -> list[str]:
    """Statements indexing a bare generation's tables, sampling them for the planner and
    attaching them (searches do not see them before the swap: they read the live one).
    ``unaligned`` False: without the index of migration 0016's column (for 0015)."""
    g = int(gen)
    return (
        [f"SET maintenance_work_mem = '{BUILD_MEMORY}'"]
        + _indexes(g, unaligned)
        + [f"ANALYZE {partition(t, g)}" for t in TABLES]
        + _attach(g, checked=False)
        + ["RESET maintenance_work_mem"]
    )


def drop_sql(gen: int) -> list[str]:
    """Statements dropping generation ``gen``'s tables (whether attached or not). Dropping
    an attached one locks its parent for a moment: it waits for the searches running."""
    return [f"DROP TABLE IF EXISTS {partition(t, gen)}" for t in TABLES]
