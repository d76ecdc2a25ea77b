"""The site compiles its templates when it starts, not in its first visitors' request threads."""

from __future__ import annotations

import jinja2
from fastapi.testclient import TestClient

from dailypapers.web.app import create_app  # first: the templates' module and the routes import each other
from dailypapers.web.templating import templates
from tests.web_helpers import add_papers, record


def test_templates_are_compiled_at_start_not_by_the_first_visitors(session, monkeypatch):
    add_papers(session, [record("2501.00001", "Sparse attention")])
    templates.env.cache.clear()  # a fresh process: nothing compiled yet
    compiled: list[str] = []
    compile_once = jinja2.Environment.compile

    def counting(env, source, name=None, *args, **kwargs):
        compiled.append(name)
        return compile_once(env, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    with TestClient(create_app()) as site:  # runs the app's start-up, as `dailypapers serve` does
        assert {"base.html", "paper.html", "feed.html"} <= set(compiled)
        compiled.clear()
        for path in ("/papers", "/papers/2501.00001", "/login"):
            assert site.get(path).status_code == 200
    assert compiled == []
