"""feeds: show metadata, publish mode, private feeds, chapters and waveforms

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["show_id"], ["shows.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_index("ix_feed_tokens_show_id", "feed_tokens", ["show_id"])

    with op.batch_alter_table("episodes") as batch:
        batch.add_column(sa.Column("chapters_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("waveform_key", sa.String(length=512), nullable=True))

    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("guid", sa.String(length=36), nullable=True))
    rooms = sa.table("rooms", sa.column("id", sa.Integer), sa.column("guid", sa.String))
    connection = op.get_bind()
    for (room_id,) in connection.execute(sa.select(rooms.c.id)).all():
        connection.execute(rooms.update().where(rooms.c.id == room_id).values(guid=str(uuid.uuid4())))
    with op.batch_alter_table("rooms") as batch:
        batch.alter_column("guid", existing_type=sa.String(length=36), nullable=False)

    with op.batch_alter_table("shows") as batch:
        batch.add_column(sa.Column("category", sa.String(length=64), nullable=False, server_default="Society & Culture"))
        batch.add_column(sa.Column("subcategory", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("explicit", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("owner_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("owner_email", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("medium", sa.String(length=16), nullable=False, server_default="podcast"))
        batch.add_column(sa.Column("publish_mode", sa.String(length=32), nullable=False, server_default="auto"))
        batch.add_column(sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("feed_version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()))


def downgrade() -> None:
    with op.batch_alter_table("shows") as batch:
        for column in ("updated_at", "feed_version", "private", "publish_mode", "medium", "owner_email",
                       "owner_name", "explicit", "subcategory", "category"):
            batch.drop_column(column)
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("guid")
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("waveform_key")
        batch.drop_column("chapters_key")
    op.drop_index("ix_feed_tokens_show_id", table_name="feed_tokens")
    op.drop_table("feed_tokens")
