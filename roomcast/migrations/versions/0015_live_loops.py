"""live_loops: one chain of rounds per live room and loop

A live room's live transcription and captions are rounds that each send the next: a message
the broker delivered twice started a second chain beside the first, and both went on until the
room ended. Each round now takes its loop's row from the round before (roomcast.live_loops).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_loops",
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("generation", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("live_loops")
