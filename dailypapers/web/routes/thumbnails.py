"""First-page thumbnails (made by ingest/thumbnails.py), served from the data dir and cached for good:
a thumbnail's address names the paper's version, so a new version gets a new address."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import FileResponse

from dailypapers.config import get_settings
from dailypapers.errors import NotFound
from dailypapers.ingest.thumbnails import thumbnails_dir

router = APIRouter(include_in_schema=False)

IMMUTABLE = "public, max-age=31536000, immutable"
_NAME = re.compile(r"[A-Za-z0-9._-]+v[0-9]+\.webp")  # thumbnail_name's alphabet: no slash, so no way out


@router.get("/thumbnails/{name}")
def thumbnail(name: str):
    path = thumbnails_dir(get_settings().data_dir) / name
    if not _NAME.fullmatch(name) or not path.is_file():
        raise NotFound(f"no thumbnail {name}")
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": IMMUTABLE})
