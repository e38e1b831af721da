"""shows.noise_suppression: whether the room page asks browsers to suppress microphone noise

Off for every existing show: what their rooms did until now (post-production levels the raw
voice), so an upgrade changes nothing a listener hears.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shows") as batch:
        batch.add_column(sa.Column("noise_suppression", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("shows") as batch:
        batch.drop_column("noise_suppression")
