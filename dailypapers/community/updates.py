"""Updates of saved papers: what changed between a paper's arXiv versions, and which of the papers a member
keeps (library, collections) have a newer version than the one they saw. Marking an update seen is the
member's one write here, called by the page and the API alike.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from datetime import datetime

from dailypapers.community.papers import load_paper
from dailypapers.sources.records import is_withdrawn
from dailypapers.store import versions as store
from dailypapers.store.db import Session
from dailypapers.store.models import Paper, User
from dailypapers.store.versions import Seen, VersionState

DiffPart = tuple[str, str]  # ("same" | "ins" | "del", words)


def changes(old: VersionState, new: VersionState) -> list[str]:
    """What changed from `old` to `new`, in words: "abstract changed", "now published in …", "withdrawn"."""
    said = [f"{name} changed" for name in ("title", "abstract", "authors") if getattr(old, name) != getattr(new, name)]
    if new.comments != old.comments and not new.withdrawn:
        said.append("comments changed")
    if new.journal_ref and new.journal_ref != old.journal_ref:
        said.append(f"now published in {new.journal_ref}")
    if new.doi and new.doi != old.doi:
        said.append(f"DOI {new.doi}")
    if new.withdrawn and not old.withdrawn:
        said.append("withdrawn")
    return said


def word_diff(old: str, new: str) -> list[DiffPart]:
    """The words of `new` against those of `old`: runs kept, inserted and deleted, in reading order."""
    before, after = old.split(), new.split()
    parts: list[DiffPart] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("same", " ".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("del", " ".join(before[i1:i2])))
        if j2 > j1:
            parts.append(("ins", " ".join(after[j1:j2])))
    return parts


@dataclass(frozen=True)
class VersionView:
    """One version on the paper page: what it said, what changed from the one before, its abstract's diff."""

    state: VersionState
    changes: list[str]
    abstract_diff: list[DiffPart] | None  # None for the first version, or when the abstract did not change


def version_history(session: Session, paper: Paper) -> list[VersionView]:
    """The versions the site knows of the paper, newest first, each against the one before it."""
    states = store.history(session, paper)
    views = [VersionView(states[0], [], None)]
    for old, new in zip(states, states[1:], strict=False):
        diff = word_diff(old.abstract, new.abstract) if old.abstract != new.abstract else None
        views.append(VersionView(new, changes(old, new), diff))
    return views[::-1]


@dataclass(frozen=True)
class UpdateFlag:
    """A kept paper with a newer version than its member saw."""

    arxiv_id: str
    seen_version: int
    version: int
    changes: list[str]

    @property
    def summary(self) -> str:
        """'v3 since you saved v1: abstract changed, now published in …'; news on the version saw:
        'since you saved v1: now published in …'."""
        head = f"since you saved v{self.seen_version}"
        head = f"v{self.version} {head}" if self.version > self.seen_version else head
        return f"{head}: {', '.join(self.changes)}" if self.changes else head


def update_flag(session: Session, paper: Paper, seen: Seen) -> UpdateFlag:
    states = store.history(session, paper)
    # The version the member saw, else the newest one before it the site knows (it may have skipped some), as
    # published when they saw it.
    base = next((s for s in reversed(states) if s.version <= seen.version), None)
    said = []
    if base is not None:
        was = replace(
            base,
            journal_ref=seen.journal_ref,
            doi=seen.doi,
            comments=seen.comments,
            withdrawn=is_withdrawn(seen.comments),
        )
        said = changes(was, states[-1])
    return UpdateFlag(paper.arxiv_id, seen.version, paper.version, said)


def update_flags(session: Session, user: User | None, papers: list[Paper]) -> dict[int, UpdateFlag]:
    """paper id -> its flag, for those of `papers` the user keeps that changed since the user saw them."""
    if user is None or not papers:
        return {}
    by_id = {paper.id: paper for paper in papers}
    seen = store.updated_since_seen(session, user.id, list(by_id))
    return {paper_id: update_flag(session, by_id[paper_id], what) for paper_id, what in seen.items()}


def updated_papers(session: Session, user: User) -> list[UpdateFlag]:
    """Every paper the user keeps that changed since they saw it."""
    seen = store.updated_since_seen(session, user.id)
    papers = store.papers_with_ids(session, list(seen))
    return [update_flag(session, paper, seen[paper.id]) for paper in papers]


def updates_between(session: Session, user: User, start: datetime, end: datetime) -> list[tuple[Paper, UpdateFlag]]:
    """The user's kept papers whose current version this site first saw in [start, end) and the user has not
    marked seen: each new version is in one digest period only, so it is told once."""
    return [
        (paper, update_flag(session, paper, seen))
        for paper, seen in store.updated_between(session, user.id, start, end)
    ]


def mark_update_seen(session: Session, user: User, arxiv_id: str) -> None:
    """The user has seen the paper's current version: the flag goes from every page (idempotent)."""
    store.mark_seen(session, user.id, load_paper(session, arxiv_id))
