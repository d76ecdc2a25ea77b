"""Paper pages: suggested links, author keys and author claims

Revision ID: 0004_paper_pages
Revises: 0003_mail_outbox
Create Date: 2026-12-01

`code_url` and `project_page` stay the confirmed links (they came from users and our own exports); links
that arXiv's comments or abstract name become suggestions. `author_keys` lets author pages find papers.
"""

import sqlalchemy as sa
from alembic import op

from dailypapers.names import author_keys_text
from dailypapers.sources.links import suggested_links

revision = "0004_paper_pages"
down_revision = "0003_mail_outbox"
branch_labels = None
depends_on = None
BATCH = 1000


def _backfill() -> None:
    """Fill the new columns of the papers already stored, a batch at a time."""
    conn = op.get_bind()
    papers = sa.table(
        "papers",
        sa.column("id", sa.Integer),
        sa.column("authors", sa.JSON),
        sa.column("comments", sa.Text),
        sa.column("abstract", sa.Text),
        sa.column("suggested_code_url", sa.String),
        sa.column("suggested_project_page", sa.String),
        sa.column("author_keys", sa.Text),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(papers.c.id, papers.c.authors, papers.c.comments, papers.c.abstract)
            .where(papers.c.id > last)
            .order_by(papers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            code, project = suggested_links(row.comments, row.abstract)
            values.append({"key": row.id, "code": code, "project": project, "keys": author_keys_text(row.authors)})
        conn.execute(
            papers.update()
            .where(papers.c.id == sa.bindparam("key"))
            .values(
                suggested_code_url=sa.bindparam("code"),
                suggested_project_page=sa.bindparam("project"),
                author_keys=sa.bindparam("keys"),
            ),
            values,
        )
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("suggested_code_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("suggested_project_page", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("author_keys", sa.Text(), nullable=False, server_default=""))
    _backfill()
    op.create_table(
        "author_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("author_index", sa.Integer(), nullable=False),
        sa.Column("author_key", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("paper_id", "author_index", name="uq_claim_paper_author"),
    )
    op.create_index("ix_author_claims_author_key", "author_claims", ["author_key"])
    op.create_index("ix_author_claims_user_id", "author_claims", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_author_claims_user_id", table_name="author_claims")
    op.drop_index("ix_author_claims_author_key", table_name="author_claims")
    op.drop_table("author_claims")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("author_keys")
        batch.drop_column("suggested_project_page")
        batch.drop_column("suggested_code_url")
