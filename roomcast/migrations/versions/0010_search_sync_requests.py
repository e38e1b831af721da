"""search_sync_requests: at most one pending index sync per episode

4,500 publish/unpublish calls queued 4,500 ``search.sync_episode`` tasks, which held a new room's
pipeline behind them for minutes. A request is now a row per episode; a task is queued only
when the episode has none, and the task deletes it before it reads the episode, so one task
serves every request made before it ran. Additive only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_sync_requests",
        sa.Column("episode_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("search_sync_requests")
