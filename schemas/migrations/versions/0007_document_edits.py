"""document edits: staff notes and tags on a document

Revision ID: 0007_document_edits
Revises: 0006_home_admin
Create Date: 2026-12-02 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_document_edits"
down_revision = "0006_home_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("tags")
        batch.drop_column("notes")
