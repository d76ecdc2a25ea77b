"""Backups that restore: a consistent copy of the database and of the data dir's own files, with a
manifest to check it by.

A backup is a directory of its own (`dailypapers backup DEST` refuses a DEST that exists):

    manifest.json     format, dailypapers version, schema revisions, time, rows per table, sha256 of each file
    dailypapers.db    SQLite: a snapshot taken with the online backup API while the site serves
    database.pgdump   PostgreSQL instead: pg_dump's custom format, of the same snapshot
    secret_key        the signing key, when the data dir keeps it (not when DAILYPAPERS_SECRET_KEY is set)
    thumbnails/       the first-page thumbnails (the database records which exist; fetching them again is slow)

The snapshots themselves are the store's (store/snapshot_sqlite.py, store/snapshot_postgres.py).
Derived data is left out (the keyword index, vector files, downloaded models): a restore rebuilds it.

    lock.py       the data dir's instance lock: serve, scheduler and worker share it; a restore takes it alone
    manifest.py   the manifest, and the check of every file against it
    take.py       `dailypapers backup` and `backup --check`
    restore.py    `dailypapers restore`
"""
