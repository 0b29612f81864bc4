"""postgres search: the postings' impact index covers the frequencies (PostgreSQL only)

Revision ID: 0017_postgres_search_covering
Revises: 0016_postgres_search_unaligned
Create Date: 2026-12-03 15:00:00

Why (measured at 10,000 documents, ``bench/profile_pg_search.py``): ranking a question
(ten words, up to 2,000 candidates a tier) read its candidates' postings through the
postings' document index, every posting of each candidate fetched from the table to keep
the few of the query's words: 26 ms a question on average, 160 ms for the largest. With
the frequencies in the impact index, the query's words' postings are one index-only range
a word, joined to the candidates by hash: 13 ms for that largest. The index replaces the
one it extends (the same key: a word's best documents are still read from it), so no
index is added; each generation's is rebuilt (a few seconds at 10k documents).
"""

from alembic import op

from schemas.search_tables import impact_index_sql, partition

revision = "0017_postgres_search_covering"
down_revision = "0016_postgres_search_unaligned"
branch_labels = None
depends_on = None


def _indexed_generations() -> list[int]:
    """The generations whose postings have their impact index (a rebuild's bare tables get
    theirs, the new one, when it finishes)."""
    rows = op.get_bind().exec_driver_sql(
        "SELECT gen FROM khlang_search.generations"
        " WHERE to_regclass('khlang_search.postings_g' || gen || '_impact') IS NOT NULL"
    )
    return [r[0] for r in rows.fetchall()]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for gen in _indexed_generations():
        op.execute(impact_index_sql(gen, name="impact_covering"))
        op.execute(f"DROP INDEX khlang_search.postings_g{int(gen)}_impact")
        op.execute(
            f"ALTER INDEX khlang_search.postings_g{int(gen)}_impact_covering"
            f" RENAME TO postings_g{int(gen)}_impact"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for gen in _indexed_generations():
        g = int(gen)
        op.execute(f"DROP INDEX khlang_search.postings_g{g}_impact")
        op.execute(
            f"CREATE INDEX postings_g{g}_impact ON {partition('postings', g)}"
            " (gen, term, impact DESC, doc_id)"
        )
