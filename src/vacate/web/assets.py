"""The dashboard's own scripts and style sheet, served from the package: nothing is fetched
from anywhere else."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import FileResponse

from vacate.api.errors import ApiError
from vacate.api.policy import Caller, public

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@router.get("/ui/static/{asset}")
def static_asset(asset: str, caller: Annotated[Caller, public("web.asset")]) -> FileResponse:
    path = STATIC / asset
    if "/" in asset or asset.startswith(".") or path.suffix not in _TYPES or not path.is_file():
        raise ApiError(404, f"dashboard asset {asset!r} not found")
    return FileResponse(
        path, media_type=_TYPES[path.suffix], headers={"Cache-Control": "max-age=300"}
    )
