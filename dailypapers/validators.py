"""Checks for text, links, e-mail addresses and arXiv categories that come from outside: the store, the
pages, the feeds, search and the digests share them, so each is accepted (or refused) the same everywhere."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from dailypapers.errors import InvalidInput

MAX_URL_CHARS = 500  # the width of the store's link columns

# What XML 1.0 cannot hold, not even as a character reference: C0 controls other than tab, newline and
# carriage return, lone surrogates (JSON's "\ud800" decodes to one), U+FFFE and U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Deliberately plain: an ASCII address with no spaces, quotes or line breaks (those would let a caller
# smuggle extra mail headers), and a domain with at least one dot.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
# arXiv categories: cs.LG, hep-th, astro-ph.CO, cond-mat.stat-mech, q-bio.NC, physics.optics, ...
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[a-z]+(?:-[a-z]+)?)?$")
_LOWERCASE_SUBJECTS = ("physics", "cond-mat")  # archives whose subject classes are written in lower case
# arXiv's archives, current and retired (a category is ARCHIVE or ARCHIVE.SUBJECT).
ARCHIVES = frozenset("""
acc-phys adap-org alg-geom ao-sci astro-ph atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas cond-mat cs dg-ga
econ eess funct-an gr-qc hep-ex hep-lat hep-ph hep-th math math-ph mtrl-th nlin nucl-ex nucl-th patt-sol physics
plasm-ph q-alg q-bio q-fin quant-ph solv-int stat supr-con
""".split())


def xml_safe(text: str, replacement: str = "") -> str:
    """The text with each character XML 1.0 forbids (one makes a whole feed malformed) replaced."""
    return _XML_FORBIDDEN.sub(replacement, text)


def plain_text(text: str, what: str) -> str:
    """The text, unless it holds a lone surrogate (JSON's "\\ud800" decodes to one): no database can store
    it, and no page or mail can show it. InvalidInput names `what` ("the comment", say)."""
    if _SURROGATE.search(text):
        raise InvalidInput(f"{what} holds a character that is not valid text (a lone UTF-16 surrogate)")
    return text


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
def email_address(text: str | None) -> str:
    """The address, stripped; InvalidInput unless it is a plain ASCII address we can send mail to."""
    address = (text or "").strip()
    if not address:
        raise InvalidInput("the email address is empty")
    if len(address) > 254 or not _EMAIL.match(address) or ".." in address:
        raise InvalidInput(f"not an email address we can send to: {address[:80]!r}")
    return address


def arxiv_category(text: str) -> str:
    """An arXiv category (cs.LG) or archive (cs), in arXiv's spelling; InvalidInput names a bad one."""
    lowered = text.strip().lower()
    if len(lowered) > 40 or not _CATEGORY.match(lowered) or lowered.partition(".")[0] not in ARCHIVES:
        raise InvalidInput(f"not an arXiv category: {text[:40]!r} (e.g. cs.LG, hep-th, astro-ph.CO, or cs for "
                           "all of computer science)")
    archive, _, subject = lowered.partition(".")
    if subject and archive not in _LOWERCASE_SUBJECTS:
        subject = subject.upper()
    return f"{archive}.{subject}" if subject else archive


def in_categories(paper_categories: list[str], wanted: set[str]) -> list[str]:
    """The paper's categories that `wanted` asks for: named exactly (cs.LG), or by their archive (cs)."""
    return [c for c in paper_categories if c in wanted or c.partition(".")[0] in wanted]
