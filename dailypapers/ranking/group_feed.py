"""A reading group's For you: the personal feed's model (recommend.fit_user_model), fitted on what the group
holds in common instead of one reader's signals: the papers of its shared collection, and the upvotes and saves
of the members who share them with the group. The candidates are the papers that arrived on the site in the
window, without those the group already has.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from dailypapers.ranking.recommend import Pick, fit_user_model, paper_vectors, top_picks, window_days, window_ids
from dailypapers.store.db import Session
from dailypapers.store.groups import shared_activity


def group_positives(session: Session, group_id: int) -> list[int]:
    """The group's positives, newest first, no repeats: its papers and its sharing members' upvotes and saves."""
    return list(dict.fromkeys(row.paper_id for row in shared_activity(session, group_id, None)))


def group_picks(
    session: Session, group_id: int, window: str | int | None = "week", limit: int = 20, now: datetime | None = None
) -> list[Pick]:
    """The papers of the window the group's model ranks highest; [] while the group has no positive with a vector."""
    vectors = paper_vectors()
    positives = group_positives(session, group_id)
    if vectors is None or not positives or limit <= 0:
        return []
    model = fit_user_model(vectors, positives, [], seed=group_id)
    if model is None:
        return []
    ids = window_ids(session, window_days(window), now)
    ids = ids[~np.isin(ids, np.asarray(positives, dtype=np.int64))]
    return top_picks(session, vectors, model, ids, limit)
