"""The API reference at /docs, rendered on the server from the OpenAPI document.

FastAPI's default /docs loads Swagger UI from a CDN; a self-hosted site must not fetch anything from
elsewhere at run time, so the same OpenAPI data is shown as a plain page (and served at /openapi.json).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


def _type(schema: dict) -> str:
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    return schema.get("type", "")


def endpoints(spec: dict) -> list[dict]:
    rows = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": _type(p.get("schema", {})),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": _type(body) if body else None,
                }
            )
    return rows


@router.get("/docs")
def api_docs(request: Request):
    spec = request.app.openapi()
    schemas = spec.get("components", {}).get("schemas", {})
    bodies = {
        name: schema.get("properties", {})
        for name, schema in schemas.items()
        if name in {"PaperRef", "CommentIn", "HiddenIn"}
    }
    return render(request, "docs.html", spec=spec, endpoints=endpoints(spec), bodies=bodies)
