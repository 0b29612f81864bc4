"""job files: one row per file of a job run on a broker (cluster mode)

Revision ID: 0008_job_files
Revises: 0007_document_edits
Create Date: 2026-12-02 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_job_files"
down_revision = "0007_document_edits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_files",
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("handled_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("batch_id", "number"),
    )


def downgrade() -> None:
    op.drop_table("job_files")
