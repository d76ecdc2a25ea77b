"""The pages' and the JSON API's own reading of a category filter (their reads are the store's)."""

from __future__ import annotations

from dailypapers.validators import arxiv_category


def parse_category(text: str | None) -> str | None:
    """An optional category filter (cs.CL, or cs for all its categories): None when not given."""
    text = (text or "").strip()
    return arxiv_category(text) if text else None
