"""The version is written once, in dailypapers/__init__.py: the package's metadata, the API's description,
backup manifests and the user agent all read it from there."""

from __future__ import annotations

import re
import tomllib

import pytest
from setuptools.config.pyprojecttoml import read_configuration

from dailypapers import USER_AGENT, __version__
from tests.conftest import ROOT
from tests.web_helpers import client


def test_the_version_is_written_once():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert read_configuration(ROOT / "pyproject.toml")["project"]["version"] == __version__  # what pip installs
    written = [
        path.relative_to(ROOT)
        for path in (ROOT / "dailypapers").rglob("*.py")
        if re.search(rf"[\"']{re.escape(__version__)}[\"']", path.read_text())
    ]
    assert [str(path) for path in written] == ["dailypapers/__init__.py"]


@pytest.mark.sqlite_only("the version has nothing to do with the store")
def test_the_api_and_the_user_agent_say_the_version(settings):
    assert client().get("/openapi.json").json()["info"]["version"] == __version__
    assert USER_AGENT.startswith(f"dailypapers/{__version__} ")
