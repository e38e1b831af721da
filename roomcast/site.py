"""What the site's pages share besides their layout: error pages for browsers, the favicon, and
the API's documentation page served with no internet (FastAPI's own loads Swagger UI from a CDN).

FastAPI answers every HTTPException with ``{"detail": ...}``; a person who follows a dead link
to ``/episodes/9`` saw that raw JSON. Paths under ``/api/`` and clients that do not ask for
HTML (podcast apps, curl) keep the JSON.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from roomcast.base_url import RequestBaseUrl
from roomcast.web import templates

FAVICON = Path(__file__).with_name("static") / "favicon.svg"
TITLES = {404: "Not found", 403: "Not allowed", 401: "Sign-in needed", 409: "Not possible now"}


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


async def error_page(request: Request, error: HTTPException) -> Response:
    if not wants_page(request) or error.status_code < 400:
        return await http_exception_handler(request, error)
    title = TITLES.get(error.status_code, "Something went wrong")
    # Starlette's own "Not Found" for an unknown address says nothing the title does not.
    detail = error.detail if isinstance(error.detail, str) and error.detail != HTTPStatus(error.status_code).phrase else ""
    return templates.TemplateResponse(request, "error.html", {"title": title, "detail": detail, "status": error.status_code},
                                      status_code=error.status_code, headers=getattr(error, "headers", None))


DOC_ASSETS = Path(str(files("fastapi_offline") / "static"))  # only its files: Swagger UI 5


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, error_page)  # type: ignore[arg-type]
    app.add_middleware(RequestBaseUrl)  # links follow the address asked, unless ROOMCAST_BASE_URL is set
    install_docs(app)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it whatever the page says; pages also link the SVG itself."""
        return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


def install_docs(app: FastAPI) -> None:
    """/docs from the files in the fastapi-offline package: a server on a network with no way out
    (or a laptop on a train) still documents its API. FastAPI's own pages, which load their
    scripts from a CDN, are taken out; ReDoc fetches its logo from one, so only Swagger UI stays."""
    taken = {app.docs_url, app.redoc_url} - {None}
    app.router.routes[:] = [route for route in app.router.routes if getattr(route, "path", None) not in taken]
    # Not under /static: that mount comes first and would answer 404 for these files.
    app.mount("/api-docs-assets", StaticFiles(directory=DOC_ASSETS), name="api-docs-assets")
    openapi, title = app.openapi_url or "/openapi.json", f"{app.title} · API"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi, title=title, swagger_favicon_url="/static/favicon.svg",
                                   swagger_js_url="/api-docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/api-docs-assets/swagger-ui.css",
                                   oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url)
