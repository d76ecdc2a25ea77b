"""Competing author claims: several users may claim the same author of a paper

Revision ID: 0008_competing_claims
Revises: 0004_paper_pages
Create Date: 2026-12-08

One claim per author let whoever came first block the real author while the claim waited. Now each user
has at most one claim row per author of a paper; an administrator approves one and the others are turned
down, and a rejected row stays so that its user waits before claiming that author again.
"""

from alembic import op

revision = "0008_competing_claims"
down_revision = "0004_paper_pages"  # it made author_claims
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("author_claims") as batch:  # SQLite changes constraints by copying the table
        batch.drop_constraint("uq_claim_paper_author", type_="unique")
        batch.create_unique_constraint("uq_claim_paper_author_user", ["paper_id", "author_index", "user_id"])


def downgrade() -> None:
    # Back to one claim per author: keep the approved claim, else the oldest pending one, else the newest.
    op.execute("""
        DELETE FROM author_claims WHERE id NOT IN (
            SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (
                    PARTITION BY paper_id, author_index
                    ORDER BY CASE status WHEN 'approved' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END,
                             CASE WHEN status = 'rejected' THEN -id ELSE id END) AS place
                FROM author_claims) AS ranked
            WHERE place = 1)
    """)
    with op.batch_alter_table("author_claims") as batch:
        batch.drop_constraint("uq_claim_paper_author_user", type_="unique")
        batch.create_unique_constraint("uq_claim_paper_author", ["paper_id", "author_index"])
