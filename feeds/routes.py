"""Feeds, media, the episode API and the listening pages."""

from __future__ import annotations

import hashlib
import re
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from feeds.media_types import media_type
from feeds.episodes import EpisodeView, episode_view
from feeds.rss import as_utc, build_feed, feed_url
from roomcast.models import Episode, EpisodeStatus, Show
from roomcast.runs import current_run
from roomcast.settings import get_settings
from roomcast.storage import UnsafeKey, get_media_store
from roomcast.web import get_session, templates

router = APIRouter()
SessionDep = Annotated[Session, Depends(get_session)]
_EPISODE_MEDIA = re.compile(r"^episodes/(\d+)/")
_SHOW_MEDIA = re.compile(r"^shows/[^/]+/artwork\.(png|jpe?g)$")


def _show_or_404(session: Session, slug: str) -> Show:
    show = session.scalars(select(Show).where(Show.slug == slug)).first()
    if show is None:
        raise HTTPException(404, f"no show {slug!r}")
    return show


def _published(session: Session, show: Show) -> list[Episode]:
    return list(
        session.scalars(select(Episode).where(Episode.show_id == show.id, Episode.status == EpisodeStatus.published))
    )


@router.get("/shows/{slug}/feed.xml", tags=["feeds"], response_class=Response)
def show_feed(slug: str, request: Request, session: SessionDep) -> Response:
    show = _show_or_404(session, slug)
    body = build_feed(show, _published(session, show), get_media_store(), get_settings().public_base_url)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
    episodes = _published(session, show)
    if episodes:
        headers["Last-Modified"] = format_datetime(max(as_utc(e.updated_at) for e in episodes), usegmt=True)
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/rss+xml; charset=utf-8", headers=headers)


@router.get("/media/{key:path}", tags=["feeds"], response_class=FileResponse)
@router.head("/media/{key:path}", include_in_schema=False)
def media(key: str, session: SessionDep) -> FileResponse:
    """Published audio, transcripts and artwork; HEAD and byte ranges (206) as podcast apps expect.

    Room archives are the creator's and are never served here.
    """
    episode_match = _EPISODE_MEDIA.match(key)
    if episode_match:
        episode = session.get(Episode, int(episode_match.group(1)))
        if episode is None or episode.status != EpisodeStatus.published:
            raise HTTPException(404, "no such media")
    elif not _SHOW_MEDIA.match(key):
        raise HTTPException(404, "no such media")
    try:
        path = get_media_store().path(key)
    except UnsafeKey as error:
        raise HTTPException(404, "no such media") from error
    if not path.is_file():
        raise HTTPException(404, "no such media")
    return FileResponse(
        path,
        media_type=media_type(key),
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=3600"},
    )


@router.get("/api/episodes/{episode_id}", response_model=EpisodeView, tags=["episodes"])
def episode_api(episode_id: int, session: SessionDep) -> EpisodeView:
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise HTTPException(404, f"no episode {episode_id}")
    return episode_view(episode, current_run(session, episode.room_id))


@router.get("/episodes/{episode_id}", response_class=HTMLResponse, include_in_schema=False)
def episode_page(episode_id: int, request: Request, session: SessionDep):
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise HTTPException(404, f"no episode {episode_id}")
    view = episode_view(episode, current_run(session, episode.room_id))
    segments = episode.segments if episode.status == EpisodeStatus.published else []
    return templates.TemplateResponse(request, "episode.html", {"episode": view, "segments": segments})


@router.get("/shows/{slug}", response_class=HTMLResponse, include_in_schema=False)
def show_page(slug: str, request: Request, session: SessionDep):
    show = _show_or_404(session, slug)
    episodes = sorted(show.episodes, key=lambda e: e.id, reverse=True)
    base = get_settings().public_base_url
    return templates.TemplateResponse(
        request, "show.html", {"show": show, "episodes": episodes, "feed_url": feed_url(base, show)}
    )

