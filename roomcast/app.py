"""The FastAPI application factory: wires the domain packages' routers into one app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.routing import Router

from roomcast import __version__, heap, http_errors, links, nodes, request_limits, site, token_hygiene
from roomcast.node_header import NodeHeader
from roomcast.packets import PacketTee
from roomcast.overload import RETRY_AFTER_S, AdmissionLimit
from roomcast.settings import get_settings

DESCRIPTION = """Live audio rooms that never lose their content: every speaker's track is archived
as it arrives, and each room becomes a mixed, mastered, transcribed and searchable podcast episode."""


def linked_routes() -> Router:
    """The routes that links point at (pages, feeds, live streams), for a process that answers no
    request: the CLI prints links without building the app."""
    from feeds.routes import router as feeds_router
    from live.routes import router as live_router
    from live.stream.routes import router as stream_router

    return Router(routes=[*feeds_router.routes, *live_router.routes, *stream_router.routes])


def create_app() -> FastAPI:
    from capture.archive import RoomArchive
    from capture.recovery import recover_interrupted_rooms, take_over_lost_rooms
    from capture.import_routes import router as import_router
    from capture.routes import router as archive_router
    from feeds.api import router as creator_router
    from feeds.routes import router as feeds_router
    from live.routes import router as live_router
    from live.registry import live_rooms
    from live.signaling import router as signaling_router
    from live.stream.routes import router as stream_router
    from live.stream.sink import live_streams
    from live.stream.stale import remove_stale_streams
    from roomcast.health import router as health_router
    from search.routes import router as search_router
    from transcripts.routes import router as transcripts_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The database pool is sized against these threads (roomcast.db): say their number.
        anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().http_threads
        # The node's name is held first (two nodes named alike are refused); dead nodes' rooms are taken over.
        async with nodes.serving(take_over=take_over_lost_rooms, after_beat=live_rooms.after_beat):
            recover_interrupted_rooms()  # rooms this process was serving when it died
            remove_stale_streams()  # and the HLS files of their streams, which never ended
            heap.settle()  # start-up's objects out of the garbage collector's way (roomcast.heap)
            yield
            await live_rooms.close_all()  # everyone hears that the room ended; peers close cleanly
            await live_streams.close_all()  # HTTP listeners hear the stream end; HLS playlists get their end

    app = FastAPI(title="roomcast", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    # Every packet the SFU forwards from the stage is archived, and heard in the live mix.
    live_rooms.sink = PacketTee(RoomArchive(), live_streams)
    app.include_router(feeds_router)
    app.include_router(creator_router)
    app.include_router(live_router)
    app.include_router(signaling_router)
    app.include_router(stream_router)
    app.include_router(archive_router)
    app.include_router(import_router)  # a creator's recording uploaded from elsewhere (roomcast import --server)
    app.include_router(transcripts_router)  # the room's transcript so far, the episode's
    app.include_router(search_router)
    app.include_router(health_router)  # /readyz: database, broker, media
    links.install(app.router)  # links are written from the routes they point at
    app.mount("/static", StaticFiles(packages=[("roomcast", "static"), ("live", "static"), ("feeds", "static"), ("search", "static")]), name="static")
    http_errors.install(app)  # domain exceptions (bad input, not found, conflict, access) as 4xx, once
    site.install(app)  # browsers get an HTML page for a 404, the API keeps its JSON; the favicon

    app.add_middleware(AdmissionLimit, max_pending=get_settings().max_pending_requests)
    request_limits.install(app)  # 413 past 1 MiB of body; a 422 quotes little of the input
    token_hygiene.install(app)  # tokens in URLs: redacted from the logs, never sent on in a Referer
    app.add_middleware(NodeHeader, node=get_settings().node)  # X-Roomcast-Node: which node answered

    @app.exception_handler(PoolTimeout)
    async def database_busy(request: Request, error: PoolTimeout) -> JSONResponse:
        """Every connection stayed busy for db_pool_timeout_s: overload, said as such."""
        return JSONResponse({"detail": "the server is busy: retry in a second"}, 503,
                            {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"})

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process answers. Async and without the database on purpose: it runs on the event
        loop, needs no thread and no pooled connection, so it answers however busy those are."""
        return {"status": "ok", "version": __version__}

    return app
