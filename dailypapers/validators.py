"""Checks for text and links that come from outside: the store, the pages and the feeds share them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_CHARS = 500  # the width of the store's link columns

# What XML 1.0 cannot hold, not even as a character reference: C0 controls other than tab, newline and
# carriage return, lone surrogates (JSON's "\ud800" decodes to one), U+FFFE and U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str, replacement: str = "") -> str:
    """The text with each character XML 1.0 forbids (one makes a whole feed malformed) replaced."""
    return _XML_FORBIDDEN.sub(replacement, text)


def http_url(value: object) -> str | None:
    """The link if it is an absolute http(s) URL with a host, else None.

    Every other scheme is refused: javascript: and data: links run or load code when a reader clicks them.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or _XML_FORBIDDEN.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


# Hosts whose repository URLs are https://HOST/OWNER/REPO; any other forge is taken on its https URL alone.
GITHUB_HOSTS = ("github.com", "www.github.com")
FORGE_HOSTS = GITHUB_HOSTS + ("gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht")


def forge_url(value: object) -> str | None:
    """The link if it names a code repository: https://github.com/OWNER/REPO, or another forge's https URL
    with a path; else None."""
    url = http_url(value)
    if url is None:
        return None
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme.lower() != "https" or not segments:
        return None
    if parts.hostname in GITHUB_HOSTS and (len(segments) < 2 or parts.query or parts.fragment):
        return None
    return url
