"""The `embeddings` table as PostgreSQL has it (migration 0006): the float32 blob plus its pgvector copy.

Every write of a vector on PostgreSQL goes through `EMBEDDINGS_PG`, whose `embedding` column takes the same
blob and sends it as a pgvector literal, so the two can never differ (store/embeddings.py and
`dailypapers migrate` write with it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Column, Dialect, MetaData, Table
from sqlalchemy.types import UserDefinedType

from dailypapers.store.models import Embedding


class PgVector(UserDefinedType[bytes]):
    """A pgvector `vector` bound from a little-endian float32 blob."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "vector"

    def bind_processor(self, dialect: Dialect) -> Callable[[bytes | None], str | None]:
        return lambda blob: None if blob is None else vector_literal(np.frombuffer(blob, dtype="<f4"))


def vector_literal(vector: npt.ArrayLike) -> str:
    """'[x,y,...]': the text form pgvector parses; Python's shortest repr brings each float32 back exactly."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


EMBEDDINGS_PG = Table(
    "embeddings",
    MetaData(),
    *(Column(c.name, c.type, primary_key=c.primary_key) for c in Embedding.__table__.columns),
    Column("embedding", PgVector()),
)
