"""postgres search: the words of each generation indexed by their trigrams (PostgreSQL only)

Revision ID: 0018_postgres_search_terms_trgm
Revises: 0017_postgres_search_covering
Create Date: 2026-12-04 17:30:00

Why (measured at 100,000 documents, 169k words): every chunk of a search asks which words
of the archive hold it (``pg_substrings.containing_terms``: their postings prove the chunk
without reading text), and that ``LIKE '%chunk%'`` read the whole words table, 10 to 20 ms
a chunk, up to five times a three-word query. A ``pg_trgm`` GIN index on the words answers
it in 0.2 to 2.5 ms. Each generation with indexed tables gets it here (0.3 s at 100k); a
rebuild's bare tables get it when they are finished. The statement is the one a new
generation's tables are indexed with (``schemas.search_tables``), which migration 0015 also
runs on an older database: there it made the index already, and this one leaves it.
"""

from alembic import op

from schemas.search_tables import terms_trigram_index_sql

revision = "0018_postgres_search_terms_trgm"
down_revision = "0017_postgres_search_covering"
branch_labels = None
depends_on = None


def _indexed_generations() -> list[int]:
    """The generations whose words table has its key (a rebuild's bare tables get their
    indexes, this one among them, when it finishes)."""
    rows = op.get_bind().exec_driver_sql(
        "SELECT gen FROM khlang_search.generations"
        " WHERE to_regclass('khlang_search.terms_g' || gen || '_pkey') IS NOT NULL"
    )
    return [r[0] for r in rows.fetchall()]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for gen in _indexed_generations():
        op.execute(terms_trigram_index_sql(gen))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for gen in _indexed_generations():
        op.execute(f"DROP INDEX IF EXISTS khlang_search.terms_g{int(gen)}_trigrams")
