"""Page rendering shared by every router: one Jinja2 environment, one `render` helper.

`render(request, "name.html", **ctx)` gives each template `request`, `current_user` (a User or None),
`settings`, `site_name`, `csrf_token()` (call it: the token string), `csrf_field()` (the hidden
input, ready to drop in a form) and `absolute_url(path)` (the full URL of a path on this site).
Templates extend `base.html` and fill the blocks `title` and `content`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from dailypapers.config import get_settings
from dailypapers.ingest.thumbnails import thumbnail_name
from dailypapers.validators import http_url
from dailypapers.web.auth import current_user
from dailypapers.web.middleware.csrf import CSRF_FIELD, csrf_token
from dailypapers.web.responses import card_anchor

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.auto_reload = False  # templates are compiled once per process


def _ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def _iso(value: date | datetime | None) -> str:
    return value.isoformat() if value is not None else ""


TEASER_CHARS = 220
CODE_HOSTS = {"github.com": "GitHub", "gitlab.com": "GitLab", "huggingface.co": "Hugging Face"}


def teaser(paper) -> str:
    """One line that says what a paper does: its extractive summary, else the abstract clipped at a word."""
    text = " ".join((paper.ai_summary or paper.abstract or "").split())
    if len(text) <= TEASER_CHARS:
        return text
    return text[:TEASER_CHARS].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


@lru_cache(maxsize=4096)
def _card_text(
    arxiv_id: str, title: str, authors: tuple[str, ...], line: str, keywords: tuple[str, ...], level: int
) -> Markup:
    macro = templates.get_template("_macros.html").module.card_text  # type: ignore[attr-defined]  # a macro: Jinja types none
    result: Markup = macro(arxiv_id, title, list(authors), line, list(keywords), level)
    return result


def cached_card_text(paper, level: int = 2, with_teaser: bool = True) -> Markup:
    """A card's title, authors, one line and keywords. They read the same for every visitor, so each is
    rendered once per content rather than once per card per request; the key is everything they show, so a
    paper whose title, authors, summary or keywords change gets a new one."""
    return _card_text(
        paper.arxiv_id,
        paper.title,
        tuple(paper.authors or ()),
        teaser(paper) if with_teaser else "",
        tuple((paper.ai_keywords or ())[:4]),
        level,
    )


def thumbnail_url(paper) -> str | None:
    """The address of a paper's thumbnail (served by routes/thumbnails.py), or None: read from the paper's row,
    never from the disk. Here, not with its route: importing a router would import every router, and they
    import this module."""
    version = getattr(paper, "thumbnail_version", None)
    return f"/thumbnails/{thumbnail_name(paper.arxiv_id, version)}" if version else None


@lru_cache(maxsize=64)
def icon(name: str) -> Markup:
    """An icon of static/icons.svg: a Python function, not a macro, since a card shows two or three and a macro
    call costs more than the markup (the names are few, so each is made once)."""
    return Markup(
        '<svg class="icon" aria-hidden="true" focusable="false" width="16" height="16">'
        '<use href="/static/icons.svg#{}"/></svg>'
    ).format(name)


def code_host(url: str) -> str:
    """The name of the site a code link points at ("GitHub", "GitLab", "Hugging Face"), or "" for others."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return CODE_HOSTS.get(host, "")


def _inline_code(text: str | None) -> Markup:
    """Plain text (an API summary, say) escaped, with its `backticked` spans shown as code."""
    pieces = (text or "").split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick stays as it is
        pieces[-2:] = ["`".join(pieces[-2:])]
    return Markup("").join(Markup("<code>%s</code>") % piece if i % 2 else piece for i, piece in enumerate(pieces))


templates.env.filters["ago"] = _ago
templates.env.filters["inline_code"] = _inline_code
templates.env.filters["day"] = _day
templates.env.filters["iso"] = _iso
# Outside links are rendered only when http(s), even if an older row slipped past the store's check.
templates.env.filters["http_url"] = http_url
templates.env.filters["teaser"] = teaser
templates.env.filters["code_host"] = code_host
templates.env.filters["card_anchor"] = card_anchor
templates.env.filters["author_path"] = lambda name: "/authors/" + quote(name, safe="")
templates.env.filters["thumbnail_url"] = thumbnail_url  # None when the paper has none: cards stay complete
templates.env.globals["cached_card_text"] = cached_card_text
templates.env.globals["icon"] = icon


def absolute_url(request: Request, path: str) -> str:
    """`path` on this site as a full URL, for links that leave the page (feeds, og:url, share links)."""
    return get_settings().origin(str(request.base_url)) + path


def _context(request: Request, context: dict) -> dict:
    settings = get_settings()
    context.setdefault("current_user", current_user(request))

    field: list[Markup] = []  # made once: a member's page of cards holds dozens of forms

    def csrf_field() -> Markup:
        if not field:
            field.append(Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request)))
        return field[0]

    context.update(
        request=request,
        settings=settings,
        site_name=settings.site_name,
        csrf_token=lambda: csrf_token(request),
        csrf_field=csrf_field,
        absolute_url=lambda path="": absolute_url(request, path),
    )
    return context


def compile_templates() -> None:
    """Compile every template now, before the first request. Jinja compiles a template on first use, with no
    lock: a burst of first visitors after a start would compile the same page once per request thread, each
    compile holding the GIL while the others wait (seen under load as a visitor's page costing twice a
    member's)."""
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)


def render(request: Request, name: str, status_code: int = 200, headers: dict | None = None, **context):
    """A TemplateResponse with the shared context filled in."""
    return templates.TemplateResponse(
        request, name, _context(request, context), status_code=status_code, headers=headers
    )


def render_fragment(request: Request, name: str, **context) -> str:
    """A template rendered to a string (a piece of a page that a script inserts)."""
    return templates.get_template(name).render(_context(request, context))
