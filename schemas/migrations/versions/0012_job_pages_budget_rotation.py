"""job pages: a page left unread because its scan spent the OCR budget, and the turn a page
was read at (so a broker keeps ``ocr_rotation`` as one process does)

Revision ID: 0012_job_pages_budget_rotation
Revises: 0011_postgres_search_pieces
Create Date: 2026-12-02 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_job_pages_budget_rotation"
down_revision = "0011_postgres_search_pieces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server defaults only fill rows already there; the application writes both.
    with op.batch_alter_table("job_pages") as table:
        table.add_column(
            sa.Column("over_budget", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("rotation", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("job_pages") as table:
        table.alter_column("over_budget", server_default=None)
        table.alter_column("rotation", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("job_pages") as table:
        table.drop_column("rotation")
        table.drop_column("over_budget")
