"""Search indexes: keyword (FTS5), embeddings, vectors (exact scan or HNSW)."""
