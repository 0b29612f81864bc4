"""postgres search: each generation's rows in tables of their own (PostgreSQL only)

Revision ID: 0015_postgres_search_partitions
Revises: 0014_job_pages_member_default
Create Date: 2026-12-03 08:00:00

Why (see :mod:`schemas.search_tables`): a rebuild wrote its rows under the live
generation's indexes, kept up row by row; a generation's own tables can be loaded bare,
indexed in one pass and attached, and dropped whole when retired.

``documents``, ``pieces``, ``postings`` and ``terms`` become parents partitioned by
``gen`` (no index of their own: each generation's tables carry theirs). The rows already
there are moved into their generation's tables, copied as they are (a generation whose
counts were damaged stays damaged, and the health check still says so).
"""

from alembic import op

from schemas.search_tables import TABLES, create_sql, finish_sql, partition

revision = "0015_postgres_search_partitions"
down_revision = "0014_job_pages_member_default"
branch_labels = None
depends_on = None


def _generations() -> list[int]:
    return [
        r[0] for r in op.get_bind().exec_driver_sql("SELECT gen FROM khlang_search.generations")
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for t in TABLES:
        op.execute(f"ALTER TABLE khlang_search.{t} RENAME TO {t}_shared")
        op.execute(
            f"CREATE TABLE khlang_search.{t} (LIKE khlang_search.{t}_shared INCLUDING DEFAULTS"
            " INCLUDING STORAGE) PARTITION BY LIST (gen)"
        )
    for gen in _generations():
        for statement in create_sql(gen, indexed=False):
            op.execute(statement)
        for t in TABLES:
            op.execute(
                f"INSERT INTO {partition(t, gen)} SELECT * FROM khlang_search.{t}_shared"
                f" WHERE gen = {int(gen)}"
            )
        for statement in finish_sql(gen, unaligned=False):  # 0016 adds that column
            op.execute(statement)
    for t in TABLES:
        op.execute(f"DROP TABLE khlang_search.{t}_shared")


_SHARED_INDEXES = """
ALTER TABLE khlang_search.documents ADD PRIMARY KEY (gen, doc_id);
CREATE INDEX documents_words ON khlang_search.documents USING gin (words);
CREATE INDEX documents_grams ON khlang_search.documents USING gin (grams);
CREATE INDEX documents_date ON khlang_search.documents (gen, date DESC, doc_id DESC);
CREATE INDEX documents_facets ON khlang_search.documents (gen, doc_id) INCLUDE (
    fiscal_year, province, project, agency, category, kind, sender, urgency, has_deadline,
    publication, date, len_title, len_meta, len_text);
ALTER TABLE khlang_search.pieces ADD PRIMARY KEY (gen, doc_id, piece);
CREATE INDEX pieces_units ON khlang_search.pieces USING gin (units gin_trgm_ops);
ALTER TABLE khlang_search.postings ADD PRIMARY KEY (gen, term, doc_id);
CREATE INDEX postings_impact ON khlang_search.postings (gen, term, impact DESC, doc_id);
CREATE INDEX postings_doc ON khlang_search.postings (gen, doc_id);
ALTER TABLE khlang_search.terms ADD PRIMARY KEY (gen, term)
"""


def downgrade() -> None:
    """One table a kind again, with 0009's and 0011's indexes and keys."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for t in TABLES:
        op.execute(
            f"CREATE TABLE khlang_search.{t}_shared (LIKE khlang_search.{t} INCLUDING DEFAULTS"
            " INCLUDING STORAGE)"
        )
        op.execute(f"INSERT INTO khlang_search.{t}_shared SELECT * FROM khlang_search.{t}")
        op.execute(f"DROP TABLE khlang_search.{t}")  # its generations' tables with it
        op.execute(f"ALTER TABLE khlang_search.{t}_shared RENAME TO {t}")
        op.execute(
            f"ALTER TABLE khlang_search.{t} ADD FOREIGN KEY (gen)"
            " REFERENCES khlang_search.generations (gen) ON DELETE CASCADE"
        )
    for statement in _SHARED_INDEXES.split(";"):
        if statement.strip():
            op.execute(statement)
