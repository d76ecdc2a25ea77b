"""The web site, the JSON API and the feeds."""
