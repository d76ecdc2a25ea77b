"""The words a reader sees on the 64 demo papers: each paper's summary sentence and keyword chips, as the
index computes them by default (static MiniLM token vectors), with a count of the ones that read badly.

    .venv/bin/python benchmarks/demo_words.py > words.txt

A chip reads badly when it ends in a verb or a function word, or is a fragment of a longer phrase of the
title; a summary reads badly when it starts with a connective. The flags use the same word lists as the
keyphrase code, so they are a check of consistency; read the listing itself to judge the words.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dailypapers.index.keyphrases import describe_with_tokens, reads_badly, starts_with_connective  # noqa: E402
from dailypapers.index.token_vectors import minilm_token_vectors  # noqa: E402
from dailypapers.ingest.demo import demo_records  # noqa: E402


def main() -> None:
    records = demo_records()
    described = describe_with_tokens([(r.title, r.abstract) for r in records], minilm_token_vectors())
    bad_chips = bad_summaries = chips = 0
    for record, d in zip(records, described, strict=True):
        flagged = [k for k in d.keywords if reads_badly(k, record.title)]
        chips += len(d.keywords)
        bad_chips += len(flagged)
        bad_summaries += starts_with_connective(d.summary)
        print(f"{record.arxiv_id}  {record.title}")
        print(f"  summary:  {d.summary}")
        print(f"  keywords: {' | '.join(d.keywords)}")
        if flagged:
            print(f"  flagged:  {' | '.join(flagged)}")
        print()
    print(
        f"{len(records)} papers, {chips} chips: {bad_chips} flagged; {bad_summaries} summaries start with a connective"
    )


if __name__ == "__main__":
    main()
