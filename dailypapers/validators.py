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
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# arXiv's archives, current and retired, and the subject classes of each (arxiv.org/category_taxonomy, the
# aliases included: cs.NA is math.NA, math.IT is cs.IT, eess.SY is cs.SY, stat.TH is math.ST, ...).
# A category is an archive (cs: all of computer science) or ARCHIVE.SUBJECT, in arXiv's spelling.
SUBJECT_CLASSES = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL RO "
    "SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph "
    "geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
ARCHIVES = frozenset(
    """
acc-phys adap-org alg-geom ao-sci astro-ph atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas cond-mat cs dg-ga
econ eess funct-an gr-qc hep-ex hep-lat hep-ph hep-th math math-ph mtrl-th nlin nucl-ex nucl-th patt-sol physics
plasm-ph q-alg q-bio q-fin quant-ph solv-int stat supr-con
""".split()
)
# Every category, by its lower-case spelling: what a person types is matched whatever its case.
CATEGORIES = {
    name.lower(): name
    for name in (
        *ARCHIVES,
        *(f"{archive}.{subject}" for archive, subjects in SUBJECT_CLASSES.items() for subject in subjects.split()),
    )
}


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
    # stripped, so a space anywhere makes two words; split() runs in C, not once a character in Python
    if not url or len(url) > MAX_URL_CHARS or _XML_FORBIDDEN.search(url) or len(url.split()) > 1:
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
    """An arXiv category (cs.LG) or archive (cs), in arXiv's spelling; InvalidInput names one arXiv does not have."""
    canonical = CATEGORIES.get(text.strip().lower())
    if canonical is None:
        raise InvalidInput(
            f"not an arXiv category: {text[:40]!r} (e.g. cs.LG, hep-th, astro-ph.CO, or cs for all of computer science)"
        )
    return canonical


def in_categories(paper_categories: list[str], wanted: set[str]) -> list[str]:
    """The paper's categories that `wanted` asks for: named exactly (cs.LG), or by their archive (cs)."""
    return [c for c in paper_categories if c in wanted or c.partition(".")[0] in wanted]


_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])")


def slug(text: str, what: str = "the slug") -> str:
    """A lower-case name for an address (/groups/{slug}): 3 to 40 letters, digits or '-', not at either end."""
    value = (text or "").strip()
    if not _SLUG.fullmatch(value):
        raise InvalidInput(
            f"{what} has 3 to 40 lower-case letters, digits or '-', and starts and ends with a letter or digit"
        )
    return value
