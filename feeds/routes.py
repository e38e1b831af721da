"""Feeds, media and the listening pages."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.access import Access, require_listener, token_for_urls
from feeds.calendar import room_event
from feeds.discovery import listed_rooms, live_show_ids
from feeds.episodes import episode_view
from feeds.feed_cache import RenderedFeed, feed_cache
from feeds.media_types import media_type
from feeds.page_views import (EPISODES_PER_PAGE, duration_words, episode_number, paragraphs, published_order,
                              size_words, soundbite_rows, subscribe_links, summary)
from feeds.production import ProductionView, production_view
from feeds.rss import feed_url, speakers
from roomcast.db import new_session
from roomcast.instants import as_utc
from roomcast.links import link
from roomcast.lookups import require_show
from roomcast.models import Episode, EpisodeStatus, Room, RoomAccess, Show
from roomcast.runs import current_run
from roomcast.soundbites import read as read_soundbites
from roomcast.storage import UnsafeKey, get_media_store, media_headers
from roomcast.web import RowId, SessionDep, templates

router = APIRouter()
_EPISODE_MEDIA = re.compile(r"^episodes/(\d{1,18})/")  # 18 digits: always a 64-bit id
_SHOW_MEDIA = re.compile(r"^shows/[^/]+/artwork\.(png|jpe?g)$")


def _load_feed(slug: str, token: str | None) -> RenderedFeed:
    with new_session() as session:
        return feed_cache.load(session, slug, token)


def _not_modified(request: Request, feed: RenderedFeed) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return any(tag.strip().removeprefix("W/") == feed.etag for tag in if_none_match.split(","))
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            return parsedate_to_datetime(if_modified_since) >= parsedate_to_datetime(feed.last_modified)
        except (TypeError, ValueError):
            return False
    return False


@router.get("/shows/{slug}/feed.xml", tags=["feeds"], response_class=Response)
async def show_feed(slug: str, request: Request, token: str | None = None) -> Response:
    """The show's podcast feed; private shows need the subscriber's ``token``."""
    feed = feed_cache.fresh(slug, token)
    if feed is None:
        feed = await run_in_threadpool(_load_feed, slug, token)  # NotFound, AccessDenied: roomcast.http_errors
    headers = {
        "ETag": feed.etag,
        "Last-Modified": feed.last_modified,
        "Cache-Control": ("private" if feed.private else "public") + ", max-age=60",
    }
    if _not_modified(request, feed):
        return Response(status_code=304, headers=headers)
    return Response(feed.body, media_type="application/rss+xml; charset=utf-8", headers=headers)


def _show_access(session: Session, show: Show, token: str | None) -> Access:
    return require_listener(session, show, token)


def _visible(episode: Episode, access: Access) -> bool:
    return access.creator or episode.status == EpisodeStatus.published


@router.get("/media/{key:path}", tags=["feeds"], response_class=FileResponse)
@router.head("/media/{key:path}", include_in_schema=False)
def media(key: str, session: SessionDep, token: str | None = None) -> FileResponse:
    """Published audio, transcripts, chapters and artwork, with HEAD and byte ranges (206).

    Room archives are the creator's and are never served here.
    """
    episode_match = _EPISODE_MEDIA.match(key)
    if episode_match:
        episode = session.get(Episode, int(episode_match.group(1)))
        if episode is None:
            raise HTTPException(404, "no such media")
        if not _visible(episode, _show_access(session, episode.show, token)):
            raise HTTPException(404, "no such media")
    elif not _SHOW_MEDIA.match(key):
        raise HTTPException(404, "no such media")
    try:
        path = get_media_store().path(key)
    except UnsafeKey as error:
        raise HTTPException(404, "no such media") from error
    if not path.is_file():
        raise HTTPException(404, "no such media")
    private = episode_match is not None and episode.show.private
    published = episode_match is None or episode.status == EpisodeStatus.published
    return FileResponse(path, media_type=media_type(key), headers=media_headers(private, published))


# --- an episode on its way: public like the show (feeds.production) ------------------------


def _episode_or_404(session: Session, episode_id: int) -> Episode:
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise HTTPException(404, f"no episode {episode_id}")
    return episode


def _visible_episode(session: Session, episode: Episode, token: str | None) -> Episode:
    """Anyone may follow a public show's episode until it is out (a private show: its listeners);
    one its creator took back is gone for everyone else."""
    access = require_listener(session, episode.show, token)
    if not access.creator and episode.status == EpisodeStatus.unpublished:
        raise HTTPException(404, f"no episode {episode.id}")
    return episode


@router.get("/api/episodes/{episode_id}/progress", response_model=ProductionView, tags=["episodes"])
def episode_progress(episode_id: RowId, session: SessionDep, token: str | None = None) -> ProductionView:
    """How far production is, step by step, and whether it is published or held for review."""
    episode = _visible_episode(session, _episode_or_404(session, episode_id), token)
    return production_view(episode, current_run(session, episode.room_id))


@router.get("/api/rooms/{room_id}/production", response_model=ProductionView, tags=["rooms"])
def room_production(room_id: RowId, session: SessionDep, token: str | None = None) -> ProductionView:
    """The episode an ended room becomes, as it is made; 404 until the room has ended."""
    room = session.get(Room, room_id)
    if room is None or room.episode is None:
        raise HTTPException(404, f"room {room_id} has no episode yet")
    episode = _visible_episode(session, room.episode, token)
    return production_view(episode, current_run(session, room_id))



@router.get("/episodes/{episode_id}", response_class=HTMLResponse, include_in_schema=False)
def episode_page(episode_id: RowId, request: Request, session: SessionDep, token: str | None = None):
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise HTTPException(404, f"no episode {episode_id}")
    access = _show_access(session, episode.show, token)
    # Being made or held for review: anyone may see that it is coming, not hear it.
    if not _visible(episode, access) and episode.status not in (EpisodeStatus.processing, EpisodeStatus.review):
        raise HTTPException(404, f"no episode {episode_id}")
    view = episode_view(episode, current_run(session, episode.room_id), token_for_urls(episode.show, token, access))
    listenable = view.audio_url is not None
    context = {
        "episode": view,
        "row": episode,
        "show": episode.show,
        "number": episode_number(episode),
        "notes": paragraphs(episode.description or episode.room.description),
        "speakers": [p.name for p in speakers(episode)],
        "length": duration_words(episode.duration_s),
        "size": size_words(episode.audio_bytes),
        "soundbites": soundbite_rows(read_soundbites(episode.soundbites)) if listenable else [],
        "segments": episode.segments if listenable else [],
        "timeline": speaker_timeline(episode) if listenable else [],
        "show_title": episode.show.title,
        "subscribe": _subscribe(episode.show, token, access),
        "share_url": link("episode_page", episode_id=episode.id),
    }
    return templates.TemplateResponse(request, "episode.html", context)


def _subscribe(show: Show, token: str | None, access: Access) -> dict:
    """The feed a listener may follow: a private show's only with their own token."""
    if show.private and not access.subscriber:
        return {"feed": None, "apps": []}
    feed = feed_url(show) + (f"?token={token}" if show.private else "")
    return {"feed": feed, "apps": subscribe_links(feed)}


