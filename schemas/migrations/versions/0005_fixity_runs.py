"""fixity runs: one aggregated report per `khlang verify` run

Revision ID: 0005_fixity_runs
Revises: 0004_security_web
Create Date: 2026-12-02 08:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_fixity_runs"
down_revision = "0004_security_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fixity_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent", sa.String(length=255), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("repaired", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fixity_runs_finished_at", "fixity_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_fixity_runs_finished_at", table_name="fixity_runs")
    op.drop_table("fixity_runs")
