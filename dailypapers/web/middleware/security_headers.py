"""Security headers on every response: pages, API answers, files, errors, and copies from the micro-cache.

The policy allows what the site's own pages use and nothing more: scripts only from /static (app.js; no page
has an inline script or event handler), no plugins, no framing by any site, forms posting only here. Styles
allow 'unsafe-inline' because the trend chart is inline SVG from matplotlib, drawn with style attributes; a
style cannot run code, and every user's text is escaped before it reaches a page.
"""

from __future__ import annotations

from dailypapers.web.middleware.added_headers import AddedHeaders, Headers

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)


class SecurityHeaders(AddedHeaders):
    """Add the headers above to each response that does not set them itself."""

    def added(self, scope, headers: Headers) -> Headers:
        present = {name.lower() for name, _ in headers}
        return [(name, value) for name, value in SECURITY_HEADERS if name not in present]
