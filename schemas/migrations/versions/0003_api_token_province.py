"""api tokens carry a province (a dsss token acts for one province)

Revision ID: 0003_api_token_province
Revises: 0002_inventory_item_retired
Create Date: 2026-11-25 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_api_token_province"
down_revision = "0002_inventory_item_retired"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a foreign key to an existing table otherwise.
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("province_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_api_tokens_province_id", "provinces", ["province_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint("fk_api_tokens_province_id", type_="foreignkey")
        batch_op.drop_column("province_id")
