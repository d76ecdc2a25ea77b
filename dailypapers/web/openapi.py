"""The OpenAPI document, made to tell the truth about errors.

FastAPI documents a 422 for every operation with parameters, but this site answers bad input with 400,
and every error with the same `{"error": "..."}` body. Here each operation lists what it can answer:
400 always, 404 when the path names something, 401/403/429 behind the write guard, 413 and 503 (a full
disk) for writes. Routes add what is theirs alone (502 from arXiv, 415 for a body that is not JSON).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
_DESCRIPTIONS = {
    "400": "Bad input: a parameter or the body is not acceptable (the message names it)",
    "401": "Not signed in, or the API token is not valid",
    "403": "Not allowed: someone else's comment, an administrator's action, or a failed CSRF check",
    "404": "No such paper, comment, token or user",
    "413": "The body is too large",
    "415": "The body is not JSON",
    "429": "Too many requests; the Retry-After header says when to try again",
    "502": "arXiv did not answer",
    "503": "The server cannot save anything right now (its disk is full, say); reading still works",
}


def error_response(status: int) -> dict:
    """An entry for a route's `responses=`: this status, with the error body."""
    return {"description": _DESCRIPTIONS[str(status)], "content": {"application/json": {"schema": ERROR}}}


def _errors(path: str, method: str, operation: dict) -> list[int]:
    statuses = [400]
    if "{" in path:
        statuses.append(404)
    if operation.get("security"):  # behind the write guard, which declares the Bearer scheme
        statuses += [401, 403, 429]
    if method != "get":
        statuses += [413, 503]
    return statuses


def truthful_openapi(app: FastAPI) -> dict:
    """The document, built once: FastAPI's, with the 422s replaced by the errors each operation answers."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _errors(path, method, operation):
                responses.setdefault(str(status), error_response(status))
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = spec
    return spec
