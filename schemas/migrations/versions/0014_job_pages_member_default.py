"""job pages: ``member`` keeps its server default 0 (the file's own pages), so a worker of
the version before 0013, still running while the others are upgraded, can plan a scan's
pages (it names no member) instead of failing NOT NULL on every page

Revision ID: 0014_job_pages_member_default
Revises: 0013_job_pages_member
Create Date: 2026-12-03 09:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_job_pages_member_default"
down_revision = "0013_job_pages_member"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_pages") as table:
        table.alter_column("member", existing_type=sa.Integer(), server_default="0")


def downgrade() -> None:
    with op.batch_alter_table("job_pages") as table:
        table.alter_column("member", existing_type=sa.Integer(), server_default=None)
