"""The store: one SQL database (SQLite by default, PostgreSQL to scale out) that owns every record."""
