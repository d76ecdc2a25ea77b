"""Index: the keyword and vector indexes derived from the store, the embedders, and how they are built.

protocols.py             what a keyword engine and a vector index must do: read this first
engines.py           which keyword engine and which vector index serve a database
keyword_tantivy.py   tantivy (the default, on both backends), files in the data dir, kept in step by a watermark
keyword_fts5.py      SQLite FTS5 over title, authors, abstract, categories (bm25)
keyword_postgres.py  the same match expressions on PostgreSQL (tsvector)
keyword_sql.py       the filters as SQL, shared by the two in-database engines
embedders.py         the models: text -> unit-length vectors
minilm.py            MiniLM without torch: the shipped OpenVINO export, its files checked at load
token_vectors.py     static token vectors: any stretch of a text embeds as the sum of its tokens' vectors
keyphrases.py        keywords and a one-sentence summary of a paper (pure functions)
words.py             word lists for the words a reader sees (keyword chips, summaries), without a tagger
descriptions.py      keeps every paper's keywords and summary current with its title and abstract
token_pool.py        the static-vector keywords and summaries on a pool of processes, one per core
stored_vectors.py    the `embeddings` table: embed new or changed papers, in committed batches
vectors.py           FileVectorIndex: vector index files (exact scan, or an HNSW graph when large), beside SQLite
vectors_pgvector.py  PgVectorIndex: the vector index inside PostgreSQL (pgvector HNSW per model, filters in SQL)
build.py             `dailypapers index`: refresh all of the above
"""
