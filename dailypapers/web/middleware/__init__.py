"""The checks around every request: the micro-cache, HEAD as GET, the body limit, CSRF, security headers, the
access log and rate limits. create_app() adds the ASGI middlewares; routes call the CSRF and rate-limit checks."""
