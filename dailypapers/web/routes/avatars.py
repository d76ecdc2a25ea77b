"""Members' avatars, drawn here: the first letter of the username on a colour derived from its hash.

No outside service ever sees who reads what, and an avatar costs one cached request per member.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter
from fastapi.responses import Response

from dailypapers.community.users import USERNAME
from dailypapers.errors import NotFound

router = APIRouter(include_in_schema=False)
# The same name always gives the same picture, so browsers may keep it for a long time.
CACHE = "public, max-age=604800, immutable"


def avatar_colour(username: str) -> str:
    """A hue from the name's hash, dark enough for white text at AA contrast."""
    hue = int.from_bytes(hashlib.sha256(username.lower().encode()).digest()[:2], "big") % 360
    return f"hsl({hue} 55% 34%)"


def avatar_svg(username: str) -> str:
    initial = username[0].upper()  # usernames are ASCII letters and digits first: nothing to escape
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">'
        f'<circle cx="16" cy="16" r="16" fill="{avatar_colour(username)}"/>'
        '<text x="16" y="21.5" text-anchor="middle" font-family="system-ui, sans-serif" font-size="16" '
        f'font-weight="600" fill="#fff">{initial}</text></svg>'
    )


@router.get("/avatars/{username}.svg")
def avatar(username: str) -> Response:
    if not USERNAME.match(username):
        raise NotFound(f"no avatar for {username!r}: not a username")
    return Response(avatar_svg(username), media_type="image/svg+xml", headers={"Cache-Control": CACHE})
