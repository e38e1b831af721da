"""pipeline steps named by their tasks; episodes.soundbites, post-production's product

A step's row was named by a word of its own ("master", "transcribe:12") that only a table in
roomcast.pipeline tied to its task ("postprod.master_episode"); the rows of every run, finished
or not, take their task's name, so nothing needs that table. The chapters step is gone (chapters
are made while mastering): its old rows keep the name of the task that made them.

Soundbites are computed once, by post-production, instead of at every feed render from the
room's events; existing episodes get theirs from the worker's catch-up at start
(``postprod.catch_up``), which computes where this column is empty.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

RENAMED = {
    "crosstalk": "transcripts.decide_crosstalk",
    "master": "postprod.master_episode",
    "transcript": "transcripts.build_transcript",
    "chapters": "postprod.build_chapters",
    "index": "search.index_episode",
    "publish": "feeds.publish_episode",
}
TRANSCRIBE_OLD, TRANSCRIBE_NEW = "transcribe:", "transcripts.transcribe_track:"


def upgrade() -> None:
    steps = sa.table("pipeline_steps", sa.column("name", sa.String))
    for old, new in RENAMED.items():
        op.execute(steps.update().where(steps.c.name == old).values(name=new))
    op.execute(steps.update().where(steps.c.name.startswith(TRANSCRIBE_OLD))
               .values(name=sa.literal(TRANSCRIBE_NEW) + sa.func.substr(steps.c.name, len(TRANSCRIBE_OLD) + 1)))
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(sa.Column("soundbites", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("soundbites")
    steps = sa.table("pipeline_steps", sa.column("name", sa.String))
    for old, new in RENAMED.items():
        op.execute(steps.update().where(steps.c.name == new).values(name=old))
    op.execute(steps.update().where(steps.c.name.startswith(TRANSCRIBE_NEW))
               .values(name=sa.literal(TRANSCRIBE_OLD) + sa.func.substr(steps.c.name, len(TRANSCRIBE_NEW) + 1)))
