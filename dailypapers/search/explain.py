"""Why a paper matched: the query's words highlighted in its abstract (or title), HTML-safe.

Keyword-only searches use the engine's own snippet when it has one (FTS5, PostgreSQL); every other page uses
this, because asking FTS5 for snippets of given papers re-runs the whole MATCH per paper, which is slow on
large collections.
"""

from __future__ import annotations

import html
import re

from dailypapers.search.keywords import STOPWORDS

_WORD = re.compile(r"\w+", re.UNICODE)
WINDOW = 24  # words shown, as in the FTS5 snippets


def _pattern(query: str) -> re.Pattern[str] | None:
    """Words starting like a query word: a rough stand-in for the index's Porter stemming."""
    stems = set()
    for token in _WORD.findall(query.lower()):
        if token in STOPWORDS or len(token) < 2:
            continue
        stems.add(token if len(token) <= 4 else token[: max(4, len(token) - 3)])
    if not stems:
        return None
    return re.compile(
        r"\b(?:" + "|".join(sorted(map(re.escape, stems), key=len, reverse=True)) + r")\w*", re.IGNORECASE
    )


def highlight(query: str, title: str, abstract: str) -> str | None:
    """A window of the abstract around the query's words, matches in <mark>; the title if only it matches."""
    pattern = _pattern(query)
    if pattern is None:
        return None
    words = (abstract or "").split()
    hits = [i for i, w in enumerate(words) if pattern.search(w)]
    if not hits:
        if title and pattern.search(title):
            return _mark(title, pattern)
        return None
    # the window holding the most matches
    best = max(hits, key=lambda start: sum(1 for h in hits if start <= h < start + WINDOW))
    start = max(0, min(best - 3, len(words) - WINDOW))
    shown = " ".join(words[start : start + WINDOW])
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + WINDOW < len(words) else ""
    return prefix + _mark(shown, pattern) + suffix


def _mark(text: str, pattern: re.Pattern[str]) -> str:
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
