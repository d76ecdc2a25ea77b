"""The routers' order, listed once in web/routes/__init__.py: where two routes' paths overlap, the one that
must answer comes first."""

from __future__ import annotations

import re

from starlette.routing import compile_path

from dailypapers.web.routes import ROUTERS, papers

PAPER_PAGE = "/papers/{arxiv_id:path}"


def paths_in_order() -> list[str]:
    return [route.path for router in ROUTERS for route in router.routes]


def example(path: str) -> str:
    """A request path the route answers: each parameter filled with a paper id."""
    return re.sub(r"\{[^}]*\}", "2401.00001", path)


def test_the_paper_page_comes_after_every_path_it_would_swallow():
    paths = paths_in_order()
    catch_all = paths.index(PAPER_PAGE)
    swallows = compile_path(PAPER_PAGE)[0].match
    late = [path for path in paths[catch_all + 1 :] if swallows(example(path))]
    assert not late, f"list these routers before the paper page's in ROUTERS: {late}"
    for path in (
        "/papers/feed.xml",
        "/papers/trending/feed.xml",
        "/papers/{arxiv_id:path}/upvote",
        "/papers/{arxiv_id:path}/save",
    ):
        assert paths.index(path) < catch_all, path


def test_the_feed_the_most_read_pages_is_tried_first():
    assert ROUTERS[0] is papers.router
    assert "/papers" in [route.path for route in papers.router.routes]


def test_each_router_is_listed_once():
    assert len(set(map(id, ROUTERS))) == len(ROUTERS)
