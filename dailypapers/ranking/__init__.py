"""Ranking: which papers come first, for everyone and for one reader.

trending.py   upvotes discounted by age (the feed's and the digests' trending order)
feed.py       the daily feed read: entries of a period (or all), sorted by upvotes, date or trending score
interests.py  a pool of papers ranked against a reader's interests and categories (digests; "For you")
signals.py    what the personal feed learns from: upvotes, saves, collections, "not interested" marks
recommend.py  the personal feed: a per-reader linear model over the paper embeddings
group_feed.py  a reading group's feed: the same model, fitted on the group's collection and shared signals
collection_feed.py  a collection's own feed: the same model, trained on that collection's papers alone
steer.py      the profile's ranking controls: the community's upvotes, diversity (MMR)
profile.py    what a reader's model learned, as they read it: topics and papers with their weights
paper_map.py  a map of papers: embeddings projected to 2D (openTSNE), clusters named by their keyphrases
"""
