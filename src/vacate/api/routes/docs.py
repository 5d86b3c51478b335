"""The OpenAPI document and the interactive docs, with Swagger UI served from the installed
``swagger-ui-bundle`` package: nothing is fetched from a CDN, so the docs work offline and
behind a strict proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from vacate.api.errors import ApiError
from vacate.api.policy import Caller, public

router = APIRouter(include_in_schema=False)

ASSETS = Path(str(swagger_ui_path))
#: The only files the docs page needs; nothing else of the package is served.
SERVED = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


@router.get("/openapi.json")
def openapi(request: Request, caller: Annotated[Caller, public("openapi")]) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs(caller: Annotated[Caller, public("docs")]) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Vacate API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get("/docs/assets/{name}")
def docs_asset(name: str, caller: Annotated[Caller, public("docs")]) -> FileResponse:
    if name not in SERVED:
        raise ApiError(404, f"docs asset {name!r} not found")
    return FileResponse(ASSETS / name)
