"""Background work: a procrastinate job queue in the site's own database on PostgreSQL, a scheduler on SQLite.

`work` holds what each job does (ingest, index and embedding, digests), whoever runs it; `schedule` when they
run, with its defaults; `queue` builds the procrastinate app, its tasks and their periodic ticks, and shares
embedding out among the workers; `status` lists recent jobs; `scheduler` runs the same jobs on a timetable in
one process, where there is no queue (SQLite).
"""
