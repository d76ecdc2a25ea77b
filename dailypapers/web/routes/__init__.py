"""The site's routes, one module per resource, each with its HTML pages and its JSON endpoints.

A request tries the routers in turn (each of their routes, twice in the one that answers: a tenth of a page's
time with the pages last), so the pages most read come first. Order matters between two routers only where
their paths overlap, under /papers/: the paper page's `/papers/{arxiv_id:path}` matches every path there, so
the feeds (`/papers/feed.xml` is not a paper id), the actions (a GET of a form's `/papers/{id}/upvote` answers
405, not 404) and the library's paper paths come before it. tests/test_web_routes.py pins that order.
"""

from __future__ import annotations

from fastapi import APIRouter

from dailypapers.web.routes import (
    accounts,
    admin,
    avatars,
    collection_feeds,
    docs,
    groups,
    health,
    library,
    maps,
    metrics,
    paper_actions,
    paper_feeds,
    papers,
    papers_api,
    portable,
    profile,
    saved_searches,
    subscriptions,
    thumbnails,
    trends,
)

ROUTERS: tuple[APIRouter, ...] = (
    papers.router,
    paper_feeds.router,  # before the paper page
    paper_actions.router,  # before the paper page
    library.router,  # before the paper page
    profile.router,
    papers.paper_router,  # /papers/{arxiv_id:path}: every path under /papers/ the routers above did not take
    health.router,
    metrics.router,
    papers_api.router,
    library.api,
    collection_feeds.api,
    profile.api,
    saved_searches.api,
    portable.api,
    groups.api,
    docs.router,
    accounts.router,
    portable.router,
    saved_searches.router,
    collection_feeds.router,
    admin.router,
    subscriptions.router,
    trends.router,
    maps.router,
    maps.api,
    thumbnails.router,
    avatars.router,
    groups.router,
)
