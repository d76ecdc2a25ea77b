"""What a person typed -> a structured `KeywordQuery` (index/protocols.py) that every keyword engine understands.

"quoted phrases" stay phrases, a trailing * makes a prefix, other words are looked for one by one.
Stopwords are dropped unless nothing else is left. Only \\w+ tokens survive: no engine syntax gets through.
"""

from __future__ import annotations

import re

from dailypapers.errors import InvalidInput
from dailypapers.index.protocols import KeywordQuery

# Words so common in abstracts that they only slow the OR query down and blur the ranking.
STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers how i if in into is it its itself just me more most my no nor not now of off on once only or other our out
over own same she should so some such than that the their them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your via using use
used based new towards toward paper study approach method methods
""".split()
)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_PART = re.compile(r'"([^"]*)"|(\S+)')


def parse_keyword_query(text: str) -> KeywordQuery:
    phrases: list[tuple[str, ...]] = []
    words: list[tuple[str, bool]] = []
    for phrase, word in _PART.findall(text):
        if phrase:
            tokens = tuple(t.lower() for t in _TOKEN.findall(phrase))
            if tokens and tokens not in phrases:
                phrases.append(tokens)
        else:
            prefix = word.endswith("*")
            words.extend((token.lower(), prefix) for token in _TOKEN.findall(word))
    useful = [(t, p) for t, p in words if p or t not in STOPWORDS] or words
    terms = tuple(dict.fromkeys(t for t, p in useful if not p))
    prefixes = tuple(dict.fromkeys(t for t, p in useful if p))
    query = KeywordQuery(terms, tuple(phrases), prefixes)
    if not query:
        raise InvalidInput("the search query has no words to look for")
    return query


def single_terms(query: KeywordQuery) -> list[KeywordQuery]:
    """Each term and prefix of a query on its own (phrases are specific by nature and stay whole)."""
    return [KeywordQuery(terms=(t,)) for t in query.terms] + [KeywordQuery(prefixes=(p,)) for p in query.prefixes]