def speaker_timeline(episode: Episode) -> list[dict]:
    """One row per speaker with their lines as spans (percent of the episode), for the page."""
    duration = episode.duration_s or max((s.end_s for s in episode.segments), default=0) or 1.0
    rows: dict[str, list[dict]] = {}
    for segment in episode.segments:
        rows.setdefault(segment.speaker, []).append(
            {"left": 100 * segment.start_s / duration, "width": max(0.3, 100 * (segment.end_s - segment.start_s) / duration),
             "start": segment.start_s, "text": segment.text}
        )
    return [{"speaker": speaker, "spans": spans} for speaker, spans in rows.items()]


@router.get("/shows/{slug}", response_class=HTMLResponse, include_in_schema=False)
def show_page(slug: str, request: Request, session: SessionDep, token: str | None = None,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    show = require_show(session, slug)
    access = _show_access(session, show, token)
    numbers = {e.id: number for number, e in enumerate(published_order(show), 1)}
    listed = [e for e in show.episodes if access.creator or e.status == EpisodeStatus.published]
    listed.sort(key=lambda e: (as_utc(e.published_at or e.created_at), e.id), reverse=True)
    pages = max(1, -(-len(listed) // EPISODES_PER_PAGE))
    page = min(page, pages)
    shown = listed[(page - 1) * EPISODES_PER_PAGE : page * EPISODES_PER_PAGE]
    rooms = listed_rooms(session, show)
    return templates.TemplateResponse(request, "show.html", {
        "show": show, "episodes": [_listed_episode(e, numbers) for e in shown], "page": page, "pages": pages,
        "count": len(listed), "notes": paragraphs(show.description), "token": token if access.any else None,
        "subscribe": _subscribe(show, token, access), "rooms": rooms, "live_now": any(room.live for room in rooms)})


def _listed_episode(episode: Episode, numbers: dict[int, int]) -> dict:
    return {"id": episode.id, "title": episode.title, "status": episode.status.value, "number": numbers.get(episode.id),
            "published_at": episode.published_at, "length": duration_words(episode.duration_s),
            "summary": summary(episode.description or episode.room.description)}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: SessionDep):
    shows = session.scalars(select(Show).where(Show.private.is_(False)).order_by(Show.title)).all()
    return templates.TemplateResponse(request, "home.html", {"shows": shows, "rooms": listed_rooms(session),
                                                             "live_shows": live_show_ids(session)})


@router.get("/rooms/{room_id}/calendar.ics", include_in_schema=False)
def room_calendar(room_id: RowId, session: SessionDep) -> Response:
    """A listed room as a calendar event: when it starts, and the page to listen on."""
    room = session.get(Room, room_id)
    if room is None or room.show.private or room.access == RoomAccess.private:
        raise HTTPException(404, f"no room {room_id}")
    body = room_event(room, link("room_page", room_id=room.id))
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="room-{room.id}.ics"'})



