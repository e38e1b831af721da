"""search: a tantivy index on SQLite, impact-ordered postings beside the GIN index on PostgreSQL

SQLite: FTS5 had to rank every match of a common word (160 ms at a million segments, see
bench/search). The tantivy index lives in a directory beside the database and is rebuilt from
it, so segments are marked unindexed here and re-indexed by the worker at start.

PostgreSQL: ranking a word said in 3% of a million segments visits 30,000 rows (120 ms). Each
indexed (lexeme, segment) pair gets a row ordered by its precomputed rank, so a one-word or
prefix query reads the best ten straight from a btree; ``search_lexicon`` lists the lexemes
(with their segment counts) that a prefix can stand for.

Both: an index on lower(speaker) for the speaker pages.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # A speaker's page lists what one name said, case aside.
    op.execute("CREATE INDEX ix_transcript_segments_speaker ON transcript_segments (lower(speaker))")
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS segment_fts")
        op.execute("UPDATE transcript_segments SET indexed = 0")
    elif dialect == "postgresql":
        op.create_table(
            "search_postings",
            sa.Column("lexeme", sa.Text(), nullable=False),
            sa.Column("impact", sa.REAL(), nullable=False),
            sa.Column("published", sa.BigInteger(), nullable=False),
            sa.Column("segment_id", sa.BigInteger(), nullable=False),
            sa.Column("episode_id", sa.Integer(), sa.ForeignKey("episodes.id", ondelete="CASCADE"), nullable=False),
        )
        op.execute("CREATE INDEX ix_search_postings_rank ON search_postings "
                   "(lexeme, impact DESC, published DESC, segment_id)")
        op.create_index("ix_search_postings_episode", "search_postings", ["episode_id"])
        op.create_table(
            "search_lexicon",
            sa.Column("lexeme", sa.Text(collation="C"), primary_key=True),  # byte order: prefix ranges
            sa.Column("segments", sa.Integer(), nullable=False),
        )
        op.execute("UPDATE transcript_segments SET indexed = false")  # the worker fills the postings at start


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP INDEX IF EXISTS ix_transcript_segments_speaker")
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE segment_fts USING fts5(text, content='transcript_segments', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
    elif dialect == "postgresql":
        op.drop_table("search_lexicon")
        op.drop_table("search_postings")
