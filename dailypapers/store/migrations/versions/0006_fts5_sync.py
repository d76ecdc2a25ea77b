"""FTS5 kept in step by its own sync from `papers.change_seq`, not by insert triggers

Revision ID: 0006_fts5_sync
Revises: 0004_keyword_watermark
Create Date: 2026-12-02

The insert and update triggers of 0001 made every paper write pay for FTS5, even when another engine
(tantivy) serves search. Now the FTS5 engine (index/keyword_fts5.py) indexes the papers changed after its
watermark when it syncs. The table holds exactly the papers whose `change_seq` is at most the watermark,
with their current text. An external-content table can only forget a row given the text it indexed, which
is gone once the row is updated, so two small triggers remain: an update that moves an indexed paper past
the watermark (every paper write does), or a delete, removes the old text from the index first.

An existing table was kept whole by the old triggers: its watermark starts at the newest change number.
"""

from alembic import op

revision = "0006_fts5_sync"
down_revision = "0004_keyword_watermark"  # it needs change_seq
branch_labels = None
depends_on = None

FTS_COLUMNS = "title, authors, abstract, categories"
OLD = "old.title, old.authors, old.abstract, old.categories"
NEW = "new.title, new.authors, new.abstract, new.categories"
FORGET = f"INSERT INTO papers_fts(papers_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {OLD});"
INDEXED = "old.change_seq <= (SELECT seq FROM keyword_fts5_watermark)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("papers_fts_insert", "papers_fts_update", "papers_fts_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("CREATE TABLE keyword_fts5_watermark (seq BIGINT NOT NULL)")
    op.execute("INSERT INTO keyword_fts5_watermark (seq) SELECT coalesce(max(change_seq), 0) FROM papers")
    op.execute(
        f"CREATE TRIGGER papers_fts_forget_update AFTER UPDATE OF change_seq ON papers "
        f"WHEN {INDEXED} BEGIN {FORGET} END"
    )
    op.execute(f"CREATE TRIGGER papers_fts_forget_delete AFTER DELETE ON papers WHEN {INDEXED} BEGIN {FORGET} END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER papers_fts_forget_update")
    op.execute("DROP TRIGGER papers_fts_forget_delete")
    op.execute("DROP TABLE keyword_fts5_watermark")
    op.execute(
        f"CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN "
        f"INSERT INTO papers_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {NEW}); END"
    )
    op.execute(f"CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN {FORGET} END")
    op.execute(
        f"CREATE TRIGGER papers_fts_update AFTER UPDATE OF {FTS_COLUMNS} ON papers BEGIN {FORGET} "
        f"INSERT INTO papers_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {NEW}); END"
    )
    op.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")  # the old triggers expect it whole
