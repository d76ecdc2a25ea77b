"""dailypapers: a self-hostable research-paper discovery site."""

__version__ = "0.1.0"
USER_AGENT = f"dailypapers/{__version__} (self-hosted paper feed; +https://github.com/dailypapers/dailypapers)"
