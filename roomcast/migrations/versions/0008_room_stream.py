"""rooms.stream_started_at: when the room's live HTTP stream (MP3 and HLS) first played

The feed's liveItem says ``live`` only from then on: an app told ``live`` must find a stream
that plays. Unset for every existing room (none of them had a stream).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("stream_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("stream_started_at")
