"""postgres search: the tables of the ``postgres`` search backend (PostgreSQL only)

Revision ID: 0009_postgres_search
Revises: 0008_job_files
Create Date: 2026-12-02 14:30:00

What :mod:`indexer.search.postgres_backend` writes, in a schema of its own,
``khlang_search`` (derived rows, rebuilt from the documents at will: kept apart from the
archive's tables, which the models describe), per index generation (a new analyzer version
builds a generation beside the live one, then swaps):

* ``generations``: one row a generation: its analyzer version, state (staging,
  live, retired: replaced, its rows being deleted), document count and summed field lengths (BM25's N and average lengths);
* ``documents``: one row a document: facet and stored fields, the word ``tsvector``
  (configuration-free: built from the analyzer's words, weighted A title, B metadata,
  C text; GIN), the TCC-encoded text moved out of the Private Use Area (``pg_trgm`` GIN,
  for never-miss substrings) and its aligned one- and two-character grams (GIN);
* ``terms``: each word's document frequency per field (BM25's idf, the speller's
  lexicon);
* ``postings``: each word's per-document frequencies, and an impact ordering a
  word's best documents first (per-term top-k candidates).

On SQLite (the embedded default) nothing is created: the Whoosh backend keeps its own files.
A ``khlang_search`` schema found before this revision ran is left over from a database
whose ``public`` schema was replaced (a reset, a restore): its rows describe other
documents, so it is dropped and made again.
"""

from alembic import op

revision = "0009_postgres_search"
down_revision = "0008_job_files"
branch_labels = None
depends_on = None

_TABLES = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DROP SCHEMA IF EXISTS khlang_search CASCADE;
CREATE SCHEMA khlang_search;
CREATE TABLE khlang_search.generations (
    gen serial PRIMARY KEY,
    version text NOT NULL,
    state text NOT NULL CHECK (state IN ('staging', 'live', 'retired')),
    docs bigint NOT NULL DEFAULT 0,
    len_title bigint NOT NULL DEFAULT 0,
    len_meta bigint NOT NULL DEFAULT 0,
    len_text bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX generations_one_live ON khlang_search.generations (state)
    WHERE state = 'live';
CREATE TABLE khlang_search.documents (
    gen integer NOT NULL REFERENCES khlang_search.generations (gen) ON DELETE CASCADE,
    doc_id bigint NOT NULL,
    title text NOT NULL,
    filename text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    fiscal_year text NOT NULL,
    date text NOT NULL,
    received text NOT NULL,
    publication text NOT NULL,
    province text[] NOT NULL,
    project text[] NOT NULL,
    agency text[] NOT NULL,
    sender text NOT NULL,
    urgency text NOT NULL,
    has_deadline text NOT NULL,
    body text NOT NULL,
    len_title integer NOT NULL,
    len_meta integer NOT NULL,
    len_text integer NOT NULL,
    words tsvector NOT NULL,
    units text NOT NULL,
    grams text[] NOT NULL,
    PRIMARY KEY (gen, doc_id)
);
ALTER TABLE khlang_search.documents ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE INDEX documents_words ON khlang_search.documents USING gin (words);
CREATE INDEX documents_units ON khlang_search.documents USING gin (units gin_trgm_ops);
CREATE INDEX documents_grams ON khlang_search.documents USING gin (grams);
CREATE INDEX documents_date ON khlang_search.documents (gen, date DESC, doc_id DESC);
CREATE TABLE khlang_search.terms (
    gen integer NOT NULL REFERENCES khlang_search.generations (gen) ON DELETE CASCADE,
    term text COLLATE "C" NOT NULL,
    df integer NOT NULL,
    df_title integer NOT NULL,
    df_meta integer NOT NULL,
    df_text integer NOT NULL,
    PRIMARY KEY (gen, term)
);
CREATE TABLE khlang_search.postings (
    gen integer NOT NULL REFERENCES khlang_search.generations (gen) ON DELETE CASCADE,
    term text COLLATE "C" NOT NULL,
    doc_id bigint NOT NULL,
    tf_title integer NOT NULL,
    tf_meta integer NOT NULL,
    tf_text integer NOT NULL,
    impact real NOT NULL,
    PRIMARY KEY (gen, term, doc_id)
);
CREATE INDEX postings_impact ON khlang_search.postings (gen, term, impact DESC, doc_id);
CREATE INDEX postings_doc ON khlang_search.postings (gen, doc_id);
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _TABLES.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP SCHEMA IF EXISTS khlang_search CASCADE")
