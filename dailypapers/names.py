"""Author names as keys: two spellings of one name share a key, two different names never do.

Case, accents, punctuation and the spacing of initials are normalised ("J.R.R. Tolkien" and "j. r. r.
tolkien" agree); an initial is never expanded, so "J. Smith" stays apart from both John and Jane Smith.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")


def author_key(name: str) -> str:
    """The normalised form of an author's name: lower case, no accents, words separated by one space."""
    if (name or "").isascii():  # most names: nothing to decompose, and casefold is lower
        plain = (name or "").lower()
    else:
        decomposed = unicodedata.normalize("NFKD", name)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def author_keys_text(authors: list[str]) -> str:
    """The keys of a paper's authors as one `|`-delimited string, so a paper is found by `LIKE '%|key|%'`."""
    keys = [key for key in (author_key(name) for name in authors or []) if key]
    return "|" + "|".join(keys) + "|" if keys else ""
