"""Background work on PostgreSQL: a procrastinate job queue in the site's own database.

`queue` builds the procrastinate app and its tasks (ingest, embedding, digests) and their schedules,
`work` holds what each task does, `status` lists recent jobs. On SQLite, `dailypapers scheduler` runs the
same work in one process instead.
"""
