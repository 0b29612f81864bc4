"""postgres search: which postings do not prove a substring (PostgreSQL only)

Revision ID: 0016_postgres_search_unaligned
Revises: 0015_postgres_search_partitions
Create Date: 2026-12-03 08:20:00

Why (measured at 10,000 documents, ``bench/profile_pg_search.py``): a one-word query's
phrase tier confirmed every piece of text holding the word's trigrams with ``LIKE``, 10 us
a piece, 270 ms for a common word's 26,833 pieces. A document having the word in its
postings holds its encoding in its text, unless the segmenter cut the word off a syllable
unit's boundary (a few in 100,000 postings) or the word is only in a field the text does
not hold: ``postings.unaligned`` marks those, under a partial index, and only the
documents not proven are looked for in the pieces (see :mod:`indexer.search.pg_search`).

Rows written before this revision say ``false`` and prove nothing: the backend trusts the
column only in a generation whose store version is 2 or more, so the health check asks
for a rebuild (``khlang reindex --if-needed``).
"""

from alembic import op

from schemas.search_tables import unaligned_index_sql

revision = "0016_postgres_search_unaligned"
down_revision = "0015_postgres_search_partitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE khlang_search.postings ADD COLUMN unaligned boolean NOT NULL DEFAULT false"
    )
    gens = op.get_bind().exec_driver_sql("SELECT gen FROM khlang_search.generations")
    for (gen,) in gens.fetchall():
        op.execute(unaligned_index_sql(gen))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE khlang_search.postings DROP COLUMN unaligned")  # its indexes too
    # upgraded again, the column would say false everywhere: the rows are no longer of
    # store version 2, and the health check asks for a rebuild
    op.execute(
        "UPDATE khlang_search.generations"
        r" SET version = regexp_replace(version, ';store=postgres-\d+$', ';store=postgres-1')"
    )
