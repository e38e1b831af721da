"""The FastAPI application factory: wires the domain packages' routers into one app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
    from capture.archive import RoomArchive
    from capture.recovery import recover_interrupted_rooms
    from capture.routes import router as archive_router
    from feeds.api import router as creator_router
    from feeds.routes import router as feeds_router
    from live.routes import router as live_router
    from live.signaling import live_rooms
    from live.signaling import router as signaling_router
    from search.routes import router as search_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        recover_interrupted_rooms()  # rooms this process was serving when it died
        yield
        await live_rooms.close_all()  # everyone hears that the room ended; peers close cleanly

    app = FastAPI(title="roomcast", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    live_rooms.sink = RoomArchive()  # every packet the SFU forwards from the stage is archived
    app.include_router(feeds_router)
    app.include_router(creator_router)
    app.include_router(live_router)
    app.include_router(signaling_router)
    app.include_router(archive_router)
    app.include_router(search_router)
    app.mount("/static", StaticFiles(packages=[("roomcast", "static"), ("live", "static"), ("search", "static")]), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz(session: Annotated[Session, Depends(get_session)]) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    return app
