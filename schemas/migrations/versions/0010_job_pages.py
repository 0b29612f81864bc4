"""job pages: one row per page of a scan read by OCR in a message of its own (cluster mode)

Revision ID: 0010_job_pages
Revises: 0009_postgres_search
Create Date: 2026-12-02 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_job_pages"
down_revision = "0009_postgres_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_pages",
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("layer", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("timed_out", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("handled_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("batch_id", "number", "page"),
    )


def downgrade() -> None:
    op.drop_table("job_pages")
