"""postgres search: substring pieces and a covering index for facets (PostgreSQL only)

Revision ID: 0011_postgres_search_pieces
Revises: 0009_postgres_search
Create Date: 2026-12-02 17:00:00

Why (measured at 10,000 documents, EXPLAIN ANALYZE; see indexer/search/pg_search.py):
a never-miss substring was found by ``pg_trgm`` on ``documents.units``, the whole encoded
text of a document (9 KB on average, compressed into TOAST), and every candidate the index
gave was read back, decompressed and matched with ``LIKE``: 60 us a candidate, 0.5 s for a
common word's 7,430 candidates. Now:

* ``pieces``: each document's encoded text cut into overlapping pieces
  (:func:`schemas.search_index.unit_pieces`: 750 characters every 600), stored in line
  (``STORAGE PLAIN``: no TOAST, no decompression) under their own ``pg_trgm`` GIN. A chunk
  of up to 151 characters lies whole in one piece, so a piece's ``LIKE`` confirms it; a
  longer one is looked for by its first 151 characters and confirmed on ``units``. The
  trigram index on ``documents.units`` is dropped (nothing reads it any more).
* ``documents_facets``: the facet, date and length columns beside ``(gen, doc_id)`` in one
  index, so facet counts and BM25 lengths of a match set are index-only scans instead of
  reading each document's wide row.

Existing rows get their pieces here (the same cut in SQL): no rebuild is needed.
"""

from alembic import op

from schemas.search_index import PIECE_OVERLAP, PIECE_STEP

revision = "0011_postgres_search_pieces"
down_revision = "0010_job_pages"
branch_labels = None
depends_on = None

_UP = f"""
CREATE TABLE khlang_search.pieces (
    gen integer NOT NULL REFERENCES khlang_search.generations (gen) ON DELETE CASCADE,
    doc_id bigint NOT NULL,
    piece integer NOT NULL,
    units text NOT NULL,
    PRIMARY KEY (gen, doc_id, piece)
);
ALTER TABLE khlang_search.pieces ALTER COLUMN units SET STORAGE PLAIN;
INSERT INTO khlang_search.pieces (gen, doc_id, piece, units)
    SELECT gen, doc_id, k, substr(units, k * {PIECE_STEP} + 1, {PIECE_STEP + PIECE_OVERLAP})
    FROM khlang_search.documents,
        generate_series(0, (length(units) - 1) / {PIECE_STEP}) k
    WHERE length(units) > 0;
CREATE INDEX pieces_units ON khlang_search.pieces USING gin (units gin_trgm_ops);
DROP INDEX khlang_search.documents_units;
CREATE INDEX documents_facets ON khlang_search.documents (gen, doc_id) INCLUDE (
    fiscal_year, province, project, agency, category, kind, sender, urgency, has_deadline,
    publication, date, len_title, len_meta, len_text)
"""

_DOWN = """
DROP INDEX IF EXISTS khlang_search.documents_facets;
CREATE INDEX documents_units ON khlang_search.documents USING gin (units gin_trgm_ops);
DROP TABLE IF EXISTS khlang_search.pieces
"""


def _run(sql: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in sql.split(";"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(_UP)


def downgrade() -> None:
    _run(_DOWN)
