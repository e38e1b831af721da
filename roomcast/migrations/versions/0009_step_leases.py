"""pipeline_steps.heartbeat_at/owner/resends and deferred_tasks: the database drives the pipeline

A step is claimed by one worker (``owner``), which keeps ``heartbeat_at`` fresh while it runs; a
step whose heartbeat stops (its worker was killed) or whose message never arrived is sent again
by the sweep (``resends`` counts those). ``deferred_tasks`` holds follow-up work that could not be
queued while the broker was down, sent once it is back. Additive only: an older node keeps working.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pipeline_steps") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(128), nullable=True))
        batch.add_column(sa.Column("resends", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "deferred_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deferred_tasks")
    with op.batch_alter_table("pipeline_steps") as batch:
        for column in ("resends", "owner", "heartbeat_at"):
            batch.drop_column(column)
