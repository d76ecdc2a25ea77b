"""Community: users, sessions, API tokens, votes, comments, submissions to the daily feed and moderation.

Every write a person can make lives here once, and the site's forms, the JSON API and the CLI all call
the same function. Functions take a SQLAlchemy Session and plain values, raise dailypapers.errors types,
and return store models or small dataclasses. This package must never import dailypapers.web, the CLI,
or FastAPI/Starlette request objects: it is what those layers call, not the other way round.
"""
