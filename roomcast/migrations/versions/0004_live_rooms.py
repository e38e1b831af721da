"""live rooms: access (open, closed, private), invite list, blocked participants

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("access", sa.String(length=32), nullable=False, server_default="open"))
        batch.add_column(sa.Column("invited", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("blocked_at")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("invited")
        batch.drop_column("access")
