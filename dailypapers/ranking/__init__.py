"""Ranking: trending and per-user recommendations."""
