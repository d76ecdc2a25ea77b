"""Index: the keyword and vector indexes derived from the store, the embedders, and how they are built.

    keyword.py           SQLite FTS5 over title, authors, abstract, categories (bm25)
    keyword_postgres.py  the same match expressions on PostgreSQL (tsvector)
    embedders.py         the models: text -> unit-length vectors
    stored_vectors.py    the `embeddings` table: embed new or changed papers, in committed batches
    vectors.py           the vector index files (exact scan, or an HNSW graph when large)
    build.py             `dailypapers index`: refresh all of the above
"""
