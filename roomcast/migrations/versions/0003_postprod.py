"""postprod: time map, extra formats, waveform image, per-show intro and outro

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(sa.Column("waveform_image_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("extra_audio", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("time_map", sa.JSON(), nullable=True))
    with op.batch_alter_table("shows") as batch:
        batch.add_column(sa.Column("intro_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("outro_key", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shows") as batch:
        batch.drop_column("outro_key")
        batch.drop_column("intro_key")
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("time_map")
        batch.drop_column("extra_audio")
        batch.drop_column("waveform_image_key")
