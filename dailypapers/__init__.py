"""dailypapers: a self-hostable research-paper discovery site."""

# The one place the version is written: pyproject.toml, the API description, backup manifests and the user agent
# read it from here.
__version__ = "0.1.0"
USER_AGENT = f"dailypapers/{__version__} (self-hosted paper feed; +https://github.com/dailypapers/dailypapers)"
