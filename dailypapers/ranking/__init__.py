"""Ranking: which papers come first, for everyone and for one reader.

trending.py   upvotes discounted by age (the feed's and the digests' trending order)
feed.py       the daily feed read: entries of a period (or all), sorted by upvotes, date or trending score
interests.py  a pool of papers ranked against a reader's interests and categories (digests; "For you")
signals.py    what the personal feed learns from: upvotes, saves, collections, "not interested" marks
recommend.py  the personal feed: a per-reader linear model over the paper embeddings
paper_map.py  a map of papers: embeddings projected to 2D (openTSNE), clusters named by their keyphrases
"""
