"""api tokens remember when they were last used (the admin's token list shows it)

Revision ID: 0006_home_admin
Revises: 0005_fixity_runs
Create Date: 2026-12-02 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_home_admin"
down_revision = "0005_fixity_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
