"""nodes: each API/SFU node's lease, so another node takes over a dead node's live rooms

One row per node name, renewed by a heartbeat; a node silent past ``ROOMCAST_NODE_LEASE_S`` is
dead. A room whose ``sfu_node`` has no row (a node of an older version) is never taken over.
Additive only: an older node keeps working.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(512), nullable=True),
        sa.Column("instance", sa.String(36), nullable=False),
        sa.Column("home", sa.String(36), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("nodes")
