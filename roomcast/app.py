"""The FastAPI application factory: wires the domain packages' routers into one app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session

from roomcast import __version__
from roomcast.web import get_session

DESCRIPTION = """Live audio rooms that never lose their content: every speaker's track is archived
as it arrives, and each room becomes a mixed, mastered, transcribed and searchable podcast episode."""


def create_app() -> FastAPI:
    from feeds.api import router as creator_router
    from feeds.routes import router as feeds_router
    from live.routes import router as live_router
    from search.routes import router as search_router

    app = FastAPI(title="roomcast", version=__version__, description=DESCRIPTION)
    app.include_router(feeds_router)
    app.include_router(creator_router)
    app.include_router(live_router)
    app.include_router(search_router)
    app.mount("/static", StaticFiles(packages=[("roomcast", "static")]), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz(session: Annotated[Session, Depends(get_session)]) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    return app
