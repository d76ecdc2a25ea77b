"""The `embeddings` table as PostgreSQL has it (migration 0006): the float32 blob plus its pgvector copy.

Every write of a vector on PostgreSQL goes through `EMBEDDINGS_PG`, whose `embedding` column takes the same
blob and sends it as a pgvector literal, so the two can never differ (store/embeddings.py and
`dailypapers migrate` write with it).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Column, MetaData, Table
from sqlalchemy.types import UserDefinedType

from dailypapers.store.models import Embedding


class PgVector(UserDefinedType):
    """A pgvector `vector` bound from a little-endian float32 blob."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "vector"

    def bind_processor(self, dialect):
        return lambda blob: None if blob is None else vector_literal(np.frombuffer(blob, dtype="<f4"))


def vector_literal(vector: np.ndarray) -> str:
    """'[x,y,...]': the text form pgvector parses; Python's shortest repr brings each float32 back exactly."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


EMBEDDINGS_PG = Table("embeddings", MetaData(),
                      *(Column(c.name, c.type, primary_key=c.primary_key) for c in Embedding.__table__.columns),
                      Column("embedding", PgVector()))
