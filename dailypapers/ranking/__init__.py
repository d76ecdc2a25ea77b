"""Ranking: which papers come first, for everyone and for one reader.

    trending.py   upvotes discounted by age (the feed's and the digests' trending order)
    interests.py  a pool of papers ranked against a reader's interests and categories (digests; "For you")
"""
