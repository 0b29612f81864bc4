"""job pages: the pages of a bundle's scanned members, one message each as a scan sent alone
(``member``: 0 for the job's file itself, N for the bundle's N-th member, whose path in the
bundle is ``member_path``); the key grows by the member

Revision ID: 0013_job_pages_member
Revises: 0012_job_pages_budget_rotation
Create Date: 2026-12-03 08:00:00
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0013_job_pages_member"
down_revision = "0012_job_pages_budget_rotation"
branch_labels = None
depends_on = None

KEY = ["batch_id", "number", "member", "page"]


def upgrade() -> None:
    # The rows already there (scans of running jobs) are their file's own pages: member 0.
    with op.batch_alter_table("job_pages") as table:
        table.add_column(sa.Column("member", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("member_path", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # the table is copied with its new key
        _new_sqlite_key(KEY)
    else:
        op.drop_constraint("job_pages_pkey", "job_pages", type_="primary")
        op.create_primary_key("job_pages_pkey", "job_pages", KEY)
    # The server default only filled the rows already there; the application writes it.
    with op.batch_alter_table("job_pages") as table:
        table.alter_column("member", server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM job_pages WHERE member <> 0")
    if op.get_bind().dialect.name == "sqlite":
        _new_sqlite_key(["batch_id", "number", "page"])
    else:
        op.drop_constraint("job_pages_pkey", "job_pages", type_="primary")
        op.create_primary_key("job_pages_pkey", "job_pages", ["batch_id", "number", "page"])
    with op.batch_alter_table("job_pages") as table:
        table.drop_column("member_path")
        table.drop_column("member")


def _new_sqlite_key(columns: list[str]) -> None:
    """SQLite changes a key only by copying the table: SQLAlchemy warns that the copy's key
    differs from the reflected one, which is the point of the copy."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_job_pages' specifies columns")
        with op.batch_alter_table("job_pages", recreate="always") as table:
            table.create_primary_key("job_pages_pkey", columns)
