"""people: a person's opaque key, for speaker pages and search

A speaker is a person, known by the identity they joined under (``host-night-owls``,
``bob@example.org``), not by a display name that two guests may share. Speaker pages and
search name a person by an opaque key, since an identity may be an e-mail address; the
identities already in the database get theirs here. Imports name their speakers' identities
after the show and the name (``import-night-owls-ann``), so Ann is one person across a show's
imports.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    people = op.create_table(
        "people",
        sa.Column("identity", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(16), nullable=False, unique=True),
    )
    op.create_index("ix_participants_identity", "participants", ["identity"])
    identities = [row[0] for row in op.get_bind().execute(sa.text("SELECT DISTINCT identity FROM participants"))]
    if identities:
        op.bulk_insert(people, [{"identity": identity, "key": secrets.token_hex(6)} for identity in identities])


def downgrade() -> None:
    op.drop_index("ix_participants_identity", "participants")
    op.drop_table("people")
