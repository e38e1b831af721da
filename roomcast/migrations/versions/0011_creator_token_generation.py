"""shows.creator_token_generation: creator tokens can be revoked without rotating the key

A creator token carries the generation its show had when it was minted; revoking raises the
show's generation, and tokens of an older one are refused. Tokens minted before this revision
carry none and count as generation 0. Additive only.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shows") as batch:
        batch.add_column(sa.Column("creator_token_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("shows") as batch:
        batch.drop_column("creator_token_generation")
