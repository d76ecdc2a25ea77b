"""Trending: upvotes discounted by age, computed in SQL (store/feed.py) so the database sorts and pages.

    trendingScore = upvotes / (age_hours + 2) ** 1.5

where age_hours counts from the paper's entry on the daily feed (its submission). The +2 keeps a
brand-new paper with one vote from outranking everything; the 1.5 power lets older papers fall away
within days, as on Hacker News-style boards.
"""

from __future__ import annotations

GRAVITY = 1.5
OFFSET_HOURS = 2.0


def trending_score_value(upvotes: int, hours: float) -> float:
    """The same formula in Python, for documentation, tests and the API's per-item field."""
    return upvotes / (max(hours, 0.0) + OFFSET_HOURS) ** GRAVITY
