"""Author pages: an author's papers, newest first, their co-authors, and the user an approved claim links."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dailypapers.community.claims import author_user
from dailypapers.errors import NotFound
from dailypapers.names import author_key
from dailypapers.store.db import Session
from dailypapers.store.models import Paper, User
from dailypapers.store.reads import papers_by_author

MAX_PAPERS = 200
MAX_COAUTHORS = 30


@dataclass
class AuthorPage:
    name: str  # as the newest paper spells it
    papers: list[Paper]
    coauthors: list[tuple[str, int]]  # (name, papers together), most frequent first
    user: User | None


def author_page(session: Session, name: str) -> AuthorPage:
    key = author_key(name)
    if not key:
        raise NotFound(f"no author {name!r}")
    papers = papers_by_author(session, key, MAX_PAPERS)
    if not papers:
        raise NotFound(f"no papers by {name!r}")
    spelled: str | None = None
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for paper in papers:
        keys = {author_key(author): author for author in paper.authors or []}
        spelled = spelled or keys.get(key)
        for other, author in keys.items():
            if other and other != key:
                counts[other] += 1
                names.setdefault(other, author)  # the newest paper's spelling
    coauthors = [(names[k], n) for k, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return AuthorPage(spelled or name, papers, coauthors[:MAX_COAUTHORS], author_user(session, key))
